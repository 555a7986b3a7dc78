-- @noindex
-- SemanticAudio for REAPER: dialogs, the progress window and the reaper.defer loop that runs
-- background jobs one after another (part of semanticaudio_lib).
return function(SA)
  SA.TITLE = "SemanticAudio"
  SA.CANCEL_GRACE_S = 10 -- after a cancel, how long to wait for the engine to confirm it
  SA.DIALOG_SEPARATOR = "\n" -- prompts contain commas; a line break cannot be typed in a field

  --------------------------------------------------------------------------------- dialogs

  function SA.message(text, title)
    reaper.ShowMessageBox(text, title or SA.TITLE, 0)
  end

  --- Ask for several values at once. `fields` = { { caption = ..., default = ... }, ... }.
  --- Returns a list of strings (trimmed), or nil when the user cancelled.
  function SA.ask(title, fields)
    local captions, defaults = {}, {}
    for i, field in ipairs(fields) do
      captions[i] = field.caption
      defaults[i] = (tostring(field.default or ""):gsub("[\r\n]", " "))
    end
    captions[#captions + 1] = "separator=" .. SA.DIALOG_SEPARATOR
    captions[#captions + 1] = "extrawidth=320"
    local ok, csv = reaper.GetUserInputs(title, #fields, table.concat(captions, ","),
                                         table.concat(defaults, SA.DIALOG_SEPARATOR))
    if not ok then return nil end
    local values = SA.split(csv, SA.DIALOG_SEPARATOR)
    for i = 1, #fields do values[i] = SA.trim(values[i] or "") end
    return values
  end

  --- A popup menu at the mouse; `labels` is a list of strings. Returns the index or nil.
  function SA.menu(labels)
    local items = {}
    for i, label in ipairs(labels) do
      -- A leading ! # > < and any | would be read as menu markup.
      items[i] = (label:gsub("|", "/"):gsub("^[!#><]+", ""))
    end
    gfx.init("", 0, 0)
    gfx.x, gfx.y = gfx.mouse_x, gfx.mouse_y
    local choice = gfx.showmenu(table.concat(items, "|"))
    gfx.quit()
    if choice < 1 then return nil end
    return choice
  end

  ------------------------------------------------------------------------- progress window

  local WIDTH, HEIGHT = 460, 118
  local BUTTON = { w = 84, h = 24 }

  local function button_rect()
    return gfx.w - BUTTON.w - 12, gfx.h - BUTTON.h - 10, BUTTON.w, BUTTON.h
  end

  local function draw_text(x, y, text)
    gfx.x, gfx.y = x, y
    gfx.drawstr(text)
  end

  local function draw(view)
    gfx.set(0.14, 0.14, 0.15, 1)
    gfx.rect(0, 0, gfx.w, gfx.h, 1)
    gfx.set(0.92, 0.92, 0.92, 1)
    draw_text(12, 10, view.label)
    local bar_w = gfx.w - 24
    gfx.set(0.3, 0.3, 0.32, 1)
    gfx.rect(12, 34, bar_w, 14, 1)
    gfx.set(0.35, 0.72, 0.48, 1)
    gfx.rect(12, 34, math.floor(bar_w * view.fraction + 0.5), 14, 1)
    gfx.set(0.8, 0.8, 0.8, 1)
    draw_text(12, 56, view.detail)
    local x, y, w, h = button_rect()
    gfx.set(0.45, 0.25, 0.25, 1)
    gfx.rect(x, y, w, h, 1)
    gfx.set(1, 1, 1, 1)
    draw_text(x + 14, y + 5, view.cancelling and "Stopping" or "Cancel")
    draw_text(12, gfx.h - 26, "Esc or closing this window cancels")
    gfx.update()
  end

  --- True when the user asked to cancel since the last look: Esc, a closed window or a click
  --- on the Cancel button.
  local function wants_cancel(window)
    if window.closed then return false end
    local key = gfx.getchar()
    if key < 0 then
      window.closed = true
      return true
    end
    if key == 27 then return true end
    local pressed = gfx.mouse_cap & 1 == 1
    local clicked = pressed and not window.was_pressed
    window.was_pressed = pressed
    if not clicked then return false end
    local x, y, w, h = button_rect()
    return gfx.mouse_x >= x and gfx.mouse_x <= x + w and gfx.mouse_y >= y and gfx.mouse_y <= y + h
  end

  ------------------------------------------------------------------------------ the loop

  local function view_of(run)
    local task = run.tasks[run.index]
    local label = task.label
    if #run.tasks > 1 then label = ("(%d/%d) %s"):format(run.index, #run.tasks, label) end
    local progress = run.progress or { fraction = 0, stage = "" }
    local detail = ("%s %d%%"):format(progress.stage ~= "" and progress.stage or "waiting",
                                       math.floor(progress.fraction * 100 + 0.5))
    if run.cancelled then detail = "Cancelling: waiting for the engine to stop..." end
    return { label = label, fraction = progress.fraction, detail = detail,
             cancelling = run.cancelled }
  end

  local function finish(run)
    run.finished = true
    if not run.window.closed then gfx.quit() end
    run.on_finish(run.outcomes, run.cancelled)
  end

  local function cleanup(job)
    SA.remove_job_files(job)
    local cancel_job = job.cancel_job
    if cancel_job and SA.poll_job(cancel_job).done then SA.remove_job_files(cancel_job) end
  end

  local function request_cancel(run)
    run.cancelled = true
    if run.job then SA.cancel_job(run.settings, run.job) end
  end

  --- One look at the current job; returns true when the whole run is over.
  local function step(run)
    if not run.job then
      local task = run.tasks[run.index]
      run.job, run.progress = SA.start_job(run.settings, task.command, task.args, task.timeout_s),
                              nil
    end
    if not run.cancelled and wants_cancel(run.window) then request_cancel(run) end
    local look = SA.poll_job(run.job)
    local waited_s = run.cancelled and reaper.time_precise() - run.job.cancel_requested_s or 0
    if not look.done and waited_s > SA.CANCEL_GRACE_S then
      look = { done = true, result = { ok = false, code = "cancelled", message =
        "Cancelled; the engine did not confirm within " .. SA.CANCEL_GRACE_S .. " s." } }
    end
    if not look.done then
      run.progress = look.progress or run.progress
      return false
    end
    run.outcomes[run.index] = look.result
    cleanup(run.job)
    run.job, run.index = nil, run.index + 1
    local rule = run.stop_on_failure
    local stop = rule and not look.result.ok and
                 (rule == true or rule(look.result, run.progress ~= nil))
    return stop or run.cancelled or run.index > #run.tasks
  end

  --- Run `spec.tasks` ({ label, command, args, timeout_s? } each) one after another in the
  --- background, with a progress window, then call spec.on_finish(outcomes, cancelled).
  --- spec.stop_on_failure: skip the remaining tasks once one fails (true), or once one fails
  --- in a way that function(result, progressed) says should stop the run (progressed: the job
  --- reported progress, so the engine had taken it).
  --- outcomes[i] is the result table of task i (see SA.poll_job), nil for tasks never run.
  function SA.run_tasks(spec)
    local run = { tasks = spec.tasks, settings = spec.settings, on_finish = spec.on_finish,
                  stop_on_failure = spec.stop_on_failure, index = 1, outcomes = {},
                  cancelled = false, window = {} }
    gfx.init(spec.title or SA.TITLE, WIDTH, HEIGHT)
    local function tick()
      if step(run) then return finish(run) end
      if not run.window.closed then draw(view_of(run)) end
      reaper.defer(tick)
    end
    reaper.atexit(function()
      -- REAPER stops a script when it is run again or on exit: do not leave the job running.
      if not run.finished and run.job and not run.cancelled then request_cancel(run) end
    end)
    tick()
    return run
  end

  --- The engine's own words for a failed result, for a message box.
  function SA.describe_failure(result)
    local code = result.code and result.code ~= "" and (" [" .. result.code .. "]") or ""
    return (result.message or "unknown error") .. code
  end
end
