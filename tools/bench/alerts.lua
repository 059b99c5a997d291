-- GET /api/v1/alerts as the manager of the 2 000-bed house (BENCH_MTOKEN): every resident's
-- reporting state computed on read (tools/bench/seed_reporting.sql).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local req
function init(args)
   req = wrk.format("GET", "/api/v1/alerts", { ["Authorization"] = "Bearer " .. os.getenv("BENCH_MTOKEN") })
end

function request() return req end
