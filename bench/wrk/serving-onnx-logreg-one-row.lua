-- wrk script: one-row request for the ONNX export of bench/python-serving.ts's logistic regression (X float32 [-1, 4]).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [[0.5, -1.25, 2.0, 0.75]]}'
