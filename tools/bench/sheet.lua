-- GET /api/v1/roll-calls/{id} as the print page (Accept: text/html, Indonesian) of yesterday's
-- closed evening roll-call of BENCH-01 (BENCH_SHEET, seed_house_ops.sql's rc1: ~1 800 lines).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
bench.get("/api/v1/roll-calls/" .. os.getenv("BENCH_SHEET"),
          { ["Authorization"] = bench.auth.Authorization, ["Accept"] = "text/html", ["Accept-Language"] = "id" })
