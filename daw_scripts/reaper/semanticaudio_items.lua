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
  SA.MAX_EDIT_S = 30.0 -- the longest audio the engine edits (engine/limits.py MAX_DURATION_S)
  SA.SPLIT_MARGIN_S = 0.25 -- a window edit splits this far inside the window (window_placement)
  -- The engine splices a region edit into the source with a crossfade this long, centred on
  -- each side of the range (engine/regions.py CROSSFADE_S): outside [A - SPLICE_S / 2,
  -- B + SPLICE_S / 2] the edited file is the source, so a split must lie there to join unseen.
  SA.SPLICE_S = 0.02

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

  --- The source seconds a window edit keeps on each side of `region` (source seconds from the
  --- start of `span`) for its splits: SA.SPLIT_MARGIN_S of item time, or what the item has
  --- there when that is less (then the window reaches the item's edge and needs no split).
  local function split_room(span, region)
    local margin_s = SA.SPLIT_MARGIN_S * span.playrate
    return math.min(margin_s, region.start_s), math.min(margin_s, span.length_s - region.end_s)
  end

  --- Where a window of SA.MAX_EDIT_S source seconds around `region` starts, in seconds from
  --- the start of `span`: the region and its split room (split_room), with the rest of the
  --- window shared out on both sides, moved inwards where it would pass the span's start or
  --- end. The region and its room must fit in the window (SA.plan_edit checks).
  local function window_offset(span, region)
    local room_left_s, room_right_s = split_room(span, region)
    local spare_s = SA.MAX_EDIT_S - (region.end_s - region.start_s) - room_left_s - room_right_s
    local offset_s = region.start_s - room_left_s - spare_s / 2
    return math.max(0, math.min(offset_s, span.length_s - SA.MAX_EDIT_S))
  end

  --- Why an item that plays more than SA.MAX_EDIT_S cannot be sent whole, and how long a
  --- time selection in its middle may be (item seconds; split_room on both sides).
  local function too_long(span)
    local most_s = SA.MAX_EDIT_S / span.playrate - 2 * SA.SPLIT_MARGIN_S
    return ("it plays %.3f s of audio and the engine edits at most %g s at a time; make a " ..
      "time selection of at most %.3f s inside it to edit that part (the rest of the item " ..
      "stays as it is), or split the item, and try again"):format(span.length_s,
      SA.MAX_EDIT_S, most_s)
  end

  --- Why the part of a long item inside the time selection is too long to edit: with the
  --- split room on both sides it would not fit in the most the engine edits at once.
  local function selection_too_long(span, selected_s, most_s)
    local at_rate = span.playrate == 1 and "" or
                    (" (%.3f s of item at playrate %g)"):format(selected_s / span.playrate,
                                                               span.playrate)
    return ("the time selection covers %.3f s of its audio%s and the engine edits at most " ..
      "%g s at a time, %g s of item kept on each side of the selection where the item goes " ..
      "on (the edit joins the item there); shorten the time selection to at most %.3f s of " ..
      "this item (edit a longer stretch in several parts) and try again"):format(selected_s,
      at_rate, SA.MAX_EDIT_S, SA.SPLIT_MARGIN_S, most_s / span.playrate)
  end

  --- Decide what of `span` is sent, given the time selection [sel_start_s, sel_end_s), and
  --- note it in the span: span.sent = { start_s, length_s }, the part of the file sent (file
  --- seconds, sa-client's --start and --length), and span.region = { start_s, end_s }, the
  --- region edit in seconds from span.sent.start_s (--range A B), or nil for a whole edit.
  --- An item that plays at most SA.MAX_EDIT_S is sent whole, as it plays. A longer one sends
  --- only a window of SA.MAX_EDIT_S that holds the selection (span.windowed); its result goes
  --- back into that part of the item alone (SA.edit_placement). Returns the span, or nil and
  --- why it cannot be edited: a longer item without a selection inside it, or with more of
  --- it selected than fits in SA.MAX_EDIT_S with the split room on both sides (split_room).
  function SA.plan_edit(span, sel_start_s, sel_end_s)
    local region = SA.region_in_span(span, sel_start_s, sel_end_s)
    if span.length_s <= SA.MAX_EDIT_S then
      span.sent = { start_s = span.start_s, length_s = span.length_s }
      span.region = region
      return span
    end
    if not region then return nil, too_long(span) end
    local selected_s = region.end_s - region.start_s
    local room_left_s, room_right_s = split_room(span, region)
    local most_s = SA.MAX_EDIT_S - room_left_s - room_right_s
    if selected_s > most_s + SA.EPSILON_S then
      return nil, selection_too_long(span, selected_s, most_s)
    end
    local offset_s = window_offset(span, region)
    span.windowed = true
    span.sent = { start_s = span.start_s + offset_s, length_s = SA.MAX_EDIT_S }
    span.region = { start_s = math.max(0, region.start_s - offset_s),
                    end_s = math.min(SA.MAX_EDIT_S, region.end_s - offset_s) }
    return span
  end

  --- Where the result of a whole edit goes: the item must play nothing but what was sent.
  local function whole_placement(span, now)
    local startoffs_s = now.start_s - span.sent.start_s
    local tolerance_s = SA.SPAN_TOLERANCE_S
    if startoffs_s >= -tolerance_s
        and startoffs_s + now.length_s <= span.sent.length_s + tolerance_s then
      return { startoffs_s = math.max(0, startoffs_s), playrate = now.playrate }
    end
    return nil
  end

  --- Where the result of a window edit goes: into the part of the item that plays the window,
  --- split off where the item goes on past the window's edges (project seconds split_left_at,
  --- split_right_at). The splits lie SA.SPLIT_MARGIN_S of item time inside the window, and
  --- at least SA.SPLICE_S / 2 outside the edited range (closer to the window's edge when the
  --- playrate went up during the job): there the edited file holds the source's own samples,
  --- so the parts join without a seam even when REAPER's split preferences overlap and
  --- crossfade them, and the middle part never plays past the end of the edited file.
  --- Returns nil when the item no longer plays any of what was edited.
  local function window_placement(span, now)
    local tolerance_s = SA.SPAN_TOLERANCE_S
    local margin_s = SA.SPLIT_MARGIN_S * now.playrate -- source seconds
    local outside_s = SA.SPLICE_S / 2
    local sent_end_s = span.sent.start_s + span.sent.length_s
    local now_end_s = now.start_s + now.length_s
    local split_left = now.start_s < span.sent.start_s - tolerance_s
    local split_right = now_end_s > sent_end_s + tolerance_s
    local left_s = math.max(0, math.min(margin_s, span.region.start_s - outside_s))
    local right_s = math.min(span.sent.length_s, math.max(span.sent.length_s - margin_s,
                                                          span.region.end_s + outside_s))
    local from_s = split_left and span.sent.start_s + left_s or now.start_s
    local to_s = split_right and span.sent.start_s + right_s or now_end_s
    if to_s - from_s <= tolerance_s then return nil end
    local function project_s(source_s)
      return now.position_s + (source_s - now.start_s) / now.playrate
    end
    return { startoffs_s = math.max(0, from_s - span.sent.start_s), playrate = now.playrate,
             split_left_at = split_left and project_s(from_s) or nil,
             split_right_at = split_right and project_s(to_s) or nil }
  end

  --- Where the edit of `span` (planned by SA.plan_edit) goes in its take now. The user may
  --- have trimmed the item or changed the take's playrate while the engine worked: the new
  --- take starts at startoffs_s into the edited file (which holds exactly span.sent) and
  --- plays at the take's current playrate, so it lines up with what the take plays now; a
  --- window edit also says where to split the item (split_left_at, split_right_at, project
  --- seconds, each nil when not needed). Returns { startoffs_s, playrate, split_left_at,
  --- split_right_at }, or nil and why the edit no longer fits the item.
  function SA.edit_placement(span)
    local now, why = take_span(span.item, span.take)
    if now and now.file ~= span.file then why = "its take plays another file now" end
    if now and not why then
      local placement = (span.windowed and window_placement or whole_placement)(span, now)
      if placement then return placement end
      why = ("it now plays %.3f..%.3f s of its source, the edit covers %.3f..%.3f s"):format(
        now.start_s, now.start_s + now.length_s, span.sent.start_s,
        span.sent.start_s + span.sent.length_s)
    end
    return nil, "the item was trimmed, extended or changed while the engine worked (" .. why ..
      "); insert the edited file by hand if you still want it"
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

  --- The part of `item` the edit goes into: the item itself, or for a window edit the middle
  --- part after splitting it at placement.split_right_at, then at placement.split_left_at
  --- (SplitMediaItem keeps the left part in `item` and returns the right one; each part keeps
  --- every take, its start offset moved by the split). Returns nil and where it failed when
  --- REAPER does not split (a position not strictly inside the item).
  local function edit_target(item, placement)
    local right_at, left_at = placement.split_right_at, placement.split_left_at
    if right_at and not reaper.SplitMediaItem(item, right_at) then return nil, right_at end
    if not left_at then return item end
    local middle = reaper.SplitMediaItem(item, left_at)
    if not middle then return nil, left_at end
    return middle
  end

  --- Add each edited file (opened with SA.open_sources) to `span.item` as a new take placed
  --- as SA.edit_placement said, with the original take's COPIED_TAKE_SETTINGS, the first one
  --- active; the original take stays. A window edit splits the item first and adds the takes
  --- to its middle part only. Changes the project: call inside an undo block, after
  --- SA.span_gone said nothing. Returns the first new take, or nil and why nothing was added
  --- (`opened` is then still to be closed).
  function SA.add_edit_takes(span, opened, name, placement)
    local item, failed_at = edit_target(span.item, placement)
    if not item then
      return nil, ("REAPER did not split the item at %s"):format(
        reaper.format_timestr_pos(failed_at, "", -1))
    end
    local first_take
    for i, file in ipairs(opened) do
      local take = add_file_take(item, file, name, i, #opened)
      reaper.SetMediaItemTakeInfo_Value(take, "D_STARTOFFS", placement.startoffs_s)
      reaper.SetMediaItemTakeInfo_Value(take, "D_PLAYRATE", placement.playrate)
      for _, key in ipairs(COPIED_TAKE_SETTINGS) do
        reaper.SetMediaItemTakeInfo_Value(take, key, reaper.GetMediaItemTakeInfo_Value(
          span.take, key))
      end
      first_take = first_take or take
    end
    reaper.SetActiveTake(first_take)
    reaper.UpdateItemInProject(item)
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
