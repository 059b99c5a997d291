-- GET /api/v1/houses/{house}/beds: the whole bed board of the 2 000-bed house.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/houses/" .. bench.house .. "/beds", bench.auth)
end

function request() return req end
