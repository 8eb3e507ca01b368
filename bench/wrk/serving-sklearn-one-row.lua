-- wrk script: one-row MLflow scoring request for the scikit-learn logistic regression of bench/python-serving.ts
-- (four double columns a, b, c, d), sent alike to ciclo's Python runtime and to `mlflow models serve`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[0.5, -1.25, 2.0, 0.75]]}}'
