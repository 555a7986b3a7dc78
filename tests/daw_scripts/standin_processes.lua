-- The stand-in's reaper.ExecProcess: reads the script an action launched, records the sa-client
-- command line it holds, and either runs it for real in the background ("real" mode) or plays
-- the scenario's scripted answer into the files the real client would write ("simulate").
local io_helpers = dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "")
                          .. "standin_io.lua")

local Processes = {}
Processes.__index = Processes

local VALUE_OPTIONS = { ["--host"] = true, ["--port"] = true, ["--timeout"] = true,
                        ["--job-id"] = true, ["--result-file"] = true,
                        ["--progress-file"] = true }

--- sa-client's global options and command, checked against its documented command line.
local function parse_client_argv(argv)
  local parsed, i = { options = {}, json = false, program = argv[1] }, 2
  while i <= #argv do
    local word = argv[i]
    if VALUE_OPTIONS[word] then
      parsed.options[word:sub(3)] = assert(argv[i + 1], word .. " needs a value")
      i = i + 2
    elseif word == "--json" then
      parsed.json, i = true, i + 1
    else
      assert(word:sub(1, 2) ~= "--", "unknown sa-client global option " .. word)
      parsed.command = word
      parsed.args = table.move(argv, i + 1, #argv, 1, {})
      return parsed
    end
  end
  error("no sa-client command in: " .. table.concat(argv, " "))
end

--- The script path behind `/bin/sh "PATH"` and the client line and files inside it.
local function read_launch(cmdline)
  local words = io_helpers.shell_words(cmdline)
  assert(words[1] == "/bin/sh" and #words == 2, "unexpected ExecProcess command: " .. cmdline)
  local handle = assert(io.open(words[2], "rb"), "launched script missing: " .. words[2])
  local script = handle:read("a")
  handle:close()
  local launch = { script_path = words[2], script = script }
  for line in script:gmatch("[^\n]+") do
    local line_words = io_helpers.shell_words(line)
    if line_words[1] == "echo" then
      launch.exit_file = line_words[#line_words]
    elseif line:find(" 2> ", 1, true) and not line:find("^#") then
      local stdout_at = #line_words - 3
      assert(line_words[stdout_at] == ">" and line_words[stdout_at + 2] == "2>", line)
      launch.stdout_file, launch.stderr_file = line_words[stdout_at + 1], line_words[#line_words]
      launch.argv = table.move(line_words, 1, stdout_at - 1, 1, {})
    end
  end
  assert(launch.argv and launch.exit_file, "no client line in script:\n" .. script)
  return launch
end

function Processes.new(scenario, clock)
  return setmetatable({ scenario = scenario, clock = clock, list = {}, counts = {} }, Processes)
end

local function write(path, text)
  local handle = assert(io.open(path, "wb"))
  handle:write(text)
  handle:close()
end

--- Record one ExecProcess call; start or schedule what it runs. Returns ExecProcess's value.
function Processes:exec(cmdline, timeout_ms)
  local launch = read_launch(cmdline)
  local process = parse_client_argv(launch.argv)
  process.cmdline, process.timeout_ms, process.launch = cmdline, timeout_ms, launch
  process.argv, process.job_id = launch.argv, process.options["job-id"]
  process.started_tick = self.clock.tick
  self.list[#self.list + 1] = process
  if self.scenario.mode == "real" then
    process.mode = "real"
    os.execute(cmdline .. " >/dev/null 2>&1 &")
    return ""
  end
  process.mode = "simulate"
  self.counts[process.command] = (self.counts[process.command] or 0) + 1
  local specs = (self.scenario.simulate or {})[process.command]
  if process.command == "cancel" then specs = specs or { {} } end
  assert(specs, "the scenario has no simulated answer for sa-client " .. process.command)
  process.spec = specs[math.min(self.counts[process.command], #specs)]
  if process.command == "cancel" then self:deliver_cancel(process) end
  return ""
end

function Processes:deliver_cancel(process)
  if process.spec.ignore then return end -- an engine that never confirms
  for _, other in ipairs(self.list) do
    if other.job_id == process.args[1] and not other.finished then other.cancelled = true end
  end
end

local function finish(process, result, stdout, stderr, exit_code)
  if result then
    result.job_id = process.job_id
    write(process.options["result-file"], io_helpers.encode(result))
  end
  write(process.launch.stdout_file, stdout or "")
  write(process.launch.stderr_file, stderr or "")
  write(process.launch.exit_file, tostring(exit_code) .. "\n")
  process.finished = true
end

local function play(process, elapsed)
  local spec = process.spec
  if process.cancelled then
    return finish(process, { ok = false, code = "cancelled",
                             message = "job " .. process.job_id .. " was cancelled" }, "", "", 4)
  end
  local progress = spec.progress or {}
  if progress[elapsed] then
    write(process.options["progress-file"],
          ("%g %s\n"):format(progress[elapsed][1], progress[elapsed][2]))
  end
  if spec.hang or elapsed <= #progress then return end
  local result = spec.result
  if result == nil and spec.exit_code == nil then result = { ok = true, paths = {} } end
  local exit_code = spec.exit_code or ((result and result.ok) and 0 or 1)
  local copy = nil
  if result then
    copy = {}
    for key, value in pairs(result) do copy[key] = value end
  end
  finish(process, copy, spec.stdout, spec.stderr, exit_code)
end

--- Move every simulated process on by one tick.
function Processes:advance()
  for _, process in ipairs(self.list) do
    if process.mode == "simulate" and not process.finished then
      play(process, self.clock.tick - process.started_tick)
    end
  end
end

--- What the dump reports about each launch.
function Processes:report()
  local out = {}
  for i, process in ipairs(self.list) do
    out[i] = { cmdline = process.cmdline, timeout_ms = process.timeout_ms, argv = process.argv,
               command = process.command, args = process.args, options = process.options,
               json = process.json, mode = process.mode, job_id = process.job_id,
               cancelled = process.cancelled or false, script = process.launch.script }
  end
  return out
end

return Processes
