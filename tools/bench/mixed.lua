-- A staff member's day, 80 % reads and 20 % writes:
--   50 % GET a resident (random), 10 % the bed board filtered to free beds, 10 % occupancy,
--   10 % search residents by register number, 20 % check-in or check-out (pairs as in
--   checkin_checkout.lua).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local ids, board, occupancy
function init(args)
   ids = bench.lines("residents.txt")
   math.randomseed(os.time() + (tid or 0) * 7919)
   board = wrk.format("GET", "/api/v1/houses/" .. bench.house .. "/beds?state=free", bench.auth)
   occupancy = wrk.format("GET", "/api/v1/occupancy", bench.auth)
end

function request()
   local x = math.random(100)
   if x <= 20 then
      local w = bench.pair_request()
      if w then return w end
   end
   if x <= 70 then
      return wrk.format("GET", "/api/v1/residents/" .. ids[math.random(#ids)], bench.auth)
   elseif x <= 80 then
      return board
   elseif x <= 90 then
      return occupancy
   end
   return wrk.format("GET", string.format("/api/v1/residents?q=%06d&limit=20", math.random(0, 99999)), bench.auth)
end

function response(status, headers, body)
   bench.pair_response(status, headers, body)
end
