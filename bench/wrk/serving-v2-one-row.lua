-- wrk script: one-row Open Inference Protocol v2 infer request (MODEL from the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1.323, -1.364, 1.921]}]}'
wrk.path = "/v2/models/" .. (os.getenv("MODEL") or "linear") .. "/infer"
