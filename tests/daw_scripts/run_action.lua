-- Run one REAPER action script in plain Lua 5.4 against the stand-in, the way REAPER would:
-- the script runs once, then every function it passed to reaper.defer runs on the next cycle
-- until none is left, then the atexit functions run.
--   lua5.4 run_action.lua SCENARIO.lua SCRIPT.lua OUT.json
-- SCENARIO.lua returns a table (see daw_reaper_harness.py); OUT.json receives the dump.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local standin = dofile(here .. "reaper_standin.lua")
local scenario_path, script_path, out_path = arg[1], arg[2], arg[3]
assert(scenario_path and script_path and out_path, "usage: run_action.lua SCENARIO SCRIPT OUT")

local scenario = dofile(scenario_path)
local state = standin.install(scenario)
local max_ticks = scenario.max_ticks or 3000

local ok, problem = xpcall(dofile, debug.traceback, script_path)
while ok and #state.deferred > 0 and state.clock.tick < max_ticks do
  ok, problem = xpcall(standin.advance, debug.traceback, state)
end
local timed_out = ok and #state.deferred > 0
for _, fn in ipairs(state.atexit) do
  local exit_ok, exit_problem = xpcall(fn, debug.traceback)
  if ok and not exit_ok then ok, problem = false, exit_problem end
end
standin.dump(state, out_path, { error = not ok and problem or nil, timed_out = timed_out })
