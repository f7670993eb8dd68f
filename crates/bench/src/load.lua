-- The request plan for one wrk run of the Corkboard benchmark, written by `corkboard-bench`.
-- `wrk ... -s load.lua URL -- PLAN` where PLAN is a file of lines:
--   header <name>: <value>      sent on every request
--   method <GET|POST>
--   path <path>                 one or more; request i uses path i mod n
--   body <json>                 zero or more; request i uses body i mod n
--   move <card_id> <column_index>   card moves: each thread owns every n-th card and moves it
--   column <column_id>              to the next column each time (a real move, never a no-op)
-- done() prints one line `BENCH_JSON {...}` with the figures the harness parses.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local method, headers, paths, bodies, cards, columns = "GET", {}, {}, {}, {}, {}
local i = 0

function init(args)
  local nthreads = tonumber(args[2]) or 1
  local n = 0
  for line in io.lines(args[1]) do
    local kind, rest = line:match("^(%S+) (.*)$")
    if kind == "header" then
      local name, value = rest:match("^([^:]+): (.*)$")
      headers[name] = value
    elseif kind == "method" then
      method = rest
    elseif kind == "path" then
      table.insert(paths, rest)
    elseif kind == "body" then
      table.insert(bodies, rest)
    elseif kind == "column" then
      table.insert(columns, rest)
    elseif kind == "move" then
      local card, col = rest:match("^(%S+) (%d+)$")
      if n % nthreads == tid then
        table.insert(cards, { id = card, col = tonumber(col) })
      end
      n = n + 1
    end
  end
  -- Threads start at different places so two of them never walk the same list in step.
  i = tid * 7919
end

function request()
  i = i + 1
  if #cards > 0 then
    local card = cards[(i % #cards) + 1]
    card.col = (card.col + 1) % #columns
    local body = '{"column_id":"' .. columns[card.col + 1] .. '"}'
    return wrk.format("POST", "/api/v1/cards/" .. card.id .. "/move", headers, body)
  end
  local path = paths[(i % #paths) + 1]
  local body = nil
  if #bodies > 0 then
    body = bodies[(i % #bodies) + 1]
  end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
