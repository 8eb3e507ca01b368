-- wrk script: POST runs/create in the default experiment.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"experiment_id":"0","run_name":"bench","tags":[{"key":"mlflow.user","value":"bench"}]}'
