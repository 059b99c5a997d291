-- GET /api/v1/residents/{id}/reporting of the resident with 5 years of weekly periods
-- (BENCH_CALRES), as the caseworker (BENCH_CTOKEN).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/residents/" .. os.getenv("BENCH_CALRES") .. "/reporting",
                    { ["Authorization"] = "Bearer " .. os.getenv("BENCH_CTOKEN") })
end

function request() return req end
