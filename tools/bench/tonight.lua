-- GET /api/v1/houses/{house}/tonight of BENCH-01, as the staff user.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
bench.get("/api/v1/houses/" .. bench.house .. "/tonight")
