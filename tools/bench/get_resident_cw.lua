-- GET /api/v1/residents/{id} as the caseworker: six of seven residents have a national_id, so
-- most answers write their disclosure record (contract §18.4) and are answered after its commit.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids, auth
function init(args)
   ids = bench.lines("residents.txt")
   auth = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_CTOKEN") }
   math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
   return wrk.format("GET", "/api/v1/residents/" .. ids[math.random(#ids)], auth)
end
