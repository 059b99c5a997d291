-- GET /api/v1/residents/{id}, a random one of the 100 000 residents per request.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids
function init(args)
   ids = bench.lines("residents.txt")
   math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
   return wrk.format("GET", "/api/v1/residents/" .. ids[math.random(#ids)], bench.auth)
end
