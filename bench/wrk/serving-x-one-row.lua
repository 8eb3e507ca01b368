-- wrk script: one-row MLflow scoring request of column x (the js_function models of src/testing/model-fixtures.ts).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"dataframe_records": [{"x": 1.5}]}'
