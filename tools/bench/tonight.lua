-- GET /api/v1/houses/{house}/tonight of BENCH-01, as the staff user.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/houses/" .. bench.house .. "/tonight", bench.auth)
end

function request() return req end
