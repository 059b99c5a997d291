-- Check-in + check-out pairs across the 180 free beds (see bench.pair_request in common.lua).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args) end

function request()
   return bench.pair_request() or wrk.format("GET", "/healthz")
end

function response(status, headers, body)
   bench.pair_response(status, headers, body)
end
