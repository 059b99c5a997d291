-- Shared by the wrk scripts of tools/bench/run. The environment tells the scripts what to
-- ask for: BENCH_TOKEN (bearer token), BENCH_HOUSE (house id), BENCH_DATA (directory with
-- residents.txt and pairs.txt), BENCH_THREADS (wrk -t), BENCH_PAIRS (the pairs file of the
-- check-in/check-out scripts: pairs.txt, one house; pairs8.txt, eight houses).
bench = {}

bench.token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
bench.house = os.getenv("BENCH_HOUSE") or error("BENCH_HOUSE is not set")
bench.data = os.getenv("BENCH_DATA") or error("BENCH_DATA is not set")
bench.threads = tonumber(os.getenv("BENCH_THREADS") or "2")
bench.auth = { ["Authorization"] = "Bearer " .. bench.token }
bench.json_auth = { ["Authorization"] = "Bearer " .. bench.token, ["Content-Type"] = "application/json" }

function bench.lines(name)
   local t = {}
   for line in io.lines(bench.data .. "/" .. name) do
      if line ~= "" then t[#t + 1] = line end
   end
   return t
end

-- A script that sends one GET again and again: PATH with HEADERS (default: the staff token).
function bench.get(path, headers)
   local req
   function init(args) req = wrk.format("GET", path, headers or bench.auth) end
   function request() return req end
end

-- each wrk thread learns its number (0-based) as the global `tid`
local next_tid = 0
function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

-- One parseable line for tools/bench/run (latencies in microseconds).
function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f non2xx=%d sockerr=%d\n",
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.status, e.connect + e.read + e.write + e.timeout))
end

-- Check-in/check-out pairs. Every wrk thread owns the free beds f with f % threads == tid
-- and, for each, the residents of bench.pairs (same sex as the room, no active stay): so no
-- two connections ever race for one bed or one resident. A thread keeps its free beds in a
-- queue and the stays to check out in another; the X-Request-Id of a request says which
-- bed and resident it was about, so the response (any order, any connection) knows what to
-- put back. Pairs therefore move across all of the thread's beds.
local pairs_state = nil

local function queue() return { head = 1, tail = 0 } end
local function push(q, v) q.tail = q.tail + 1; q[q.tail] = v end
local function pop(q)
   if q.head > q.tail then return nil end
   local v = q[q.head]
   q[q.head] = nil
   q.head = q.head + 1
   return v
end

local function pairs_init()
   local beds = {}  -- f -> { id = bed id, residents = { ... }, next = 1 }
   local free = queue()
   for _, line in ipairs(bench.lines(os.getenv("BENCH_PAIRS") or "pairs.txt")) do
      local f, bed, res = line:match("^(%d+) (%S+) (%S+)$")
      f = tonumber(f)
      if f % bench.threads == tid then
         if not beds[f] then
            beds[f] = { id = bed, residents = {}, next = 1 }
            push(free, f)
         end
         table.insert(beds[f].residents, res)
      end
   end
   pairs_state = { beds = beds, free = free, stays = queue() }
end

-- the next write request: a pending check-out if any, else a check-in
function bench.pair_request()
   if not pairs_state then pairs_init() end
   local s = pop(pairs_state.stays)
   if s then
      return wrk.format("POST", "/api/v1/stays/" .. s.id .. "/checkout",
                        { ["Authorization"] = bench.json_auth.Authorization, ["Content-Type"] = "application/json",
                          ["X-Request-Id"] = "co-" .. s.f },
                        '{"exit_reason":"completed","destination":"family"}')
   end
   local f = pop(pairs_state.free)
   if not f then
      return nil -- every bed is in flight: the caller asks for something else
   end
   local bed = pairs_state.beds[f]
   local res = bed.residents[bed.next]
   bed.next = bed.next % #bed.residents + 1
   return wrk.format("POST", "/api/v1/stays",
                     { ["Authorization"] = bench.json_auth.Authorization, ["Content-Type"] = "application/json",
                       ["X-Request-Id"] = "ci-" .. f },
                     '{"resident_id":"' .. res .. '","bed_id":"' .. bed.id .. '","rules_acknowledged":true}')
end

-- true when the response was one of ours
function bench.pair_response(status, headers, body)
   local rid = headers["X-Request-Id"] or headers["x-request-id"]
   if not rid then return false end
   local kind, f = rid:match("^(c[io])%-(%d+)$")
   if not kind then return false end
   f = tonumber(f)
   if kind == "ci" and status == 201 then
      local id = body:match('"id"%s*:%s*"([%x%-]+)"')
      if id then
         push(pairs_state.stays, { id = id, f = f })
         return true
      end
   end
   -- a check-out (whatever its answer) or a failed check-in frees the bed
   push(pairs_state.free, f)
   return true
end

return bench
