-- @noindex
-- SemanticAudio for REAPER: launching sa-client in the background and reading what it left
-- behind (part of semanticaudio_lib). Stock Lua has no sockets, so every request runs as
-- `sa-client ... --result-file F --progress-file P` started with ExecProcess(cmd, -1), and a
-- reaper.defer loop reads F and P until the client is done; REAPER never waits on it.
return function(SA)
  SA.QUICK_TIMEOUT_S = 5 -- ping, status, presets and cancel answer at once or not at all
  SA.GIVE_UP_MARGIN_S = 15 -- beyond the client's own timeout before the action stops waiting

  local COMMANDS = { generate = true, edit = true, cancel = true, ping = true, status = true,
                     presets = true }

  --- The folder that holds one job's files (under REAPER's resource path, created here).
  function SA.job_dir(job_id)
    local base = SA.path_join(reaper.GetResourcePath(), "Data")
    local dir = SA.path_join(SA.path_join(base, "SemanticAudio"), "jobs")
    dir = SA.path_join(dir, job_id)
    reaper.RecursiveCreateDirectory(dir, 0)
    return dir
  end

  --- sa-client's global options for one request; `command` is one of COMMANDS.
  function SA.client_argv(settings, job, command, timeout_s)
    assert(COMMANDS[command], "unknown sa-client command " .. tostring(command))
    return {
      SA.trim(settings.client), "--host", settings.host, "--port", tostring(settings.port),
      "--timeout", tostring(timeout_s or settings.timeout_s), "--json", "--job-id", job.id,
      "--result-file", job.files.result, "--progress-file", job.files.progress, command,
    }
  end

  local function posix_script(job, argv)
    local q = SA.quote_posix
    local lines = {
      "#!/bin/sh",
      "# Written by the SemanticAudio REAPER actions; safe to delete.",
      -- A GUI-started REAPER may have a short PATH; add the usual user install folders.
      'PATH="$PATH:$HOME/.local/bin:/usr/local/bin:/opt/homebrew/bin"; export PATH',
      ("%s > %s 2> %s"):format(SA.command_line(argv), q(job.files.stdout), q(job.files.stderr)),
      ("echo $? > %s && mv %s %s"):format(q(job.files.exit_tmp), q(job.files.exit_tmp),
                                        q(job.files.exit)),
    }
    return table.concat(lines, "\n") .. "\n"
  end

  local function windows_script(job, argv)
    local q = SA.quote_windows
    local lines = {
      "@echo off",
      "chcp 65001 >NUL",
      ("%s > %s 2> %s"):format(SA.command_line(argv), q(job.files.stdout), q(job.files.stderr)),
      ("echo %%ERRORLEVEL%% > %s"):format(q(job.files.exit_tmp)),
      ("move /Y %s %s >NUL"):format(q(job.files.exit_tmp), q(job.files.exit)),
    }
    return table.concat(lines, "\r\n") .. "\r\n"
  end

  local function new_job(kind)
    local job = { id = SA.new_job_id(), kind = kind }
    job.dir = SA.job_dir(job.id)
    job.files = {}
    for _, name in ipairs({ "result", "progress", "stdout", "stderr", "exit", "exit_tmp" }) do
      local file = name == "result" and "result.json" or (name:gsub("_", ".") .. ".txt")
      job.files[name] = SA.path_join(job.dir, file)
    end
    job.files.script = SA.path_join(job.dir, SA.is_windows() and "run.cmd" or "run.sh")
    return job
  end

  --- The ExecProcess command line that runs a job's script, and its timeout argument (no
  --- wait; on Windows also no console in the way). cmd.exe /C keeps the quotes around the
  --- script only when nothing like & ( ) is between them, else it strips the first and the
  --- last quote: doubled quotes leave the path quoted either way.
  function SA.launch_line(job)
    if SA.is_windows() then return 'cmd.exe /C ""' .. job.files.script .. '""', -2 end
    return '/bin/sh "' .. job.files.script:gsub('(["\\$`])', "\\%1") .. '"', -1
  end

  --- Start `sa-client <command> <args...>` in the background; returns the job table.
  --- `args` follow the command (see contracts: sa-client's command line).
  function SA.start_job(settings, command, args, timeout_s)
    local job = new_job(command)
    job.timeout_s = tonumber(timeout_s or settings.timeout_s)
    local argv = SA.client_argv(settings, job, command, job.timeout_s)
    for _, word in ipairs(args) do argv[#argv + 1] = word end
    job.argv = argv
    local script = SA.is_windows() and windows_script(job, argv) or posix_script(job, argv)
    local ok, problem = SA.write_file(job.files.script, script)
    if not ok then error("SemanticAudio: cannot write " .. job.files.script .. ": " .. problem) end
    local line, wait = SA.launch_line(job)
    reaper.ExecProcess(line, wait)
    job.started_s = reaper.time_precise()
    return job
  end

  --- Ask the engine to cancel `job` (itself a background request; nothing waits on it).
  function SA.cancel_job(settings, job)
    job.cancel_requested_s = reaper.time_precise()
    job.cancel_job = SA.start_job(settings, "cancel", { job.id }, SA.QUICK_TIMEOUT_S)
  end

  --- "<fraction> <stage>" from the progress file, or nil while there is none.
  local function read_progress(job)
    local text = SA.read_file(job.files.progress)
    if not text then return nil end
    local fraction, stage = text:match("^%s*([-%d.eE+]+)%s*(%S*)")
    fraction = tonumber(fraction)
    if not fraction then return nil end
    return { fraction = math.max(0, math.min(1, fraction)), stage = stage }
  end

  local function client_failure(job, exit_code)
    local stderr = SA.trim(SA.read_file(job.files.stderr) or "")
    if exit_code == 127 or exit_code == 9009 then
      -- "%s" in quotes, not %q: %q would double every backslash of a Windows path.
      return { ok = false, code = "client_not_found", message = ('The sa-client program "%s" ' ..
        "was not found (%s). Set its full path with the action \"SemanticAudio: Settings\"."):
        format(job.argv[1], stderr ~= "" and stderr or "exit code " .. exit_code) }
    end
    local message = stderr ~= "" and stderr or ("sa-client exited with code %d"):format(exit_code)
    return { ok = false, code = "client_failed", message = message, exit_code = exit_code }
  end

  local function read_result(job)
    local text = SA.read_file(job.files.result)
    if not text then return nil end
    local result, problem = SA.json_decode(text)
    if type(result) ~= "table" then
      return { ok = false, code = "bad_result", message = "Unreadable result file " ..
               job.files.result .. ": " .. tostring(problem) }
    end
    result.ok = result.ok == true
    if type(result.paths) ~= "table" then result.paths = {} end
    return result
  end

  --- Look at a job's files once. Returns { done = bool, result = table|nil, progress = ... }.
  --- result: sa-client's JSON result, e.g. { ok = true, paths = {...} } or
  --- { ok = false, code = ..., message = ... } (ping, status and presets add their fields).
  function SA.poll_job(job)
    local exit_text = SA.read_file(job.files.exit)
    local result = read_result(job)
    if not result and exit_text then
      local exit_code = tonumber(exit_text:match("%-?%d+")) or -1
      result = exit_code == 0 and { ok = true, paths = {} } or client_failure(job, exit_code)
    end
    if result then return { done = true, result = result } end
    local waited_s = reaper.time_precise() - job.started_s
    if waited_s > job.timeout_s + SA.GIVE_UP_MARGIN_S then
      return { done = true, result = { ok = false, code = "no_answer", message = ("sa-client " ..
        "gave no result in %.0f s. Is sa-engine running? Check \"SemanticAudio: Engine " ..
        "status\"."):format(waited_s) } }
    end
    return { done = false, progress = read_progress(job) }
  end

  --- Delete a finished job's files and its folder.
  function SA.remove_job_files(job)
    for _, path in pairs(job.files) do os.remove(path) end
    os.remove(job.dir)
  end
end
