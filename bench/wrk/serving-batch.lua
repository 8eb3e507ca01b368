-- wrk script: MLflow scoring requests of ROWS rows each (default 100).
local rows = tonumber(os.getenv("ROWS") or "100")
local parts = {}
for i = 1, rows do
  parts[i] = string.format("[%.3f, %.3f, %.3f]", (i % 17) / 10, -(i % 11) / 10, (i % 7) / 10)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [' .. table.concat(parts, ", ") .. ']}'
