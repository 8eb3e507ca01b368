-- wrk script: POST runs/log-batch with BATCH (default 1000) unique metric points per request.
-- Bodies are generated in init() so that wrk's own CPU use stays off the measured path;
-- each thread prepares BODIES distinct bodies (steps never repeat across threads or bodies).
local run_id = os.getenv("RUN_ID")
local batch = tonumber(os.getenv("BATCH") or "1000")
local nbodies = tonumber(os.getenv("BODIES") or "3000")
local thread_id = 0
-- STEP_BASE (set per wrk run by bench/lib/wrk.ts) keeps a warm-up's points from repeating in the measured run.
local step_base = tonumber(os.getenv("STEP_BASE") or "0")

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

local bodies = {}
local next_body = 0

function init(args)
  math.randomseed(tid * 7919 + 17)
  for b = 1, nbodies do
    local base = step_base + (tid * 1000000000) + b * batch
    local parts = {}
    for i = 0, batch - 1 do
      parts[#parts + 1] = string.format('{"key":"m%d","value":%.6f,"timestamp":%d,"step":%d}', i % 10, math.random(), 1700000000000 + b, base + i)
    end
    bodies[b] = '{"run_id":"' .. run_id .. '","metrics":[' .. table.concat(parts, ",") .. ']}'
  end
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  next_body = next_body % nbodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end
