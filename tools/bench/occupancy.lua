-- GET /api/v1/occupancy (the staff user sees the 2 000-bed house).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/occupancy", bench.auth)
end

function request() return req end
