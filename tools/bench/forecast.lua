-- GET /api/v1/houses/{house}/forecast?days=90 of BENCH-01, as the manager (BENCH_MTOKEN).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
bench.get("/api/v1/houses/" .. bench.house .. "/forecast?days=90",
          { ["Authorization"] = "Bearer " .. os.getenv("BENCH_MTOKEN") })
