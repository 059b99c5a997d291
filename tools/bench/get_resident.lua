-- GET /api/v1/residents/{id}, a random one of the 100 000 residents per request. The peer
-- scenario sends the same requests (Authorization too, which the peer ignores) to
-- BENCH_RESIDENT_PATH = /residents/ of the Fastify peer (tools/bench/peer).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids
local path = os.getenv("BENCH_RESIDENT_PATH") or "/api/v1/residents/"
function init(args)
   ids = bench.lines("residents.txt")
   math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
   return wrk.format("GET", path .. ids[math.random(#ids)], bench.auth)
end
