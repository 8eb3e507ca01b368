-- wrk script: POST runs/log-metric, one unique point per request, spread round-robin over the runs in RUN_IDS
-- (comma-separated; several is a sweep's pattern, many runs logging at once) or to the one run in RUN_ID.
local run_ids = {}
for id in string.gmatch(os.getenv("RUN_IDS") or os.getenv("RUN_ID") or "", "[^,]+") do run_ids[#run_ids + 1] = id end
local counter = 0
-- STEP_BASE (set per wrk run by bench/lib/wrk.ts) keeps a warm-up's points from repeating in the measured run.
local step_base = tonumber(os.getenv("STEP_BASE") or "0")
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local run_id = run_ids[counter % #run_ids + 1]
  local body = string.format('{"run_id":"%s","run_uuid":"%s","key":"loss","value":%d.5,"timestamp":%d,"step":%d}',
    run_id, run_id, counter % 1000, 1700000000000 + counter, step_base + tid * 1000000000 + counter)
  return wrk.format(nil, nil, nil, body)
end
