-- @noindex
-- SemanticAudio: is sa-engine running, what does it run, what is queued.
-- Packaged by "SemanticAudio - Generate at edit cursor.lua" (its @provides list).
local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local SA = dofile(dir .. "semanticaudio_lib.lua")
SA.action_status()
