-- POST /api/v1/programmes/{id}/enrolments: a random resident (BENCH_DATA/residents.txt) into
-- one of the 10 race programmes (BENCH_DATA/race.txt), as the manager. 409 programme_full
-- and already_enrolled are answers, not failures: besides the usual BENCH line it prints
-- `STATUS s201=.. s409_full=.. s409_enrolled=.. s4xx=.. s5xx=..` over all threads.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local threads = {}
local common_setup, common_done = setup, done
function setup(thread)
   common_setup(thread)
   threads[#threads + 1] = thread
end

local residents, race, hdr
function init(args)
   residents = bench.lines("residents.txt")
   race = bench.lines("race.txt")
   hdr = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_MTOKEN"), ["Content-Type"] = "application/json" }
   math.randomseed(os.time() + 7919 * tid)
   s201, s409_full, s409_enrolled, s4xx, s5xx = 0, 0, 0, 0, 0
end

function request()
   return wrk.format("POST", "/api/v1/programmes/" .. race[math.random(#race)] .. "/enrolments", hdr,
                     '{"resident_id":"' .. residents[math.random(#residents)] .. '"}')
end

function response(status, headers, body)
   if status == 201 then
      s201 = s201 + 1
   elseif status == 409 and body:find("programme_full", 1, true) then
      s409_full = s409_full + 1
   elseif status == 409 and body:find("already_enrolled", 1, true) then
      s409_enrolled = s409_enrolled + 1
   elseif status >= 500 then
      s5xx = s5xx + 1
   else
      s4xx = s4xx + 1
   end
end

function done(summary, latency, requests)
   common_done(summary, latency, requests)
   local t = { s201 = 0, s409_full = 0, s409_enrolled = 0, s4xx = 0, s5xx = 0 }
   for _, th in ipairs(threads) do
      for k in pairs(t) do t[k] = t[k] + (th:get(k) or 0) end
   end
   io.write(string.format("STATUS s201=%d s409_full=%d s409_enrolled=%d s4xx=%d s5xx=%d\n",
                          t.s201, t.s409_full, t.s409_enrolled, t.s4xx, t.s5xx))
end
