-- wrk script: each connection's thread alternates authorize (POST /v1/checkouts) and capture
-- (POST /v1/checkouts/{id}/capture of a checkout it authorized), every request with a unique
-- order reference and Idempotency-Key. Env: QZ_KEY (platform key), QZ_ACCOUNTS (file of account
-- ids, one a line), QZ_RUN (a prefix that keeps references unique across runs).
local threads = {}

function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    accounts = {}
    for line in io.lines(os.getenv("QZ_ACCOUNTS")) do
        if #line > 0 then accounts[#accounts + 1] = line end
    end
    key = os.getenv("QZ_KEY")
    prefix = (os.getenv("QZ_RUN") or "run") .. "-" .. os.time() .. "-" .. tid
    counter = 0
    pending = {}
    captures = 0
    authorizations = 0
    failures = 0
    math.randomseed(os.time() + tid * 7919)
end

function request()
    counter = counter + 1
    local headers = {
        ["Authorization"] = "Bearer " .. key,
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = prefix .. "-" .. counter,
    }
    local id = table.remove(pending)
    if id then
        return wrk.format("POST", "/v1/checkouts/" .. id .. "/capture", headers, "{}")
    end
    local account = accounts[math.random(#accounts)]
    local body = string.format(
        '{"credit_account_id":"%s","order_ref":"%s-%d","merchant_id":"m-%d","amount":{"amount":"100.00","currency":"CNY"},"plan":"installments","tenor":3}',
        account, prefix, counter, counter % 64)
    return wrk.format("POST", "/v1/checkouts", headers, body)
end

function response(status, headers, body)
    if status == 201 then
        local id = string.match(body, '"id":"([0-9a-f%-]+)"')
        if id and string.find(body, '"status":"authorized"', 1, true) then
            authorizations = authorizations + 1
            table.insert(pending, id)
        else
            failures = failures + 1
        end
    elseif status == 200 then
        captures = captures + 1
    else
        failures = failures + 1
    end
end

function done(summary, latency, requests)
    local captured, failed = 0, 0
    for _, thread in ipairs(threads) do
        captured = captured + thread:get("captures")
        failed = failed + thread:get("failures")
    end
    local seconds = summary.duration / 1e6
    io.write(string.format("checkouts_per_second %.1f\n", captured / seconds))
    io.write(string.format("captures %d\n", captured))
    io.write(string.format("requests_per_second %.1f\n", summary.requests / seconds))
    io.write(string.format("request_p50_ms %.2f\n", latency:percentile(50) / 1000))
    io.write(string.format("request_p99_ms %.2f\n", latency:percentile(99) / 1000))
    io.write(string.format("non_2xx %d\n", failed))
    io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
