-- PUT /api/v1/sessions/{id}/attendance: the whole sheet of one of the 50 sessions of 40
-- (BENCH_DATA/sheets.txt: "session_id enrolment_id ..." per line), each present (80 %) or
-- absent at random, so that nearly every PUT changes the sheet; as the manager.
-- No If-Match: concurrent connections may write one sheet, and a 412 is not what is measured.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local sheets, hdr
function init(args)
   sheets = {}
   for _, line in ipairs(bench.lines("sheets.txt")) do
      local ids = {}
      for id in line:gmatch("%S+") do ids[#ids + 1] = id end
      sheets[#sheets + 1] = ids
   end
   hdr = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_MTOKEN"), ["Content-Type"] = "application/json" }
   math.randomseed(os.time() + tid)
end

function request()
   local s = sheets[math.random(#sheets)]
   local recs = {}
   for i = 2, #s do
      recs[#recs + 1] = '{"enrolment_id":"' .. s[i] .. '","status":"' ..
                        (math.random() < 0.8 and "present" or "absent") .. '"}'
   end
   return wrk.format("PUT", "/api/v1/sessions/" .. s[1] .. "/attendance", hdr,
                     '{"records":[' .. table.concat(recs, ",") .. "]}")
end
