-- @noindex
-- SemanticAudio: pick an edit preset from the engine, then edit the selected items.
-- Packaged by "SemanticAudio - Generate at edit cursor.lua" (its @provides list).
local dir = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local SA = dofile(dir .. "semanticaudio_lib.lua")
SA.action_edit_with_preset()
