-- wrk script for the Stripe webhook benchmark: every request is a distinct, validly signed event.
-- The events file has one "signature<TAB>body" line per event; thread n sends lines n, n+T, n+2T, ...
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
