-- GET /api/v1/caseload as the caseworker of 60 supervised residents (BENCH_CTOKEN).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/caseload", { ["Authorization"] = "Bearer " .. os.getenv("BENCH_CTOKEN") })
end

function request() return req end
