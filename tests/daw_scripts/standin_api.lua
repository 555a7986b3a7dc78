-- The functions of the REAPER stand-in. SIGNATURES holds each one's Lua signature as REAPER's
-- API reference writes it; every call is checked against it before the model answers.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or ""
local io_helpers = dofile(here .. "standin_io.lua")

local SIGNATURES = [[
integer reaper.CountSelectedMediaItems(ReaProject proj)
MediaItem reaper.GetSelectedMediaItem(ReaProject proj, integer selitem)
MediaItem_Take reaper.GetActiveTake(MediaItem item)
boolean reaper.TakeIsMIDI(MediaItem_Take take)
PCM_source reaper.GetMediaItemTake_Source(MediaItem_Take take)
string reaper.GetMediaSourceFileName(PCM_source source, optional string filenamebuf)
PCM_source reaper.GetMediaSourceParent(PCM_source src)
boolean retval, number offs, number len, boolean rev = reaper.PCM_Source_GetSectionInfo(PCM_source src)
number retval, boolean lengthIsQN = reaper.GetMediaSourceLength(PCM_source source)
integer reaper.GetMediaSourceSampleRate(PCM_source source)
integer reaper.GetMediaSourceNumChannels(PCM_source source)
number reaper.GetMediaItemInfo_Value(MediaItem item, string parmname)
boolean reaper.SetMediaItemInfo_Value(MediaItem item, string parmname, number newvalue)
number reaper.GetMediaItemTakeInfo_Value(MediaItem_Take take, string parmname)
boolean reaper.SetMediaItemTakeInfo_Value(MediaItem_Take take, string parmname, number newvalue)
boolean retval, string stringNeedBig = reaper.GetSetMediaItemTakeInfo_String(MediaItem_Take tk, string parmname, string stringNeedBig, boolean setNewValue)
MediaTrack reaper.GetMediaItem_Track(MediaItem item)
string reaper.GetTakeName(MediaItem_Take take)
number reaper.GetMediaTrackInfo_Value(MediaTrack tr, string parmname)
string reaper.format_timestr_pos(number tpos, string buf, integer modeoverride)
MediaItem reaper.AddMediaItemToTrack(MediaTrack tr)
MediaItem_Take reaper.AddTakeToMediaItem(MediaItem item)
MediaItem reaper.SplitMediaItem(MediaItem item, number position)
PCM_source reaper.PCM_Source_CreateFromFile(string filename)
reaper.PCM_Source_Destroy(PCM_source src)
integer reaper.GetTakeNumStretchMarkers(MediaItem_Take take)
boolean reaper.SetMediaItemTake_Source(MediaItem_Take take, PCM_source source)
reaper.SetActiveTake(MediaItem_Take take)
MediaTrack reaper.GetSelectedTrack(ReaProject proj, integer seltrackidx)
MediaTrack reaper.GetLastTouchedTrack()
number reaper.GetCursorPosition()
number start, number end = reaper.GetSet_LoopTimeRange(boolean isSet, boolean isLoop, number start, number end, boolean allowautoseek)
string reaper.GetProjectPath(optional string buf)
string reaper.GetResourcePath()
integer reaper.RecursiveCreateDirectory(string path, integer ignored)
boolean reaper.file_exists(string path)
string reaper.GetExtState(string section, string key)
reaper.SetExtState(string section, string key, string value, boolean persist)
boolean reaper.HasExtState(string section, string key)
boolean retval, string retvals_csv = reaper.GetUserInputs(string title, integer num_inputs, string captions_csv, string retvals_csv)
integer reaper.ShowMessageBox(string msg, string title, integer type)
integer reaper.MB(string msg, string title, integer type)
reaper.ShowConsoleMsg(string msg)
string reaper.ExecProcess(string cmdline, integer timeoutmsec)
boolean reaper.defer(function function)
boolean reaper.atexit(function function)
number reaper.time_precise()
reaper.Undo_BeginBlock2(ReaProject proj)
reaper.Undo_EndBlock2(ReaProject proj, string descchange, integer extraflags)
reaper.UpdateArrange()
reaper.UpdateItemInProject(MediaItem item)
reaper.PreventUIRefresh(integer prevent_count)
string reaper.GetOS()
string reaper.GetAppVersion()
boolean reaper.ValidatePtr2(ReaProject proj, identifier pointer, string ctypename)
number gfx.init(string name, optional number width, optional number height, optional number dockstate, optional number xpos, optional number ypos)
gfx.quit()
number gfx.getchar(optional number char)
gfx.update()
gfx.set(number r, optional number g, optional number b, optional number a, optional number mode, optional number dest, optional number a2)
gfx.rect(number x, number y, number w, number h, optional number filled)
gfx.drawstr(string str, optional number flags, optional number right, optional number bottom)
number gfx.showmenu(string str)
]]

--- A handle of `kind`; a destroyed source is no handle any more (REAPER would crash on it).
local function kind_check(kind)
  return function(value)
    return type(value) == "table" and value.__kind == kind and not value.destroyed
  end
end

local CHECKS = {
  integer = function(v) return type(v) == "number" and v == math.floor(v) end,
  number = function(v) return type(v) == "number" end,
  string = function(v) return type(v) == "string" end,
  boolean = function(v) return type(v) == "boolean" end,
  ["function"] = function(v) return type(v) == "function" end,
  ReaProject = function(v) return v == nil or v == 0 end,
  identifier = function(v) return v ~= nil end,
  MediaItem = kind_check("MediaItem"),
  MediaItem_Take = kind_check("MediaItem_Take"),
  MediaTrack = kind_check("MediaTrack"),
  PCM_source = kind_check("PCM_source"),
}

--- { ["reaper.Name"] = { { type, optional }, ... } } from SIGNATURES.
local function parse_signatures()
  local parsed = {}
  for line in SIGNATURES:gmatch("[^\n]+") do
    local name, params = line:match("([%w_]+%.[%w_]+)%((.*)%)%s*$")
    local list = {}
    for param in params:gmatch("[^,]+") do
      local optional, kind = param:match("^%s*(optional%s+)(%S+)")
      kind = kind or param:match("^%s*(%S+)")
      assert(CHECKS[kind], "no check for parameter type " .. kind .. " in " .. line)
      list[#list + 1] = { kind = kind, optional = optional ~= nil,
                          text = (param:gsub("^%s+", "")) }
    end
    parsed[name] = list
  end
  return parsed
end

local function checked(name, params, record, impl)
  return function(...)
    local count = select("#", ...)
    local args = { ... }
    if count > #params then
      error(("%s takes %d arguments, got %d"):format(name, #params, count), 2)
    end
    for i, param in ipairs(params) do
      local value = args[i]
      if not (value == nil and param.optional) and not CHECKS[param.kind](value) then
        error(("%s: argument #%d (%s) must be %s, got %s %s"):format(
          name, i, param.text, param.kind, type(value), tostring(value)), 2)
      end
    end
    if record then record(name, args, count) end
    return impl(...)
  end
end

local function strict(name)
  return { __index = function(_, key)
    error(("%s.%s is not modelled by the REAPER stand-in"):format(name, key), 2)
  end }
end

--- Build the `reaper` and `gfx` tables over `state` (see reaper_standin.lua).
return function(state)
  local impl = dofile(here .. "standin_impl.lua")(state, io_helpers)
  local signatures = parse_signatures()
  local function record(name, args, count)
    for i = 1, count do
      if args[i] == nil then args[i] = "<nil>" end -- keeps the JSON list without holes
    end
    state.calls[#state.calls + 1] = { fn = (name:gsub("^reaper%.", "")), args = args }
  end
  local reaper, gfx = {}, { x = 0, y = 0, w = 0, h = 0, mouse_x = 0, mouse_y = 0, mouse_cap = 0 }
  for name, params in pairs(signatures) do
    local table_name, short = name:match("^(%w+)%.(.+)$")
    local fn = assert(impl[name], "no stand-in implementation for " .. name)
    if table_name == "reaper" then
      reaper[short] = checked(name, params, record, fn)
    else
      gfx[short] = checked(name, params, nil, fn)
    end
  end
  state.gfx = gfx
  return setmetatable(reaper, strict("reaper")), setmetatable(gfx, strict("gfx"))
end
