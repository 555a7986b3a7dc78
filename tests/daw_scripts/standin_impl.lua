-- What each stand-in function does to the project model (arguments are already checked).
return function(state, io_helpers)
  local impl = {}
  local scenario = state.scenario

  local function all_items()
    local list = {}
    for _, track in ipairs(state.tracks) do
      for _, item in ipairs(track.items) do list[#list + 1] = item end
    end
    return list
  end

  local function root_of(source)
    while source and source.parent do source = source.parent end
    return source
  end

  ------------------------------------------------------------------- items and takes

  impl["reaper.CountSelectedMediaItems"] = function()
    local count = 0
    for _, item in ipairs(all_items()) do if item.selected then count = count + 1 end end
    return count
  end
  impl["reaper.GetSelectedMediaItem"] = function(_, index)
    local seen = -1
    for _, item in ipairs(all_items()) do
      if item.selected then
        seen = seen + 1
        if seen == index then return item end
      end
    end
    return nil
  end
  impl["reaper.GetActiveTake"] = function(item) return item.active end
  impl["reaper.TakeIsMIDI"] = function(take)
    local root = root_of(take.source)
    return root ~= nil and root.midi == true
  end
  impl["reaper.GetMediaItemTake_Source"] = function(take) return take.source end
  impl["reaper.GetMediaItem_Track"] = function(item) return item.track end
  impl["reaper.GetTakeName"] = function(take) return take.name end
  impl["reaper.GetMediaTrackInfo_Value"] = function(track, parm)
    assert(parm == "IP_TRACKNUMBER", "the stand-in models only IP_TRACKNUMBER, got " .. parm)
    for i, other in ipairs(state.tracks) do
      if other == track then return i + 0.0 end -- 1-based, as a number like REAPER's
    end
    return 0.0 -- not found
  end
  --- Modes -1 (the project's format; the stand-in's project shows time) and 0: m:ss.mmm.
  impl["reaper.format_timestr_pos"] = function(position_s, _, mode)
    assert(mode == -1 or mode == 0, "the stand-in formats only modes -1 and 0, got " .. mode)
    local minutes = math.floor(position_s / 60)
    return ("%d:%06.3f"):format(minutes, position_s - 60 * minutes)
  end

  --- Every change to the project model must happen inside an open undo block: an action that
  --- changed the project without one would leave REAPER's undo history without its point.
  local function changes_project(name)
    if state.undo_depth == 0 then
      error(("reaper.%s changed the project outside Undo_BeginBlock2 ... Undo_EndBlock2"):format(
        name), 3)
    end
  end

  local ITEM_FIELDS = { D_POSITION = "position", D_LENGTH = "length", D_FADEINLEN = "fadein",
                        D_FADEOUTLEN = "fadeout" }
  -- I_CHANMODE: 0 normal, 1 reverse stereo, 2 downmix, 3 left, 4 right (larger values pick
  -- other channels of multichannel sources); D_VOL: 1 = +0 dB, negative = polarity flipped;
  -- D_PAN: -1..1.
  local TAKE_FIELDS = { D_STARTOFFS = "startoffs", D_PLAYRATE = "playrate", B_PPITCH = "ppitch",
                        D_PITCH = "pitch", I_CHANMODE = "chanmode", D_VOL = "vol",
                        D_PAN = "pan" }
  local function field(map, parm)
    return map[parm] or error("the stand-in does not model parameter " .. parm, 3)
  end
  impl["reaper.GetMediaItemInfo_Value"] = function(item, parm)
    return item[field(ITEM_FIELDS, parm)]
  end
  impl["reaper.SetMediaItemInfo_Value"] = function(item, parm, value)
    changes_project("SetMediaItemInfo_Value")
    item[field(ITEM_FIELDS, parm)] = value
    return true
  end
  impl["reaper.GetMediaItemTakeInfo_Value"] = function(take, parm)
    return take[field(TAKE_FIELDS, parm)]
  end
  impl["reaper.SetMediaItemTakeInfo_Value"] = function(take, parm, value)
    changes_project("SetMediaItemTakeInfo_Value")
    take[field(TAKE_FIELDS, parm)] = value
    return true
  end
  impl["reaper.GetSetMediaItemTakeInfo_String"] = function(take, parm, text, set)
    assert(parm == "P_NAME", "the stand-in models only P_NAME, got " .. parm)
    if set then
      changes_project("GetSetMediaItemTakeInfo_String")
      take.name = text
    end
    return true, take.name
  end
  impl["reaper.AddMediaItemToTrack"] = function(track)
    changes_project("AddMediaItemToTrack")
    local item = state.new_item(track)
    track.items[#track.items + 1] = item
    return item
  end
  impl["reaper.AddTakeToMediaItem"] = function(item)
    changes_project("AddTakeToMediaItem")
    local take = state.new_take(item)
    item.takes[#item.takes + 1] = take
    item.active = item.active or take
    return take
  end
  impl["reaper.SplitMediaItem"] = function(item, position_s)
    changes_project("SplitMediaItem")
    return state.split_item(item, position_s)
  end
  impl["reaper.SetMediaItemTake_Source"] = function(take, source)
    changes_project("SetMediaItemTake_Source")
    take.source = source
    return true
  end
  impl["reaper.SetActiveTake"] = function(take)
    changes_project("SetActiveTake")
    take.item.active = take
  end
  impl["reaper.GetTakeNumStretchMarkers"] = function(take) return take.stretch_markers end
  impl["reaper.ValidatePtr2"] = function(_, pointer, kind)
    return type(pointer) == "table" and state.live[pointer] == true
           and pointer.__kind == kind:gsub("%*$", "") and not pointer.deleted
  end

  ------------------------------------------------------------------------------ sources

  impl["reaper.GetMediaSourceFileName"] = function(source)
    return source.file or "" -- section and MIDI sources have no file of their own
  end
  impl["reaper.GetMediaSourceParent"] = function(source) return source.parent end
  impl["reaper.PCM_Source_GetSectionInfo"] = function(source)
    if source.parent then return true, source.offs, source.length_s, source.reversed end
    return false, 0, source.length_s, false
  end
  impl["reaper.GetMediaSourceLength"] = function(source) return source.length_s, false end
  impl["reaper.GetMediaSourceSampleRate"] = function(source) return root_of(source).rate or 0 end
  impl["reaper.GetMediaSourceNumChannels"] = function(source)
    return root_of(source).channels or 0
  end
  impl["reaper.PCM_Source_CreateFromFile"] = function(path)
    local source = state.new_source(path)
    state.opened_sources[#state.opened_sources + 1] = source
    return source
  end
  impl["reaper.PCM_Source_Destroy"] = function(source)
    for _, item in ipairs(all_items()) do
      for _, take in ipairs(item.takes) do
        assert(take.source ~= source, "PCM_Source_Destroy on a source that a take still plays")
      end
    end
    source.destroyed = true
  end

  ------------------------------------------------------------------------- tracks, time

  impl["reaper.GetSelectedTrack"] = function(_, index)
    local seen = -1
    for _, track in ipairs(state.tracks) do
      if track.selected then
        seen = seen + 1
        if seen == index then return track end
      end
    end
    return nil
  end
  impl["reaper.GetLastTouchedTrack"] = function() return state.last_touched end
  impl["reaper.GetCursorPosition"] = function() return state.cursor end
  impl["reaper.GetSet_LoopTimeRange"] = function(is_set, _, start_s, end_s)
    if is_set then state.time_selection = { start_s, end_s } end
    return state.time_selection[1], state.time_selection[2]
  end
  impl["reaper.time_precise"] = function() return state.clock.now end

  -------------------------------------------------------------------- paths and state

  impl["reaper.GetProjectPath"] = function() return scenario.project_path end
  impl["reaper.GetResourcePath"] = function() return scenario.resource_path end
  impl["reaper.RecursiveCreateDirectory"] = function(path)
    os.execute("mkdir -p '" .. path:gsub("'", "'\\''") .. "'")
    return 1
  end
  impl["reaper.file_exists"] = function(path)
    local handle = io.open(path, "rb")
    if handle then handle:close() end
    return handle ~= nil
  end
  impl["reaper.GetExtState"] = function(section, key)
    return state.ext[section .. "/" .. key] or ""
  end
  impl["reaper.SetExtState"] = function(section, key, value)
    assert(not value:find("[\r\n]"), "ExtState values must not hold line breaks")
    state.ext[section .. "/" .. key] = value
  end
  impl["reaper.HasExtState"] = function(section, key)
    return state.ext[section .. "/" .. key] ~= nil
  end
  impl["reaper.GetOS"] = function() return scenario.os or "Other" end
  impl["reaper.GetAppVersion"] = function() return "7.27/linux-x86_64" end

  ----------------------------------------------------------------------------- dialogs

  dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "") .. "standin_dialogs.lua")(
    state, impl)

  ------------------------------------------------------------------ undo, processes, defer

  -- Stricter than REAPER (which counts nested blocks): an action opens one block at a time and
  -- closes it in the same defer cycle, so a nested begin, an end without a begin, or a block
  -- left open across cycles is a bug. The harness also fails a run that ends with one open.
  impl["reaper.Undo_BeginBlock2"] = function()
    state.undo[#state.undo + 1] = { kind = "begin" }
    if state.undo_depth > 0 then error("Undo_BeginBlock2 inside an open undo block", 3) end
    state.undo_depth, state.undo_tick = 1, state.clock.tick
  end
  impl["reaper.Undo_EndBlock2"] = function(_, description, flags)
    state.undo[#state.undo + 1] = { kind = "end", description = description, flags = flags }
    if state.undo_depth == 0 then error("Undo_EndBlock2 without Undo_BeginBlock2", 3) end
    if state.undo_tick ~= state.clock.tick then
      error("an undo block was left open across defer cycles", 3)
    end
    state.undo_depth = 0
  end
  impl["reaper.UpdateArrange"] = function() end
  impl["reaper.UpdateItemInProject"] = function() end
  impl["reaper.PreventUIRefresh"] = function() end
  impl["reaper.ExecProcess"] = function(cmdline, timeout_ms)
    return state.processes:exec(cmdline, timeout_ms)
  end
  impl["reaper.defer"] = function(fn)
    state.deferred[#state.deferred + 1] = fn
    return true
  end
  impl["reaper.atexit"] = function(fn)
    state.atexit[#state.atexit + 1] = fn
    return true
  end
  return impl
end
