-- @noindex
-- SemanticAudio for REAPER: settings, text helpers and shell quoting (part of semanticaudio_lib).
return function(SA)
  SA.SECTION = "SemanticAudio" -- ExtState section shared by every action

  -- Defaults that work with a plain `sa-engine` on this machine (protocol.py: 127.0.0.1:9000).
  SA.DEFAULTS = {
    host = "127.0.0.1",
    port = "9000",
    client = "sa-client",
    timeout_s = "600",
    out_dir = "", -- "" = the project's media folder
  }
  SA.SETTING_KEYS = { "host", "port", "client", "timeout_s", "out_dir" }

  function SA.trim(text)
    return (text:gsub("^%s+", ""):gsub("%s+$", ""))
  end

  --- Split `text` at every `sep` (a plain string), keeping empty fields.
  function SA.split(text, sep)
    local fields, start = {}, 1
    while true do
      local at = text:find(sep, start, true)
      if not at then
        fields[#fields + 1] = text:sub(start)
        return fields
      end
      fields[#fields + 1] = text:sub(start, at - 1)
      start = at + #sep
    end
  end

  --- Seconds as a short decimal string for the command line (sub-microsecond precision).
  function SA.num(value)
    local text = string.format("%.9f", value):gsub("0+$", ""):gsub("%.$", ".0")
    return text
  end

  --- `text` as valid UTF-8: every byte that starts no valid character becomes U+FFFD.
  function SA.valid_utf8(text)
    local parts, at = {}, 1
    while true do
      local count, bad_at = utf8.len(text, at)
      if count then
        parts[#parts + 1] = text:sub(at)
        return table.concat(parts)
      end
      parts[#parts + 1] = text:sub(at, bad_at - 1) .. utf8.char(0xFFFD)
      at = bad_at + 1
    end
  end

  --- A take or item name made from a prompt: one line, at most `max_chars` characters (not
  --- bytes: a cut inside a UTF-8 sequence would leave REAPER an invalid name).
  function SA.short_name(text, max_chars)
    max_chars = max_chars or 80
    text = SA.valid_utf8(SA.trim((text:gsub("%s+", " "))))
    if utf8.len(text) > max_chars then
      text = text:sub(1, utf8.offset(text, max_chars - 2) - 1) .. "..."
    end
    return text
  end

  function SA.is_windows()
    if SA.windows == nil then SA.windows = reaper.GetOS():match("^Win") ~= nil end
    return SA.windows
  end

  --- True for an absolute path: /... on macOS and Linux; C:\... or \\server\... on Windows.
  function SA.is_absolute_path(path)
    if not SA.is_windows() then return path:sub(1, 1) == "/" end
    return path:find("^%a:[\\/]") ~= nil or path:find("^[\\/][\\/]") ~= nil
  end

  function SA.path_join(dir, name)
    local sep = SA.is_windows() and "\\" or "/"
    if dir:sub(-1) == "/" or dir:sub(-1) == "\\" then return dir .. name end
    return dir .. sep .. name
  end

  ---------------------------------------------------------------------------- settings

  --- Check one settings table; returns nil when fine, else a message that teaches.
  function SA.settings_problem(settings)
    if settings.host == "" or settings.host:find("%s") then
      return ("Engine host must be a host name or address such as 127.0.0.1, got %q")
        :format(settings.host)
    end
    local port = tonumber(settings.port)
    if not port or port ~= math.floor(port) or port < 1 or port > 65535 then
      return ("Engine port must be a whole number in 1..65535, got %q"):format(settings.port)
    end
    local timeout_s = tonumber(settings.timeout_s)
    if not timeout_s or timeout_s <= 0 then
      return ("Timeout must be a positive number of seconds, got %q"):format(settings.timeout_s)
    end
    if SA.trim(settings.client) == "" then
      return "Client path must name the sa-client program (\"sa-client\" or an absolute path)"
    end
    -- sa-client would resolve a relative folder (and a literal ~) in REAPER's own folder.
    if settings.out_dir ~= "" and not SA.is_absolute_path(settings.out_dir) then
      local example = SA.is_windows() and [[D:\Renders]] or "/Users/you/Renders"
      return ('Output folder must be an absolute path, got "%s" (e.g. %s); leave it empty ' ..
              "for the project's media folder"):format(settings.out_dir, example)
    end
    return nil
  end

  --- Settings from ExtState, falling back to SA.DEFAULTS for anything unset.
  function SA.load_settings()
    local settings = {}
    for _, key in ipairs(SA.SETTING_KEYS) do
      local value = reaper.GetExtState(SA.SECTION, key)
      settings[key] = (value ~= "" or key == "out_dir") and value or SA.DEFAULTS[key]
    end
    return settings
  end

  --- Persist `settings` (kept across REAPER restarts).
  function SA.save_settings(settings)
    for _, key in ipairs(SA.SETTING_KEYS) do
      reaper.SetExtState(SA.SECTION, key, settings[key], true)
    end
  end

  --- The last value the user typed for a dialog field, or `default`.
  function SA.remembered(key, default)
    local value = reaper.GetExtState(SA.SECTION, "last_" .. key)
    if value == "" then return default end
    return value
  end

  function SA.remember(key, value)
    -- ExtState values are stored one per line: a newline would cut the value short.
    reaper.SetExtState(SA.SECTION, "last_" .. key, (tostring(value):gsub("[\r\n]", " ")), true)
  end

  ------------------------------------------------------------------------- shell quoting

  --- One POSIX shell word: single quotes, each embedded quote written as '\''.
  function SA.quote_posix(text)
    text = text:gsub("\0", "")
    return "'" .. text:gsub("'", "'\\''") .. "'"
  end

  --- One cmd.exe + MSVCRT argument: double quotes; backslashes before a quote doubled,
  --- quotes doubled (read as one literal quote by the C runtime and harmless to cmd.exe),
  --- % doubled (cmd.exe expands variables even inside quotes), line breaks turned to spaces.
  function SA.quote_windows(text)
    text = text:gsub("\0", ""):gsub("[\r\n]", " ")
    text = text:gsub('(\\*)"', function(slashes) return slashes .. slashes .. '""' end)
    text = text:gsub("(\\+)$", "%1%1")
    return '"' .. text:gsub("%%", "%%%%") .. '"'
  end

  function SA.quote(text)
    if SA.is_windows() then return SA.quote_windows(text) end
    return SA.quote_posix(text)
  end

  --- An argv list as one command line, every word quoted.
  function SA.command_line(argv)
    local words = {}
    for i, word in ipairs(argv) do words[i] = SA.quote(tostring(word)) end
    return table.concat(words, " ")
  end

  -------------------------------------------------------------------------------- files

  function SA.read_file(path)
    local handle = io.open(path, "rb")
    if not handle then return nil end
    local text = handle:read("a")
    handle:close()
    return text
  end

  function SA.write_file(path, text)
    local handle, problem = io.open(path, "wb")
    if not handle then return false, problem end
    handle:write(text)
    handle:close()
    return true
  end

  --- A fresh 12-character hex job id (the protocol accepts A-Z a-z 0-9 _ -).
  function SA.new_job_id()
    if not SA.seeded then
      -- Lua 5.3 (REAPER 6) starts every script with the same random sequence: seed from the
      -- clock so two runs never share a job id (the engine refuses a duplicate).
      math.randomseed(os.time() + math.floor((reaper.time_precise() % 1000) * 1e6))
      SA.seeded = true
    end
    local digits = {}
    for i = 1, 12 do digits[i] = string.format("%x", math.random(0, 15)) end
    return table.concat(digits)
  end
end
