-- GET /api/v1/reports/programme of BENCH-01 over the last 365 days (BENCH_PFROM, BENCH_PTO),
-- as the manager (BENCH_MTOKEN).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/reports/programme?house_id=" .. bench.house .. "&from=" ..
                    os.getenv("BENCH_PFROM") .. "&to=" .. os.getenv("BENCH_PTO"),
                    { ["Authorization"] = "Bearer " .. os.getenv("BENCH_MTOKEN") })
end

function request() return req end
