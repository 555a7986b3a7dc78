-- Helpers of the REAPER stand-in: a JSON writer (the stand-in reports to pytest in JSON),
-- shell-word splitting (to read the scripts the actions launch) and a WAV header reader (so a
-- source's length is the real file's length).
local M = {}

--------------------------------------------------------------------------------- JSON out

local function is_array(value)
  local count = 0
  for key in pairs(value) do
    if math.type(key) ~= "integer" or key < 1 then return false end
    count = count + 1
  end
  return count == #value
end

local function encode_string(text)
  return '"' .. text:gsub('[%c"\\]', function(char)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r",
                    ["\t"] = "\\t" }
    return named[char] or string.format("\\u%04x", char:byte())
  end) .. '"'
end

--- JSON text for a Lua value; tables with a `__handle` field are written as that string.
function M.encode(value)
  local kind = type(value)
  if kind == "nil" then return "null" end
  if kind == "boolean" then return tostring(value) end
  if kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then return "null" end
    if math.type(value) == "integer" then return tostring(value) end
    return string.format("%.17g", value)
  end
  if kind == "string" then return encode_string(value) end
  if kind == "function" then return '"<function>"' end
  if value.__handle then return encode_string(value.__handle) end
  local parts = {}
  if is_array(value) then
    for i, item in ipairs(value) do parts[i] = M.encode(item) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for key, item in pairs(value) do
    parts[#parts + 1] = encode_string(tostring(key)) .. ":" .. M.encode(item)
  end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

------------------------------------------------------------------------------ shell words

--- Split one POSIX shell line into words (single quotes, double quotes, backslashes).
function M.shell_words(line)
  local words, word, i, quote = {}, nil, 1, nil
  while i <= #line do
    local char = line:sub(i, i)
    if quote == "'" then
      if char == "'" then quote = nil else word = word .. char end
    elseif quote == '"' then
      if char == '"' then quote = nil
      elseif char == "\\" then i = i + 1; word = word .. line:sub(i, i)
      else word = word .. char end
    elseif char:match("%s") then
      if word then words[#words + 1] = word; word = nil end
    elseif char == "'" or char == '"' then
      word, quote = word or "", char
    elseif char == "\\" then
      i = i + 1
      word = (word or "") .. line:sub(i, i)
    else
      word = (word or "") .. char
    end
    i = i + 1
  end
  assert(not quote, "unterminated quote in: " .. line)
  if word then words[#words + 1] = word end
  return words
end

-------------------------------------------------------------------------------- WAV header

local function u32(bytes, at) return string.unpack("<I4", bytes, at) end
local function u16(bytes, at) return string.unpack("<I2", bytes, at) end

--- { length_s, sample_rate_hz, channels } of a RIFF/WAVE file, or nil and why.
function M.wav_info(path)
  local handle = io.open(path, "rb")
  if not handle then return nil, "no such file" end
  local bytes = handle:read("a")
  handle:close()
  if bytes:sub(1, 4) ~= "RIFF" or bytes:sub(9, 12) ~= "WAVE" then return nil, "not a WAV file" end
  local at, format, data_bytes = 13, nil, nil
  while at + 8 <= #bytes + 1 do
    local id, size = bytes:sub(at, at + 3), u32(bytes, at + 4)
    if id == "fmt " then
      format = { channels = u16(bytes, at + 10), rate = u32(bytes, at + 12),
                 block_align = u16(bytes, at + 20) }
    elseif id == "data" then
      data_bytes = math.min(size, #bytes - at - 7)
    end
    at = at + 8 + size + size % 2
  end
  if not format or not data_bytes then return nil, "WAV file without fmt or data chunk" end
  local frames = data_bytes // format.block_align
  return { length_s = frames / format.rate, sample_rate_hz = format.rate,
           channels = format.channels }
end

return M
