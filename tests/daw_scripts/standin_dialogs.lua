-- The stand-in's dialogs and gfx window: answers come from the scenario (inputs, menu,
-- message_box_answers, gfx_events = { [tick] = "escape" | "close" | "click_cancel" }).
return function(state, impl)
  local scenario = state.scenario
  local MAX_INPUTS = 16 -- GetUserInputs: "Maximum fields is 16"

  local function split(text, sep) -- keeps empty fields
    local fields = {}
    for field in (text .. sep):gmatch("(.-)" .. sep:gsub("%p", "%%%0")) do
      fields[#fields + 1] = field
    end
    return fields
  end

  --- Captions split at commas, with the extras (separator=, extrawidth=) taken out.
  local function read_captions(captions_csv)
    local captions, extras = {}, {}
    for _, caption in ipairs(split(captions_csv, ",")) do
      local key, value = caption:match("^(%a+)=(.*)$")
      if key == "separator" or key == "extrawidth" then extras[key] = value
      else captions[#captions + 1] = caption end
    end
    return captions, extras
  end

  impl["reaper.GetUserInputs"] = function(title, num_inputs, captions_csv, defaults_csv)
    assert(num_inputs >= 1 and num_inputs <= MAX_INPUTS, "GetUserInputs takes 1..16 fields")
    local captions, extras = read_captions(captions_csv)
    assert(#captions == num_inputs, ("GetUserInputs: %d captions for %d fields: %q"):format(
      #captions, num_inputs, captions_csv))
    local separator = extras.separator or ","
    assert(#separator == 1, "separator= takes one character, got " .. separator)
    local defaults = split(defaults_csv, separator)
    assert(#defaults <= num_inputs, "more default values than fields: " .. defaults_csv)
    state.dialogs[#state.dialogs + 1] = { title = title, captions = captions,
      defaults = defaults, separator = separator, extrawidth = tonumber(extras.extrawidth) }
    local answer = table.remove(state.inputs, 1)
    assert(answer ~= nil, "the scenario has no answer for dialog " .. title)
    if answer == false then return false, "" end
    assert(#answer == num_inputs, "scenario answer has the wrong number of fields")
    for _, value in ipairs(answer) do
      assert(not value:find(separator, 1, true), "an answer holds the separator")
    end
    return true, table.concat(answer, separator)
  end

  local function message_box(msg, title, kind)
    state.message_boxes[#state.message_boxes + 1] = { msg = msg, title = title, type = kind }
    local answer = table.remove(state.box_answers, 1)
    if answer then return answer end
    return kind == 4 and 7 or 1 -- No for Yes/No questions, OK otherwise
  end
  impl["reaper.ShowMessageBox"] = message_box
  impl["reaper.MB"] = message_box
  impl["reaper.ShowConsoleMsg"] = function(msg) state.console[#state.console + 1] = msg end

  ---------------------------------------------------------------------------- gfx

  local window = { open = false }
  local log = state.gfx_log

  impl["gfx.init"] = function(name, width, height)
    log.inits[#log.inits + 1] = { name = name, w = width or 0, h = height or 0 }
    state.gfx.w, state.gfx.h = width or 0, height or 0
    window.open = true
    return 1
  end
  impl["gfx.quit"] = function()
    window.open = false
    log.quits = log.quits + 1
  end
  impl["gfx.getchar"] = function()
    state.gfx.mouse_cap = 0
    if not window.open then return -1 end
    local event = (scenario.gfx_events or {})[state.clock.tick]
    if event == "close" then
      window.open = false
      return -1
    end
    if event == "escape" then return 27 end
    if event == "click_cancel" then -- the Cancel button sits in the bottom-right corner
      state.gfx.mouse_x, state.gfx.mouse_y = state.gfx.w - 40, state.gfx.h - 20
      state.gfx.mouse_cap = 1
    end
    return 0
  end
  impl["gfx.update"] = function() end
  impl["gfx.set"] = function() end
  impl["gfx.rect"] = function() end
  impl["gfx.drawstr"] = function(text)
    if not log.text_seen[text] then
      log.text_seen[text] = true
      log.texts[#log.texts + 1] = text
    end
  end
  impl["gfx.showmenu"] = function(menu)
    log.menus[#log.menus + 1] = menu
    return table.remove(state.menu_answers, 1) or 0
  end
end
