-- wrk script for the Stripe webhook benchmark: every request is a distinct, validly signed event.
-- The events file has one "signature<TAB>body" line per event; thread n sends lines n, n+T, n+2T, ...
-- Answers are counted: "ok" (a new event stored), anything else (e.g. "duplicate" once the file ran out);
-- done() prints "ANSWERS ok <n> other <m>" and the latency percentiles in microseconds.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  local total = tonumber(args[2])
  requests = {}
  ok = 0
  other = 0
  local n = 0
  for line in io.lines(file) do
    if n % total == id then
      local sig, body = line:match("([^\t]+)\t(.*)")
      requests[#requests + 1] = wrk.format("POST", nil,
        { ["Content-Type"] = "application/json", ["Stripe-Signature"] = sig }, body)
    end
    n = n + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #requests then index = 1 end -- past the end: duplicates (still valid, answered "duplicate")
  return requests[index]
end

function response(status, headers, body)
  if status == 200 and body == "ok" then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local oks, others = 0, 0
  for _, thread in ipairs(threads) do
    oks = oks + thread:get("ok")
    others = others + thread:get("other")
  end
  io.write(string.format("ANSWERS ok %d other %d\n", oks, others))
  io.write(string.format("LATENCY_US p50 %d p99 %d max %d\n", latency:percentile(50), latency:percentile(99), latency.max))
end
