-- A recording stand-in for REAPER's `reaper` table (and the `gfx` table the progress window
-- uses). Every function follows the ReaScript Lua signature from REAPER's API reference: the
-- argument count and types are checked (a wrong call raises, as a mistyped call would in
-- REAPER), each call is recorded, and a small project model (tracks, items, takes, sources)
-- answers. Anything the stand-in does not define raises, so a script cannot silently call an
-- API this file has not modelled. Used by run_action.lua; see daw_reaper_harness.py.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local io_helpers = dofile(here .. "standin_io.lua")
local Processes = dofile(here .. "standin_processes.lua")
local build_reaper = dofile(here .. "standin_api.lua")

local M = {}

--------------------------------------------------------------------------- project model

local function new_handle(state, kind, fields)
  state.counters[kind] = (state.counters[kind] or 0) + 1
  fields.__kind = kind
  fields.__handle = ("%s#%d"):format(kind, state.counters[kind])
  state.live[fields] = true
  return fields
end

--- A PCM_source from a scenario description: { file = PATH [, length_s] },
--- { section = { offs, len, rev }, parent = <source> } or { midi = true }.
function M.make_source(state, spec)
  if spec.midi then return new_handle(state, "PCM_source", { midi = true, length_s = 4 }) end
  if spec.section then
    local parent = M.make_source(state, spec.parent)
    return new_handle(state, "PCM_source", { parent = parent, offs = spec.section.offs,
                      length_s = spec.section.len, reversed = spec.section.rev or false })
  end
  local info = io_helpers.wav_info(spec.file)
  local length_s = spec.length_s or (info and info.length_s)
  if not length_s then return nil end
  return new_handle(state, "PCM_source", { file = spec.file, length_s = length_s,
                    rate = info and info.sample_rate_hz or 48000,
                    channels = info and info.channels or 1 })
end

--- A take; REAPER's defaults for a new take unless `spec` says otherwise. `stretch_markers`
--- is how many the take has (GetTakeNumStretchMarkers).
local function make_take(state, item, spec)
  return new_handle(state, "MediaItem_Take", {
    item = item, name = spec.name or "", startoffs = spec.startoffs or 0,
    playrate = spec.playrate or 1, ppitch = spec.ppitch or 1, pitch = spec.pitch or 0,
    chanmode = spec.chanmode or 0, vol = spec.vol or 1, pan = spec.pan or 0,
    stretch_markers = spec.stretch_markers or 0,
    source = spec.source and M.make_source(state, spec.source) or nil })
end

local function make_item(state, track, spec)
  local item = new_handle(state, "MediaItem", { track = track, position = spec.position or 0,
                          length = spec.length or 0, selected = spec.selected or false,
                          fadein = spec.fadein or 0, fadeout = spec.fadeout or 0,
                          takes = {} })
  for i, take_spec in ipairs(spec.takes or {}) do item.takes[i] = make_take(state, item, take_spec) end
  item.active = item.takes[spec.active or 1]
  return item
end

--- REAPER's SplitMediaItem(item, position): "the original item becomes the left-hand split,
--- the function returns the right-hand split (or NULL if the split failed)", which it does
--- when `position_s` is not strictly inside the item (or when the scenario says
--- split_fails). The right part is a new item on the same track, just after the original in
--- its list, with the item's settings (selection), its fade-out (the left part keeps the
--- fade-in; the new edges get none: REAPER's "overlap and crossfade items when splitting"
--- and default-fade preferences off) and a copy of every take, each with its start offset
--- moved by the split at its own playrate and the same take active. Stretch markers are not
--- split: a copy keeps the count (the actions refuse takes that have any).
function M.split_item(state, item, position_s)
  local item_end_s = item.position + item.length
  if state.scenario.split_fails or position_s <= item.position or position_s >= item_end_s then
    return nil
  end
  local right = new_handle(state, "MediaItem", { track = item.track, position = position_s,
                           length = item_end_s - position_s, selected = item.selected,
                           fadein = 0, fadeout = item.fadeout, takes = {} })
  for i, take in ipairs(item.takes) do
    local copy = {}
    for key, value in pairs(take) do
      if key ~= "__kind" and key ~= "__handle" then copy[key] = value end
    end
    copy.item = right
    copy.startoffs = take.startoffs + (position_s - item.position) * take.playrate
    right.takes[i] = new_handle(state, "MediaItem_Take", copy)
    if take == item.active then right.active = right.takes[i] end
  end
  item.length, item.fadeout = position_s - item.position, 0
  local items = item.track.items
  for i, other in ipairs(items) do
    if other == item then table.insert(items, i + 1, right) break end
  end
  return right
end

local function build_project(state, project)
  state.tracks = {}
  for t, track_spec in ipairs(project.tracks or {}) do
    local track = new_handle(state, "MediaTrack", { name = track_spec.name or ("Track " .. t),
                             selected = track_spec.selected or false, items = {} })
    for i, item_spec in ipairs(track_spec.items or {}) do
      track.items[i] = make_item(state, track, item_spec)
    end
    state.tracks[t] = track
  end
  state.last_touched = project.last_touched_track and state.tracks[project.last_touched_track]
end

--------------------------------------------------------------------------------- install

local function real_now()
  local handle = io.open("/proc/uptime", "r")
  if not handle then return os.time() end
  local seconds = handle:read("n")
  handle:close()
  return seconds
end


--- Build the stand-in for `scenario` and install `reaper` and `gfx` as globals.
function M.install(scenario)
  local state = {
    scenario = scenario, counters = {}, live = setmetatable({}, { __mode = "k" }),
    calls = {}, message_boxes = {}, dialogs = {}, undo = {}, undo_depth = 0, console = {},
    deferred = {}, atexit = {}, ext = {}, clock = { tick = 0, now = 1000.0 },
    gfx_log = { inits = {}, texts = {}, text_seen = {}, menus = {}, quits = 0 },
    inputs = scenario.inputs or {}, menu_answers = scenario.menu or {},
    box_answers = scenario.message_box_answers or {},
  }
  local project = scenario.project or {}
  state.cursor = project.cursor or 0
  state.time_selection = project.time_selection or { 0, 0 }
  if scenario.mode == "real" then state.clock.now = real_now() end -- real processes, real time
  for key, value in pairs(scenario.ext or {}) do state.ext[key] = value end
  build_project(state, project)
  state.processes = Processes.new(scenario, state.clock)
  state.new_item = function(track) return make_item(state, track, {}) end
  state.new_take = function(item) return make_take(state, item, {}) end
  state.new_source = function(path) return M.make_source(state, { file = path }) end
  state.split_item = function(item, position_s) return M.split_item(state, item, position_s) end
  state.opened_sources = {} -- every PCM_Source_CreateFromFile answer, to find leaked ones
  _G.reaper, _G.gfx = build_reaper(state)
  return state
end

------------------------------------------------------------------------------- the clock

--- The user deletes items while a script defers: scenario.delete_items = { [tick] = { {track,
--- item}, ... } } (1-based indexes into the track's items at that moment). Like deleting in
--- REAPER, the item leaves its track and its handle and its takes' handles stop validating.
local function delete_items(state)
  local doomed = (state.scenario.delete_items or {})[state.clock.tick] or {}
  local items = {}
  for _, where in ipairs(doomed) do
    items[#items + 1] = assert(state.tracks[where[1]].items[where[2]], "no such item to delete")
  end
  for _, item in ipairs(items) do
    local track = item.track
    for i, other in ipairs(track.items) do
      if other == item then table.remove(track.items, i) break end
    end
    item.deleted = true
    for _, take in ipairs(item.takes) do take.deleted = true end
  end
end

--- The user changes items while a script defers: scenario.change_items = { [tick] = { { track =
--- T, item = I, set_item = { position, length }, set_take = { startoffs, playrate, ... } },
--- ... } } (1-based indexes into the track's items; set_take changes the active take), like
--- trimming an edge or changing the playrate in REAPER. Fields as in make_item and make_take.
local function change_items(state)
  for _, change in ipairs((state.scenario.change_items or {})[state.clock.tick] or {}) do
    local item = assert(state.tracks[change.track].items[change.item], "no such item to change")
    for key, value in pairs(change.set_item or {}) do item[key] = value end
    for key, value in pairs(change.set_take or {}) do item.active[key] = value end
  end
end

--- One defer cycle: time moves on (1/30 s simulated, or real time in "real" mode), simulated
--- processes advance, the scenario's deletions and changes happen, then the functions deferred
--- during the last cycle run.
function M.advance(state)
  state.clock.tick = state.clock.tick + 1
  if state.scenario.mode == "real" then
    os.execute("sleep 0.05")
    state.clock.now = real_now()
  else
    state.clock.now = state.clock.now + 1 / 30
  end
  state.processes:advance()
  delete_items(state)
  change_items(state)
  local pending = state.deferred
  state.deferred = {}
  for _, fn in ipairs(pending) do fn() end
end

------------------------------------------------------------------------------------ dump

local function take_report(take)
  local source = take.source
  local root = source
  while root and root.parent do root = root.parent end
  return { handle = take.__handle, name = take.name, startoffs = take.startoffs,
           playrate = take.playrate, ppitch = take.ppitch, pitch = take.pitch,
           chanmode = take.chanmode, vol = take.vol, pan = take.pan,
           file = root and root.file, source_length_s = source and source.length_s }
end

local function project_report(state)
  local tracks = {}
  for t, track in ipairs(state.tracks) do
    local items = {}
    for i, item in ipairs(track.items) do
      local takes, active = {}, 0
      for k, take in ipairs(item.takes) do
        takes[k] = take_report(take)
        if take == item.active then active = k end
      end
      items[i] = { handle = item.__handle, position = item.position, length = item.length,
                   fadein = item.fadein, fadeout = item.fadeout, selected = item.selected,
                   takes = takes, active_take = active }
    end
    tracks[t] = { handle = track.__handle, name = track.name, items = items }
  end
  return tracks
end

--- Files opened with PCM_Source_CreateFromFile that no take plays and nobody destroyed.
local function leaked_sources(state)
  local used = {}
  for _, track in ipairs(state.tracks) do
    for _, item in ipairs(track.items) do
      for _, take in ipairs(item.takes) do
        if take.source then used[take.source] = true end
      end
    end
  end
  local leaked = {}
  for _, source in ipairs(state.opened_sources) do
    if not used[source] and not source.destroyed then leaked[#leaked + 1] = source.file end
  end
  return leaked
end

--- Write everything the run did as JSON to `path`. `undo_open` counts the undo blocks still
--- open at the end (a begin without its end).
function M.dump(state, path, extra)
  local report = {
    calls = state.calls, message_boxes = state.message_boxes, dialogs = state.dialogs,
    undo = state.undo, undo_open = state.undo_depth, leaked_sources = leaked_sources(state),
    console = state.console, ext = state.ext,
    processes = state.processes:report(), tracks = project_report(state),
    gfx = { inits = state.gfx_log.inits, texts = state.gfx_log.texts,
            menus = state.gfx_log.menus, quits = state.gfx_log.quits },
    ticks = state.clock.tick,
  }
  for key, value in pairs(extra or {}) do report[key] = value end
  local handle = assert(io.open(path, "wb"))
  handle:write(io_helpers.encode(report))
  handle:close()
end

return M
