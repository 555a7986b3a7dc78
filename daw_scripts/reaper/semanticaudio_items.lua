-- @noindex
-- SemanticAudio for REAPER: what an item plays, and putting results back into the project
-- (part of semanticaudio_lib). Times: item/project times in project seconds, source times in
-- seconds of the source file; a take plays source time STARTOFFS + t * PLAYRATE at item time t.
return function(SA)
  SA.EPSILON_S = 1e-6

  --- The file behind a source and where `source` starts inside it, walking section sources
  --- (GetMediaSourceParent) down to the file. Returns file, offset_s, or nil and a message.
  function SA.root_source(source)
    local offset_s = 0
    local parent = reaper.GetMediaSourceParent(source)
    while parent do
      local is_section, section_offset_s, _, reversed = reaper.PCM_Source_GetSectionInfo(source)
      if reversed then
        return nil, "its take is reversed; un-reverse it (or glue it) and try again"
      end
      if is_section then offset_s = offset_s + section_offset_s end
      source, parent = parent, reaper.GetMediaSourceParent(parent)
    end
    local file = reaper.GetMediaSourceFileName(source, "")
    if not file or file == "" then return nil, "its source is not a file on disk" end
    return file, offset_s
  end

  --- Why REAPER plays `take` in a way that sending its file span would not reproduce (take
  --- channel modes that pick channels, stretch markers), or nil when it plays the file as is.
  --- I_CHANMODE: 0 normal, 1 reverse stereo, 2 downmix; 3 left, 4 right and larger values pick
  --- single channels or pairs. The engine hears a mono mix of every channel of the file, so
  --- normal, reversed and downmix all send what is heard; a pick of some channels would not.
  local function playback_problem(take, source)
    local markers = reaper.GetTakeNumStretchMarkers(take)
    if markers > 0 then
      return ("its take has %d stretch marker%s, which change its timing; remove them (or " ..
        "glue the item: Item > Glue items) and try again"):format(markers,
        markers == 1 and "" or "s")
    end
    local chanmode = reaper.GetMediaItemTakeInfo_Value(take, "I_CHANMODE")
    local channels = reaper.GetMediaSourceNumChannels(source)
    local whole_file = chanmode <= 2 or (chanmode == 3 and channels == 1)
    if not whole_file then
      return ("its take plays only some channels of its %d-channel source (take channel " ..
        "mode); set the channel mode to Normal or Mono (Mix L+R) in the item properties, or " ..
        "glue the item (Item > Glue items), and try again"):format(channels)
    end
    return nil
  end

  --- What `take` of `item` plays, as a span of its file:
  --- { item, take, file, start_s, length_s, playrate, position_s, item_length_s }.
  --- Returns nil and a reason when it cannot be sent (MIDI, reversed, looped, stretch
  --- markers, a channel mode that picks channels, ...).
  local function take_span(item, take)
    if reaper.TakeIsMIDI(take) then return nil, "it is a MIDI item" end
    local source = reaper.GetMediaItemTake_Source(take)
    local problem = playback_problem(take, source)
    if problem then return nil, problem end
    local offset_s = reaper.GetMediaItemTakeInfo_Value(take, "D_STARTOFFS")
    local playrate = reaper.GetMediaItemTakeInfo_Value(take, "D_PLAYRATE")
    local item_length_s = reaper.GetMediaItemInfo_Value(item, "D_LENGTH")
    local length_s = item_length_s * playrate -- source seconds the item plays
    local source_length_s = reaper.GetMediaSourceLength(source)
    if offset_s < -SA.EPSILON_S or offset_s + length_s > source_length_s + 1e-4 then
      return nil, ("it plays %.3f..%.3f s of a %.3f s source (looped or extended past the " ..
        "source); trim or glue it first"):format(offset_s, offset_s + length_s, source_length_s)
    end
    local file, section_offset_s = SA.root_source(source)
    if not file then return nil, section_offset_s end
    return { item = item, take = take, file = file, start_s = section_offset_s + offset_s,
             length_s = length_s, playrate = playrate, item_length_s = item_length_s,
             position_s = reaper.GetMediaItemInfo_Value(item, "D_POSITION") }
  end

  --- What the active take of `item` plays, as a span of its file (see take_span), or nil and
  --- a reason when the item cannot be sent.
  function SA.audible_span(item)
    local take = reaper.GetActiveTake(item)
    if not take then return nil, "it has no active take" end
    return take_span(item, take)
  end

  SA.SPAN_TOLERANCE_S = 1e-4 -- the engine's result may be this much shorter than the span

  --- Where the edit of `span` goes in its take now. The user may have trimmed the item or
  --- changed the take's playrate while the engine worked: the new take starts at
  --- startoffs_s into the edited file (which holds exactly the span that was sent) and plays
  --- at the take's current playrate, so it lines up with what the take plays now. Returns
  --- { startoffs_s, playrate }, or nil and why the edit no longer covers the item.
  function SA.edit_placement(span)
    local now, why = take_span(span.item, span.take)
    if now and now.file ~= span.file then why = "its take plays another file now" end
    if now and not why then
      local startoffs_s = now.start_s - span.start_s
      local tolerance_s = SA.SPAN_TOLERANCE_S
      if startoffs_s >= -tolerance_s
          and startoffs_s + now.length_s <= span.length_s + tolerance_s then
        return { startoffs_s = math.max(0, startoffs_s), playrate = now.playrate }
      end
      why = ("it now plays %.3f..%.3f s of its source, the edit covers %.3f..%.3f s"):format(
        now.start_s, now.start_s + now.length_s, span.start_s, span.start_s + span.length_s)
    end
    return nil, "the item was trimmed, extended or changed while the engine worked (" .. why ..
      "); insert the edited file by hand if you still want it"
  end

  --- A region edit inside `span` when the time selection [sel_start_s, sel_end_s) covers part,
  --- but not all, of the item. Returns { start_s, end_s } in source seconds from the span's
  --- start (sa-client's --range A B), or nil for a whole-item edit.
  function SA.region_in_span(span, sel_start_s, sel_end_s)
    if sel_end_s - sel_start_s <= SA.EPSILON_S then return nil end
    local item_end_s = span.position_s + span.item_length_s
    local from_s = math.max(sel_start_s, span.position_s)
    local to_s = math.min(sel_end_s, item_end_s)
    if to_s - from_s <= SA.EPSILON_S then return nil end -- the selection misses the item
    if from_s - span.position_s <= SA.EPSILON_S and item_end_s - to_s <= SA.EPSILON_S then
      return nil -- it covers the whole item
    end
    return { start_s = (from_s - span.position_s) * span.playrate,
             end_s = (to_s - span.position_s) * span.playrate }
  end

  --- The time selection as start, end (equal when there is none).
  function SA.time_selection()
    return reaper.GetSet_LoopTimeRange(false, false, 0, 0, false)
  end

  --- The track new items go on: the first selected track, else the last touched one.
  function SA.target_track()
    return reaper.GetSelectedTrack(0, 0) or reaper.GetLastTouchedTrack()
  end

  --- Where results are written: the setting, else the project's media folder (created).
  function SA.output_dir(settings)
    local dir = settings.out_dir ~= "" and settings.out_dir or reaper.GetProjectPath("")
    reaper.RecursiveCreateDirectory(dir, 0)
    return dir
  end

  local function name_take(take, name)
    reaper.GetSetMediaItemTakeInfo_String(take, "P_NAME", name, true)
  end

  --- Destroy sources from SA.open_sources that will not be put into the project.
  function SA.close_sources(opened)
    for _, file in ipairs(opened) do reaper.PCM_Source_Destroy(file.source) end
  end

  --- Open every file as a source before the project changes, so that a file REAPER cannot
  --- read leaves the project as it was. Returns a list of { path, source, length_s }, or nil
  --- and why (the sources opened so far are destroyed again).
  function SA.open_sources(paths)
    local opened = {}
    for _, path in ipairs(paths) do
      local source = reaper.file_exists(path) and reaper.PCM_Source_CreateFromFile(path) or nil
      local length_s = source and reaper.GetMediaSourceLength(source) or 0
      if length_s <= 0 then
        if source then reaper.PCM_Source_Destroy(source) end
        SA.close_sources(opened)
        return nil, ("REAPER could not open %s (missing, empty or not audio)"):format(path)
      end
      opened[#opened + 1] = { path = path, source = source, length_s = length_s }
    end
    return opened
  end

  --- A new take on `item` playing one opened file, named `name` (numbered when there are
  --- several files).
  local function add_file_take(item, file, name, index, count)
    local take = reaper.AddTakeToMediaItem(item)
    reaper.SetMediaItemTake_Source(take, file.source)
    name_take(take, count > 1 and ("%s (%d)"):format(name, index) or name)
    return take
  end

  --- Put generated files (opened with SA.open_sources) at `position_s` on `track`: one item,
  --- one take per file (variations), the first take active, the item as long as the longest
  --- file. Changes the project: call inside an undo block. Returns the item.
  function SA.insert_generated(track, position_s, opened, name)
    local item = reaper.AddMediaItemToTrack(track)
    local first_take, longest_s = nil, 0
    for i, file in ipairs(opened) do
      local take = add_file_take(item, file, name, i, #opened)
      first_take = first_take or take
      longest_s = math.max(longest_s, file.length_s)
    end
    reaper.SetMediaItemInfo_Value(item, "D_POSITION", position_s)
    reaper.SetMediaItemInfo_Value(item, "D_LENGTH", longest_s)
    reaper.SetActiveTake(first_take)
    reaper.UpdateItemInProject(item)
    return item
  end

  --- Take settings the new take copies from the original so that it plays like it: pitch
  --- (it lines up, with the span's playrate), channel mode, volume (with its polarity) and pan
  --- (it sits in the mix the same way).
  local COPIED_TAKE_SETTINGS = { "B_PPITCH", "D_PITCH", "I_CHANMODE", "D_VOL", "D_PAN" }

  --- Why the edit of `span` can no longer be added (the user deleted its item or take while
  --- the engine worked), or nil.
  function SA.span_gone(span)
    if not reaper.ValidatePtr2(0, span.item, "MediaItem*") then
      return "the item was deleted while the engine worked"
    end
    if not reaper.ValidatePtr2(0, span.take, "MediaItem_Take*") then
      return "its take was deleted while the engine worked"
    end
    return nil
  end

  --- Add each edited file (opened with SA.open_sources) to `span.item` as a new take placed
  --- as SA.edit_placement said, with the original take's COPIED_TAKE_SETTINGS, the first one
  --- active; the original take stays. Changes the project: call inside an undo block, after
  --- SA.span_gone said nothing. Returns the first new take.
  function SA.add_edit_takes(span, opened, name, placement)
    local first_take
    for i, file in ipairs(opened) do
      local take = add_file_take(span.item, file, name, i, #opened)
      reaper.SetMediaItemTakeInfo_Value(take, "D_STARTOFFS", placement.startoffs_s)
      reaper.SetMediaItemTakeInfo_Value(take, "D_PLAYRATE", placement.playrate)
      for _, key in ipairs(COPIED_TAKE_SETTINGS) do
        reaper.SetMediaItemTakeInfo_Value(take, key, reaper.GetMediaItemTakeInfo_Value(
          span.take, key))
      end
      first_take = first_take or take
    end
    reaper.SetActiveTake(first_take)
    reaper.UpdateItemInProject(span.item)
    return first_take
  end

  --- Where the user finds `item`, for messages: its active take's name, its track number and
  --- its position in the project's time format, e.g. `"scene 4" on track 2 at 1:12.500`.
  --- (Selection order is invisible, and items cut from one recording share a file name.)
  function SA.describe_item(item)
    local take = reaper.GetActiveTake(item)
    local name = take and SA.short_name(reaper.GetTakeName(take), 40) or ""
    local track = reaper.GetMediaTrackInfo_Value(reaper.GetMediaItem_Track(item), "IP_TRACKNUMBER")
    local position = reaper.format_timestr_pos(reaper.GetMediaItemInfo_Value(item, "D_POSITION"),
                                               "", -1)
    local where = ("on track %d at %s"):format(math.floor(track), position)
    if name == "" then return where end
    return ('"%s" %s'):format(name, where)
  end

  --- The selected media items, in selection order.
  function SA.selected_items()
    local items = {}
    for i = 0, reaper.CountSelectedMediaItems(0) - 1 do
      items[#items + 1] = reaper.GetSelectedMediaItem(0, i)
    end
    return items
  end
end
