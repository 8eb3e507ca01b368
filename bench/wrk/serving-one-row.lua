-- wrk script: one-row MLflow scoring request (the linear-regressor fixture: X float32 [-1, 3]).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [[1.323, -1.364, 1.921]]}'
