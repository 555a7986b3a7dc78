-- @noindex
-- SemanticAudio: edit the audible audio of every selected item into a new take.
-- Packaged by "SemanticAudio - Generate at edit cursor.lua" (its @provides list).
local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local SA = dofile(dir .. "semanticaudio_lib.lua")
SA.action_edit()
