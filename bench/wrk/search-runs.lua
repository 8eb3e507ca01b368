-- wrk script: POST runs/search for one page of MAX_RESULTS (default 1000) runs of EXPERIMENT_ID.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"experiment_ids":["' .. (os.getenv("EXPERIMENT_ID") or "0") .. '"],"max_results":' .. (os.getenv("MAX_RESULTS") or "1000") .. '}'
