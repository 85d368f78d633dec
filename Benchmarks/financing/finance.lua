-- Each request finances the next unused receivable with its supplier's key.
local pairs_file = os.getenv("QZ_PAIRS")
local all = {}
for line in io.lines(pairs_file) do
  local key, id = line:match("^(%S+) (%S+)$")
  all[#all + 1] = {key, id}
end
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  nthreads = tonumber(os.getenv("QZ_THREADS") or "4")
  idx = tid + 1
end
function request()
  local pair = all[idx]
  idx = idx + nthreads
  if idx > #all then idx = tid + 1 end
  local body = '{"receivable_ids": ["' .. pair[2] .. '"]}'
  return wrk.format("POST", "/v1/financing-requests", {
    ["Authorization"] = "Bearer " .. pair[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = pair[2] .. "-" .. math.random(1, 1e9),
  }, body)
end
