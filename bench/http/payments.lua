-- wrk script for bench/http_bench.sh: POST /v1/payments, each request a new customer (so no event
-- waits for another's receipts) with its own Idempotency-Key. Environment: KASSA_TOKEN, KASSA_PATH.
local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
    table.insert(threads, thread)
end

function init(args)
    n = 0
    token = os.getenv("KASSA_TOKEN")
    path = os.getenv("KASSA_PATH") or "/v1/payments"
    run = os.getenv("KASSA_RUN") or "r"
    refused = 0
end

function request()
    n = n + 1
    local key = run .. "-" .. tid .. "-" .. n
    local body = '{"customer":"B' .. key .. '","cash":10000}'
    return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token,
                                     ["Content-Type"] = "application/json",
                                     ["Idempotency-Key"] = key}, body)
end

function response(status, headers, body)
    if status ~= 200 and status ~= 202 then refused = refused + 1 end
end

function done(summary, latency, requests)
    local lost = 0
    for _, t in ipairs(threads) do lost = lost + t:get("refused") end
    io.write(string.format("RESULT requests=%d seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f refused=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, lost))
end
