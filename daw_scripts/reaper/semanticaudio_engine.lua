-- @noindex
-- SemanticAudio for REAPER: asking the engine about itself (presets, ping, status) and the
-- settings dialog (part of semanticaudio_lib).
return function(SA)
  local function as_text(value)
    if value == SA.json_null or value == nil then return "" end
    return tostring(value)
  end

  --- The presets in sa-client's `presets` result: a list of { name, kind, description }, or
  --- nil and a message when the result holds none in the documented shape.
  function SA.presets_of(result)
    if type(result.presets) ~= "table" then
      return nil, "sa-client's presets result has no \"presets\" list"
    end
    local presets = {}
    for _, entry in ipairs(result.presets) do
      if type(entry) ~= "table" or type(entry.name) ~= "string" then
        return nil, "sa-client's presets result holds an entry without a name"
      end
      presets[#presets + 1] = { name = entry.name, kind = as_text(entry.kind),
                                description = as_text(entry.description) }
    end
    return presets
  end

  --- Ask the engine for its presets of `kind` ("edit" or "generate") in the background,
  --- then call `with_presets(list)`; tells the user when there are none or it failed.
  function SA.fetch_presets(settings, kind, with_presets)
    SA.run_tasks({
      title = "SemanticAudio: presets", settings = settings,
      tasks = { { label = "Asking the engine for its presets", command = "presets", args = {},
                  timeout_s = SA.QUICK_TIMEOUT_S } },
      on_finish = function(outcomes)
        local result = outcomes[1]
        if not result then return end
        if not result.ok then
          if result.code ~= "cancelled" then SA.engine_failure("list its presets", result) end
          return
        end
        local presets, problem = SA.presets_of(result)
        if not presets then return SA.message(problem) end
        local wanted = {}
        for _, preset in ipairs(presets) do
          if preset.kind == kind then wanted[#wanted + 1] = preset end
        end
        if #wanted == 0 then return SA.message("The engine has no " .. kind .. " presets.") end
        with_presets(wanted)
      end,
    })
  end

  ------------------------------------------------------------------------ engine status

  local function queue_lines(status)
    if not (status and status.ok) then
      return { "Queue: unknown (" .. SA.describe_failure(status or {}) .. ")" }
    end
    local running = as_text(status.running_job_id)
    local lines = { "Running: idle" }
    if running ~= "" then
      lines[1] = ("Running: job %s (%s %d%%)"):format(running, as_text(status.stage),
                                                     math.floor((status.fraction or 0) * 100))
    end
    lines[2] = "Queued jobs: " .. as_text(status.queued)
    return lines
  end

  local function status_report(settings, ping, status)
    local where = ("sa-engine at %s:%s"):format(settings.host, settings.port)
    if not ping.ok then
      return ("No answer from %s.\n\n%s\n\nStart it in a terminal with:\n  sa-engine --port %s\n" ..
              "then run this action again."):format(where, SA.describe_failure(ping), settings.port)
    end
    local lines = { where .. " is running.", "",
                    "Model: " .. as_text(ping.model), "Device: " .. as_text(ping.device),
                    "Protocol version: " .. as_text(ping.version) }
    for _, line in ipairs(queue_lines(status)) do lines[#lines + 1] = line end
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Client: " .. settings.client
    return table.concat(lines, "\n")
  end

  --- Ping the engine and show what it runs, its queue, or why it does not answer.
  function SA.action_status()
    local settings = SA.settings_or_complain()
    if not settings then return end
    local quick = SA.QUICK_TIMEOUT_S
    SA.run_tasks({
      title = "SemanticAudio: engine status", settings = settings, stop_on_failure = true,
      tasks = { { label = "Pinging the engine", command = "ping", args = {}, timeout_s = quick },
                { label = "Reading the queue", command = "status", args = {}, timeout_s = quick } },
      on_finish = function(outcomes, cancelled)
        if cancelled or not outcomes[1] then return end
        local text = status_report(settings, outcomes[1], outcomes[2])
        if not outcomes[1].ok then
          text = text .. "\n\nOpen the SemanticAudio settings now?"
          if reaper.ShowMessageBox(text, SA.TITLE, 4) == 6 then SA.action_settings() end
          return
        end
        SA.message(text)
      end,
    })
  end

  ------------------------------------------------------------------------------ settings

  --- Edit host, port, client path, timeout and output folder; saved with ExtState.
  function SA.action_settings()
    local settings = SA.load_settings()
    local values = SA.ask("SemanticAudio: settings", {
      { caption = "Engine host", default = settings.host },
      { caption = "Engine port", default = settings.port },
      { caption = "sa-client path", default = settings.client },
      { caption = "Timeout (s)", default = settings.timeout_s },
      { caption = "Output folder (empty: project media)", default = settings.out_dir },
    })
    if not values then return end
    local new = {}
    for i, key in ipairs(SA.SETTING_KEYS) do new[key] = values[i] end
    for _, key in ipairs({ "host", "port", "client", "timeout_s" }) do
      if new[key] == "" then new[key] = SA.DEFAULTS[key] end
    end
    local problem = SA.settings_problem(new)
    if problem then return SA.message(problem .. "\n\nNothing was saved.") end
    SA.save_settings(new)
  end
end
