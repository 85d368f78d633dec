-- Each request finances the next unused receivable with its supplier's key.
--
-- QZ_MIX=supplier (the default): each wrk thread (one connection each) is one supplier's system,
-- financing that supplier's own receivables one after another: 16 connections = 16 suppliers
-- asking at once, the way a financing request arrives (a supplier finances for itself).
-- QZ_MIX=shuffled: every connection takes receivables of any supplier in random order, so
-- concurrent requests of one supplier queue behind its row lock (the line's limit is checked
-- under it); that measures the contended case.
local pairs_file = os.getenv("QZ_PAIRS")
local all, groups, order = {}, {}, {}
for line in io.lines(pairs_file) do
  local key, id = line:match("^(%S+) (%S+)$")
  all[#all + 1] = {key, id}
  if not groups[key] then groups[key] = {}; order[#order + 1] = key end
  table.insert(groups[key], {key, id})
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
  if (os.getenv("QZ_MIX") or "supplier") == "supplier" then
    mine = groups[order[(tid % #order) + 1]]
    step = 1
    idx = 1
  else
    mine = all
    step = nthreads
    idx = tid + 1
  end
end
function request()
  local pair = mine[idx]
  idx = idx + step
  if idx > #mine then idx = (step == 1) and 1 or (tid + 1) end
  local body = '{"receivable_ids": ["' .. pair[2] .. '"]}'
  return wrk.format("POST", "/v1/financing-requests", {
    ["Authorization"] = "Bearer " .. pair[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = pair[2] .. "-" .. math.random(1, 1e9),
  }, body)
end
