-- wrk script for the rerank service: POSTs the request bodies of a file (one JSON per line,
-- written by `disranker loadtest --bodies-out FILE`) in turn, and prints one summary line:
--   WRK requests non2xx errors seconds p50_ms p95_ms p99_ms
-- Usage: wrk -t1 -cC -dDs -s scripts/wrk-rerank.lua URL -- BODIES [API_KEY]
local bodies = {}
local headers = { ["Content-Type"] = "application/json" }
local next_body = 0

function init(args)
  local file = args[1]
  if file == nil then
    error("give the bodies file after --")
  end
  for line in io.lines(file) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  if #bodies == 0 then
    error("no request bodies in " .. file)
  end
  if args[2] ~= nil then
    headers["Authorization"] = "Bearer " .. args[2]
  end
  -- threads start at different bodies
  next_body = math.random(#bodies) - 1
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[next_body])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %.3f %.1f %.1f %.1f\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
