-- @noindex
--[[
SemanticAudio for REAPER: the helper module every SemanticAudio action loads (ReaPack installs it
as [nomain]). It assembles its parts, which live beside it:
  semanticaudio_util.lua     settings (ExtState), text helpers, shell quoting
  semanticaudio_json.lua     reading sa-client's JSON
  semanticaudio_jobs.lua     sa-client in the background: ExecProcess(cmd, -1) + result files
  semanticaudio_ui.lua       dialogs, the progress window, the reaper.defer loop
  semanticaudio_items.lua    an item's audible source span; inserting results
  semanticaudio_actions.lua  generate and edit
  semanticaudio_engine.lua   presets, engine status, settings
Usage from an action script in the same folder:
  local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
  local SA = dofile(dir .. "semanticaudio_lib.lua")
  SA.action_generate()
All talk with the engine goes through the documented sa-client command line; nothing here knows
about models or OSC.
]]
local SA = { VERSION = "0.1.0" }
SA.dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""

for _, part in ipairs({ "util", "json", "jobs", "ui", "items", "actions", "engine" }) do
  dofile(SA.dir .. "semanticaudio_" .. part .. ".lua")(SA)
end

return SA
