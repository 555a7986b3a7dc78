-- @noindex
-- SemanticAudio: engine host and port, sa-client path, timeout, output folder.
-- Packaged by "SemanticAudio - Generate at edit cursor.lua" (its @provides list).
local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local SA = dofile(dir .. "semanticaudio_lib.lua")
SA.action_settings()
