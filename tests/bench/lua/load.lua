-- wrk script for `make bench` (tests/bench/wrk.py writes the settings file named by the first argument).
-- Settings, one "name value" per line: method, path or paths (a file of paths, one per line, cycled), body (with
-- @KEY@ replaced by a key unique to this request) or bodies (a file of bodies, one per line, each sent once),
-- header (repeatable, "Name: value"), accept (the status of an accepted request) and accept_location (a string
-- its Location header must contain).
-- done() prints "WRK <name> <value>" lines: statuses, accepted, latency percentiles, whether bodies ran out.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local function read_lines(name)
  local lines = {}
  for line in io.lines(name) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

function init(args)
  local settings = {header = {}}
  for line in io.lines(args[1]) do
    local name, value = line:match("^(%S+) (.*)$")
    if name == "header" then table.insert(settings.header, value) elseif name then settings[name] = value end
  end
  method = settings.method or "GET"
  nonce = settings.nonce or "0"
  accept = tonumber(settings.accept or "200")
  accept_location = settings.accept_location
  template = settings.body
  paths = settings.paths and read_lines(settings.paths) or {settings.path or "/"}
  bodies = settings.bodies and read_lines(settings.bodies) or nil
  thread_count = tonumber(settings.threads or "1")
  for _, header in ipairs(settings.header) do
    local name, value = header:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  if template or bodies then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  counter = 0
  next_body = thread_id + 1  -- thread n sends bodies n, n + threads, n + 2 * threads ...
  statuses = {}
  accepted = 0
  exhausted = 0
end

function request()
  counter = counter + 1
  local path = paths[(counter - 1) % #paths + 1]
  if bodies then
    local body = bodies[next_body]
    if body == nil then
      exhausted = exhausted + 1
      return wrk.format("GET", "/healthz")
    end
    next_body = next_body + thread_count
    return wrk.format(method, path, nil, body)
  end
  if template then
    -- 32 hex digits, unique per run (nonce), thread and request: what the report form's idempotency key looks like
    local key = string.format("%s%02x%014x", nonce, thread_id, counter)
    return wrk.format(method, path, nil, (template:gsub("@KEY@", key)))
  end
  return wrk.format(method, path)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == accept and (accept_location == nil or (headers["Location"] or ""):find(accept_location, 1, true)) then
    accepted = accepted + 1
  end
end

function done(summary, latency, requests)
  local totals, total_accepted, total_exhausted = {}, 0, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
    total_accepted = total_accepted + thread:get("accepted")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  for status, count in pairs(totals) do io.write(string.format("WRK status_%d %d\n", status, count)) end
  io.write(string.format("WRK accepted %d\n", total_accepted))
  io.write(string.format("WRK exhausted %d\n", total_exhausted))
  io.write(string.format("WRK requests %d\n", summary.requests))
  io.write(string.format("WRK duration_us %d\n", summary.duration))
  io.write(string.format("WRK errors_connect %d\n", summary.errors.connect))
  io.write(string.format("WRK errors_read %d\n", summary.errors.read))
  io.write(string.format("WRK errors_write %d\n", summary.errors.write))
  io.write(string.format("WRK errors_timeout %d\n", summary.errors.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("WRK p%d_us %d\n", p, latency:percentile(p)))
  end
end
