-- @noindex
-- SemanticAudio for REAPER: a small JSON reader for sa-client's output
-- (part of semanticaudio_lib).
-- Objects become tables with string keys, arrays become sequences, null becomes SA.json_null.
return function(SA)
  SA.json_null = setmetatable({}, { __tostring = function() return "null" end })

  local decode_value -- forward declaration: values nest

  local function fail(text, at, what)
    error(("JSON: %s at character %d near %q"):format(what, at, text:sub(at, at + 20)), 0)
  end

  local function skip_space(text, at)
    return text:find("[^ \t\r\n]", at) or #text + 1
  end

  local function utf8_of(code)
    if code < 0 then return "?" end
    return utf8.char(code)
  end

  local ESCAPES = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n",
                    r = "\r", t = "\t" }

  local function decode_unicode(text, at)
    local code = tonumber(text:sub(at, at + 3), 16)
    if not code then fail(text, at, "bad \\u escape") end
    at = at + 4
    if code >= 0xD800 and code <= 0xDBFF and text:sub(at, at + 1) == "\\u" then
      local low = tonumber(text:sub(at + 2, at + 5), 16)
      if low and low >= 0xDC00 and low <= 0xDFFF then
        return utf8_of(0x10000 + (code - 0xD800) * 0x400 + (low - 0xDC00)), at + 6
      end
    end
    return utf8_of(code), at
  end

  local function decode_string(text, at)
    local parts, pos = {}, at + 1
    while true do
      local stop = text:find('["\\]', pos)
      if not stop then fail(text, at, "unterminated string") end
      parts[#parts + 1] = text:sub(pos, stop - 1)
      if text:sub(stop, stop) == '"' then return table.concat(parts), stop + 1 end
      local kind = text:sub(stop + 1, stop + 1)
      if kind == "u" then
        parts[#parts + 1], pos = decode_unicode(text, stop + 2)
      elseif ESCAPES[kind] then
        parts[#parts + 1], pos = ESCAPES[kind], stop + 2
      else
        fail(text, stop, "bad escape")
      end
    end
  end

  local function decode_number(text, at)
    local literal = text:match("^-?%d+%.?%d*[eE]?[-+]?%d*", at)
    local value = literal and tonumber(literal)
    if not value then fail(text, at, "bad number") end
    return value, at + #literal
  end

  local function decode_array(text, at)
    local list, pos = {}, skip_space(text, at + 1)
    if text:sub(pos, pos) == "]" then return list, pos + 1 end
    while true do
      list[#list + 1], pos = decode_value(text, pos)
      pos = skip_space(text, pos)
      local mark = text:sub(pos, pos)
      if mark == "]" then return list, pos + 1 end
      if mark ~= "," then fail(text, pos, "expected , or ]") end
      pos = skip_space(text, pos + 1)
    end
  end

  local function decode_object(text, at)
    local object, pos = {}, skip_space(text, at + 1)
    if text:sub(pos, pos) == "}" then return object, pos + 1 end
    while true do
      if text:sub(pos, pos) ~= '"' then fail(text, pos, "expected a key") end
      local key
      key, pos = decode_string(text, pos)
      pos = skip_space(text, pos)
      if text:sub(pos, pos) ~= ":" then fail(text, pos, "expected :") end
      object[key], pos = decode_value(text, skip_space(text, pos + 1))
      pos = skip_space(text, pos)
      local mark = text:sub(pos, pos)
      if mark == "}" then return object, pos + 1 end
      if mark ~= "," then fail(text, pos, "expected , or }") end
      pos = skip_space(text, pos + 1)
    end
  end

  local LITERALS = { ["true"] = true, ["false"] = false }

  decode_value = function(text, at)
    at = skip_space(text, at)
    local mark = text:sub(at, at)
    if mark == "{" then return decode_object(text, at) end
    if mark == "[" then return decode_array(text, at) end
    if mark == '"' then return decode_string(text, at) end
    for word, value in pairs(LITERALS) do
      if text:sub(at, at + #word - 1) == word then return value, at + #word end
    end
    if text:sub(at, at + 3) == "null" then return SA.json_null, at + 4 end
    return decode_number(text, at)
  end

  --- Decode one JSON document; returns value or nil plus a message saying what was wrong.
  function SA.json_decode(text)
    local ok, value, stop = pcall(decode_value, text, 1)
    if not ok then return nil, value end
    if skip_space(text, stop) <= #text then
      return nil, ("JSON: unexpected text after the value at character %d"):format(stop)
    end
    return value
  end
end
