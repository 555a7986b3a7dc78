-- @noindex
-- SemanticAudio for REAPER: the actions themselves (part of semanticaudio_lib). Each asks,
-- starts background jobs through SA.run_tasks and changes the project only when they finish
-- (never after a cancel): the result files are opened first, then the project changes inside
-- one undo block, so a failure leaves no half-made change and no stray undo block.
return function(SA)
  function SA.settings_or_complain()
    local settings = SA.load_settings()
    local problem = SA.settings_problem(settings)
    if problem then
      SA.message(problem .. "\n\nFix it with the action \"SemanticAudio: Settings\".")
      return nil
    end
    return settings
  end
  local settings_or_complain = SA.settings_or_complain

  local function engine_failure(what, result)
    SA.message(("The engine could not %s:\n\n%s"):format(what, SA.describe_failure(result)))
  end
  SA.engine_failure = engine_failure

  ------------------------------------------------------------------------------ generate

  --- Check the generate dialog's values; returns a request table or nil and a message.
  function SA.parse_generate_values(values)
    local prompt, duration_text, variations_text, preset = table.unpack(values)
    if prompt == "" then return nil, "Type a prompt that describes the sound to generate." end
    local duration_s = tonumber(duration_text)
    if not duration_s or duration_s <= 0 then
      return nil, ("Duration must be a positive number of seconds, got %q"):format(duration_text)
    end
    local variations = tonumber(variations_text)
    if not variations or variations ~= math.floor(variations) or variations < 1
        or variations > 8 then
      return nil, ("Variations must be a whole number from 1 to 8, got %q"):format(variations_text)
    end
    return { prompt = prompt, duration_s = duration_s, variations = math.floor(variations),
             preset = preset }
  end

  local function generate_args(request, settings)
    local args = { request.prompt, "--duration", SA.num(request.duration_s), "--variations",
                   tostring(request.variations), "--out-dir", SA.output_dir(settings) }
    if request.preset ~= "" then
      args[#args + 1], args[#args + 2] = "--preset", request.preset
    end
    return args
  end

  --- After a cancel nothing goes into the project. When the engine had already finished some
  --- jobs, say where their files are; otherwise the progress window has said it all.
  local function report_cancelled(outcomes)
    local paths = {}
    for _, result in ipairs(outcomes) do
      if result.ok then table.move(result.paths, 1, #result.paths, #paths + 1, paths) end
    end
    if #paths == 0 then return end
    SA.message("Cancelled: nothing was inserted and the project is unchanged.\n\nThe engine " ..
               "had already made these files; they stay on disk if you want them:\n" ..
               table.concat(paths, "\n"))
  end

  local function insert_generation(result, track, position_s, request)
    if not result.ok then
      if result.code ~= "cancelled" then engine_failure("generate", result) end
      return
    end
    if #result.paths == 0 then return SA.message("The engine finished but returned no files.") end
    local files = table.concat(result.paths, "\n")
    if not reaper.ValidatePtr2(0, track, "MediaTrack*") then
      return SA.message("The track was deleted while the engine worked; files are in:\n" .. files)
    end
    local opened, problem = SA.open_sources(result.paths)
    if not opened then
      return SA.message(problem .. ".\n\nNothing was inserted. The engine's files are:\n" .. files)
    end
    reaper.Undo_BeginBlock2(0)
    SA.insert_generated(track, position_s, opened, SA.short_name(request.prompt))
    reaper.Undo_EndBlock2(0, "SemanticAudio: generate", -1)
    reaper.UpdateArrange()
  end

  --- Generate at the edit cursor on the selected track; variations become takes of one item.
  function SA.action_generate()
    local settings = settings_or_complain()
    if not settings then return end
    local track = SA.target_track()
    if not track then return SA.message("Select the track to generate on first.") end
    local sel_start_s, sel_end_s = SA.time_selection()
    local duration = sel_end_s - sel_start_s > SA.EPSILON_S and SA.num(sel_end_s - sel_start_s)
                     or SA.remembered("duration", "5.0")
    local values = SA.ask("SemanticAudio: generate at edit cursor", {
      { caption = "Prompt", default = SA.remembered("prompt", "") },
      { caption = "Duration (s)", default = duration },
      { caption = "Variations (1-8)", default = SA.remembered("variations", "1") },
      { caption = "Preset (optional)", default = SA.remembered("generate_preset", "") },
    })
    if not values then return end
    local request, problem = SA.parse_generate_values(values)
    if not request then return SA.message(problem) end
    local remembered = { prompt = request.prompt, duration = values[2],
                         variations = request.variations, generate_preset = request.preset }
    for key, value in pairs(remembered) do SA.remember(key, value) end
    local position_s = reaper.GetCursorPosition()
    SA.run_tasks({
      title = "SemanticAudio: generating", settings = settings,
      tasks = { { label = "Generating: " .. SA.short_name(request.prompt, 50),
                  command = "generate", args = generate_args(request, settings) } },
      on_finish = function(outcomes, cancelled)
        if cancelled then return report_cancelled(outcomes) end
        if outcomes[1] then insert_generation(outcomes[1], track, position_s, request) end
      end,
    })
  end

  ---------------------------------------------------------------------------------- edit

  --- What each selected item sends (SA.audible_span, then SA.plan_edit with the time
  --- selection), and the lines that say why the others are skipped.
  local function spans_of_selection()
    local spans, skipped = {}, {}
    local sel_start_s, sel_end_s = SA.time_selection()
    for _, item in ipairs(SA.selected_items()) do
      local span, why = SA.audible_span(item)
      if span then span, why = SA.plan_edit(span, sel_start_s, sel_end_s) end
      local description = SA.describe_item(item)
      if span then
        span.description = description -- kept: the item may be gone when its job fails
        spans[#spans + 1] = span
      else
        skipped[#skipped + 1] = ("Item %s was skipped: %s."):format(description, why)
      end
    end
    return spans, skipped
  end

  local function edit_args(span, request, settings)
    local region = span.region
    local args = { span.file, "--start", SA.num(span.sent.start_s), "--length",
                   SA.num(span.sent.length_s), "--target", request.target }
    local function add(...) for _, word in ipairs({ ... }) do args[#args + 1] = word end end
    if request.source ~= "" then add("--source", request.source) end
    if region then add("--range", SA.num(region.start_s), SA.num(region.end_s)) end
    if request.preset ~= "" then add("--preset", request.preset) end
    add("--out-dir", SA.output_dir(settings))
    return args
  end

  local function take_label(span)
    return "Editing item " .. span.description
  end

  --- The files of one finished edit, opened, and where they go (SA.edit_placement); or nil
  --- and why they cannot be added.
  local function open_edit(span, result)
    if #result.paths == 0 then return nil, "the engine returned no files" end
    local files = table.concat(result.paths, "\n")
    local gone = SA.span_gone(span)
    if gone then return nil, gone .. "; its edit is in:\n" .. files end
    local placement, changed = SA.edit_placement(span)
    if not placement then return nil, changed .. ". Its edit is in:\n" .. files end
    local opened, problem = SA.open_sources(result.paths)
    return opened, problem, placement
  end

  --- Open the files of every finished edit while the project is still untouched. Returns the
  --- edits ready to add ({ span, opened, placement } each) and the failure lines.
  local function prepare_edits(spans, outcomes)
    local ready, failures = {}, {}
    for i, span in ipairs(spans) do
      local result, opened, problem, placement = outcomes[i], nil, nil, nil
      if result and result.ok then
        opened, problem, placement = open_edit(span, result)
      elseif result and result.code ~= "cancelled" then
        problem = SA.describe_failure(result)
      end
      if opened then
        ready[#ready + 1] = { span = span, opened = opened, placement = placement,
                              paths = result.paths }
      end
      if problem then failures[#failures + 1] = take_label(span) .. ": " .. problem end
    end
    return ready, failures
  end

  --- Add the finished edits as takes, all in one undo block (no block when none can be
  --- added); returns the failure lines.
  local function apply_edits(spans, outcomes, request)
    local ready, failures = prepare_edits(spans, outcomes)
    if #ready == 0 then return failures end
    local name = request.target ~= "" and SA.short_name(request.target)
                 or SA.short_name(request.preset .. ": " .. request.source)
    local added = 0
    reaper.Undo_BeginBlock2(0)
    for _, edit in ipairs(ready) do
      local take, problem = SA.add_edit_takes(edit.span, edit.opened, name, edit.placement)
      if take then
        added = added + 1
      else
        SA.close_sources(edit.opened)
        failures[#failures + 1] = ("%s: %s; its edit is in:\n%s"):format(take_label(edit.span),
          problem, table.concat(edit.paths, "\n"))
      end
    end
    reaper.Undo_EndBlock2(0, ("SemanticAudio: edit %d item(s)"):format(added), -1)
    reaper.UpdateArrange()
    return failures
  end

  --- Failures that every further job would repeat: the client or the engine is not there.
  SA.UNREACHABLE = { client_not_found = true, no_engine = true, network = true, no_answer = true }

  --- Whether a failed job says the engine cannot be reached: an UNREACHABLE code, or
  --- sa-client's `timeout` for a job that never reported progress (the engine did not answer).
  local function unreachable(result, progressed)
    return SA.UNREACHABLE[result.code] == true or (result.code == "timeout" and not progressed)
  end

  local function run_edits(settings, spans, skipped, request)
    local tasks = {}
    for i, span in ipairs(spans) do
      tasks[i] = { label = take_label(span), command = "edit",
                   args = edit_args(span, request, settings) }
    end
    SA.run_tasks({
      title = "SemanticAudio: editing", settings = settings, tasks = tasks,
      stop_on_failure = unreachable,
      on_finish = function(outcomes, cancelled)
        if cancelled then return report_cancelled(outcomes) end
        local lines = apply_edits(spans, outcomes, request)
        local unsent = #spans - #outcomes
        if unsent > 0 then
          lines[#lines + 1] = unsent == 1 and "The other item was not sent." or
                              ("The %d other items were not sent."):format(unsent)
        end
        for _, line in ipairs(skipped) do lines[#lines + 1] = line end
        if #lines > 0 then SA.message(table.concat(lines, "\n\n")) end
      end,
    })
  end

  --- Ask for the prompts (and a preset unless one was chosen), then edit every span.
  local function ask_and_edit(settings, spans, skipped, preset)
    local fields = {
      { caption = "Source prompt (optional)", default = SA.remembered("source", "") },
      { caption = preset and "Target prompt (optional)" or "Target prompt",
        default = SA.remembered("target", "") },
    }
    if not preset then
      fields[3] = { caption = "Preset (optional)", default = SA.remembered("edit_preset", "") }
    end
    local title = preset and ("SemanticAudio: edit with " .. preset) or "SemanticAudio: edit"
    local values = SA.ask(title, fields)
    if not values then return end
    local request = { source = values[1], target = values[2], preset = preset or values[3] }
    if request.target == "" and request.preset == "" then
      return SA.message("Type a target prompt (what the sound should become) or pick a preset.")
    end
    SA.remember("source", request.source)
    SA.remember("target", request.target)
    if not preset then SA.remember("edit_preset", request.preset) end
    run_edits(settings, spans, skipped, request)
  end

  local function edit_selection(then_do)
    local settings = settings_or_complain()
    if not settings then return end
    if reaper.CountSelectedMediaItems(0) == 0 then
      return SA.message("Select one or more audio items to edit first.")
    end
    local spans, skipped = spans_of_selection()
    if #spans == 0 then
      return SA.message("None of the selected items can be edited:\n\n" ..
                        table.concat(skipped, "\n"))
    end
    then_do(settings, spans, skipped)
  end

  --- Edit every selected item: the audible span goes to the engine, the result comes back
  --- as a new active take named after the target prompt.
  function SA.action_edit()
    edit_selection(function(settings, spans, skipped)
      ask_and_edit(settings, spans, skipped, nil)
    end)
  end

  --- Like SA.action_edit, with a preset picked from the engine's list first.
  function SA.action_edit_with_preset()
    edit_selection(function(settings, spans, skipped)
      SA.fetch_presets(settings, "edit", function(presets)
        local labels = {}
        for i, preset in ipairs(presets) do
          labels[i] = SA.short_name(preset.name .. ": " .. preset.description, 90)
        end
        local choice = SA.menu(labels)
        if choice then ask_and_edit(settings, spans, skipped, presets[choice].name) end
      end)
    end)
  end
end
