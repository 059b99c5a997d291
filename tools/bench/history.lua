-- GET /api/v1/residents/{r1}/processing-history: the first page of 1 000 changes and 1 000
-- disclosures merged, as the caseworker.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
bench.get("/api/v1/residents/" .. os.getenv("BENCH_HISTRES") .. "/processing-history",
          { ["Authorization"] = "Bearer " .. os.getenv("BENCH_CTOKEN") })
