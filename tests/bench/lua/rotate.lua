-- wrk script: send the requests of a file in turn, count every response's status.
--
--   wrk ... -s rotate.lua http://127.0.0.1:PORT -- requests.tsv
--
-- Each line of the file is `method<TAB>path<TAB>bearer token or empty<TAB>JSON body or empty`.
-- Requests are formatted once in init(), so the loop itself only picks the next one: wrk
-- stays a cheap, closed-loop generator. done() prints one line `BENCH {json}` that the
-- benchmark parses (wrk's own summary cannot tell a 202 from a 200).

local threads = {}
local requests = {}
local position = 0
statuses = {}
shed = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local method, path, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = { ["Accept"] = "application/json" }
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. token
    end
    if body == "" then
      body = nil
    else
      headers["Content-Type"] = "application/json"
    end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  -- Threads start at different places, so that they do not ask for the same thing in step.
  position = (id * 7919) % #requests
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 503 and (headers["Retry-After"] or headers["retry-after"]) then
    shed = shed + 1
  end
end

function done(summary, latency, requests_summary)
  local merged = {}
  local total_shed = 0
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      merged[key] = (merged[key] or 0) + count
    end
    total_shed = total_shed + thread:get("shed")
  end
  local parts = {}
  for key, count in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', key, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "statuses": {%s}, "shed": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_p50_us": %d, "latency_p90_us": %d, "latency_p99_us": %d, '
      .. '"latency_max_us": %d}\n',
    summary.requests, summary.duration, table.concat(parts, ", "), total_shed,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
