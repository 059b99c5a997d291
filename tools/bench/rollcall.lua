-- POST /api/v1/houses/{house}/roll-calls, then POST /api/v1/roll-calls/{id}/cancel, in turn on
-- one connection (BENCH-01 has one open roll-call at a time, so each open needs the previous
-- one ended first): every open writes the lines of the 1 720 residents in residence. wrk's
-- latencies mix the two; tools/bench/run times the open alone with clients.py rollcall.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

local open_req, open_id
function init(args)
   open_req = wrk.format("POST", "/api/v1/houses/" .. bench.house .. "/roll-calls", bench.json_auth,
                         '{"kind":"extra","note":"benchmark"}')
end

function request()
   if open_id then
      local id = open_id
      open_id = nil
      return wrk.format("POST", "/api/v1/roll-calls/" .. id .. "/cancel", bench.json_auth, '{"reason":"benchmark"}')
   end
   return open_req
end

function response(status, headers, body)
   if status == 201 then open_id = body:match('"id"%s*:%s*"([0-9a-f-]+)"') end
end
