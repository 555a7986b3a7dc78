// SemanticAudio Max for Live device: the [js] behind SemanticAudio.maxpat.
// Max's classic [js] runs ECMAScript 5: no let/const, arrow functions or template strings here.
//
// Inlet 0 takes the UI's messages (prompt, source, target, duration, variations, preset, folder,
// place, generate, edit, cancel, ping, init) and the engine's OSC replies from [udpreceive]
// (/sa/accepted, /sa/progress, /sa/done, /sa/error, /sa/pong, /sa/presets).
// Outlets: 0 OSC requests to [udpsend], 1 status text, 2 progress 0..1, 3 preset menu
// (clear / append NAME), 4 "port N" for [udpreceive].
// The protocol is SemanticAudio's OSC protocol v1 (docs/protocol.md).

autowatch = 1;
inlets = 1;
outlets = 5;

var OUT_OSC = 0, OUT_STATUS = 1, OUT_PROGRESS = 2, OUT_MENU = 3, OUT_PORT = 4;
var NO_PRESET = "(no preset)";
var NEEDS_LIVE = [12, 0, 5]; // ClipSlot/Track.create_audio_clip arrived in Live 12.0.5
var READS_FROM_LIVE = [11, 0, 5]; // Clip.sample_rate and warp_markers
var ACK_TIMEOUT_MS = 10000; // a running engine answers every request at once

var settings = { host: "127.0.0.1", port: 9000, reply_port: 9001 };
var form = { prompt: "", source: "", target: "", duration_s: 5.0, variations: 1, preset: "",
             out_dir: "", place: "session" };
var job = null; // { id, kind, source, acked }
var volume = ""; // macOS volume name, for Live's /Volumes/<name>/... paths
var watchdog = null;

// ------------------------------------------------------------------------------ helpers

function status(text) {
  outlet(OUT_STATUS, "set", text);
}

function joined(args) {
  var words = [];
  for (var i = 0; i < args.length; i++) words.push(String(args[i]));
  return words.join(" ");
}

/** The first value of a LiveAPI get/call answer (they come back as arrays). */
function first(value) {
  if (Array.isArray(value)) return value.length ? value[0] : null;
  return value;
}

function num(value) {
  return Number(first(value));
}

function text(value) {
  if (Array.isArray(value)) return joined(value);
  return value === null || value === undefined ? "" : String(value);
}

function newJobId() {
  var id = "m4l";
  for (var i = 0; i < 9; i++) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

function versionAtLeast(version, wanted) {
  for (var i = 0; i < wanted.length; i++) {
    if (version[i] !== wanted[i]) return version[i] > wanted[i];
  }
  return true;
}

function liveVersion() {
  var app = new LiveAPI("live_app");
  return [num(app.call("get_major_version")), num(app.call("get_minor_version")),
          num(app.call("get_bugfix_version"))];
}

/** A Max path ("Macintosh HD:/Users/x", "C:/x") as the engine's absolute path. */
function nativePath(path) {
  var mac = /^([^\/:]+):(\/.*)$/.exec(path);
  if (mac && mac[1].length > 1) {
    volume = mac[1];
    return mac[2];
  }
  return path;
}

/** Live on macOS wants absolute paths as /Volumes/<drive>/... (LOM: create_audio_clip). */
function livePath(path) {
  var onMac = typeof max !== "undefined" && max.os === "macintosh";
  if (!onMac || !volume || path.indexOf("/Volumes/") === 0) return path;
  return "/Volumes/" + volume + path;
}

function dirname(path) {
  var cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? path.substring(0, cut) : path;
}

// ------------------------------------------------------------------------- UI messages

function prompt() { form.prompt = joined(arguments); }
function source() { form.source = joined(arguments); }
function target() { form.target = joined(arguments); }
function duration(seconds) { form.duration_s = Number(seconds); }
function variations(count) { form.variations = Math.round(Number(count)); }
function place(index) { form.place = Number(index) === 1 ? "arrangement" : "session"; }

function preset() {
  var name = joined(arguments);
  form.preset = name === NO_PRESET ? "" : name;
}

function folder() {
  form.out_dir = nativePath(joined(arguments)).replace(/\/$/, "");
  status("Output folder: " + form.out_dir);
}

/** Called by [live.thisdevice] once Live has loaded the device. */
function init() {
  settings.reply_port = 9100 + Math.floor(Math.random() * 800); // one port per device
  outlet(OUT_PORT, "port", settings.reply_port);
  var version = liveVersion();
  if (!versionAtLeast(version, READS_FROM_LIVE)) {
    status("SemanticAudio needs Live " + READS_FROM_LIVE.join(".") + " or newer (this is Live " +
           version.join(".") + ")");
    return;
  }
  ping();
}

function ping() {
  send(["/sa/ping", settings.reply_port]);
  send(["/sa/presets", settings.reply_port]);
  status("Asking sa-engine at " + settings.host + ":" + settings.port + "...");
}

// ---------------------------------------------------------------------------- requests

function send(message) {
  outlet(OUT_OSC, message);
}

function optionsString() {
  var parts = [];
  if (form.variations > 1) parts.push("variations=" + form.variations);
  if (form.preset) parts.push("preset=" + form.preset);
  return parts.join(";");
}

function startWatchdog() {
  if (watchdog) watchdog.cancel();
  watchdog = new Task(function () {
    if (job && !job.acked) {
      status("No answer from sa-engine at " + settings.host + ":" + settings.port +
             ". Start it with: sa-engine --port " + settings.port);
      job = null;
    }
  }, this);
  watchdog.schedule(ACK_TIMEOUT_MS);
}

function startJob(kind, message, origin) {
  job = { id: message[1], kind: kind, origin: origin, acked: false };
  outlet(OUT_PROGRESS, 0);
  send(message);
  startWatchdog();
}

function busy() {
  if (!job) return false;
  status("Busy with job " + job.id + ": wait, or press Cancel");
  return true;
}

function generate() {
  if (busy()) return;
  if (!form.prompt) return status("Type a prompt first");
  if (!form.out_dir) return status("Choose an output folder first (Folder...)");
  var id = newJobId();
  startJob("generate", ["/sa/generate", id, settings.reply_port, form.prompt, form.duration_s,
                        form.out_dir, optionsString()], null);
  status("Generating: " + form.prompt);
}

function edit() {
  if (busy()) return;
  if (!form.target && !form.preset) return status("Type a target prompt or pick a preset");
  var clip = readDetailClip();
  if (clip.problem) return status(clip.problem);
  var outDir = form.out_dir || dirname(clip.file);
  var id = newJobId();
  startJob("edit", ["/sa/edit", id, settings.reply_port, clip.file, clip.start_s, clip.length_s,
                    form.source, form.target, outDir, optionsString()], clip);
  status("Editing " + clip.file.replace(/^.*[\/\\]/, "") + " (" + clip.length_s.toFixed(2) +
         " s)");
}

function cancel() {
  if (!job) return status("Nothing to cancel");
  send(["/sa/cancel", job.id, settings.reply_port]);
  status("Cancelling job " + job.id + "...");
}

// ------------------------------------------------------------------------ reading Live

/** Warp markers [{ beat_time, sample_time }] from Clip.warp_markers (a dict: JSON text). */
function warpMarkers(raw) {
  var value = first(raw);
  if (Array.isArray(raw) && raw.length > 1) value = joined(raw);
  var parsed = typeof value === "string" ? JSON.parse(value) : value;
  var list = parsed && (parsed.warp_markers || parsed);
  if (!Array.isArray(list) || list.length < 2) return null;
  return list.slice().sort(function (a, b) { return a.beat_time - b.beat_time; });
}

/** Seconds in the file at clip beat `beat`, along the warp markers (linear between them,
 *  the nearest segment's slope beyond them). */
function beatToSeconds(markers, beat) {
  var i = 0;
  while (i < markers.length - 2 && beat > markers[i + 1].beat_time) i++;
  var a = markers[i], b = markers[i + 1];
  var slope = (b.sample_time - a.sample_time) / (b.beat_time - a.beat_time);
  return a.sample_time + (beat - a.beat_time) * slope;
}

/** Where a clip lives, from its canonical path. */
function clipLocation(clip) {
  var path = text(clip.path).replace(/"/g, "");
  var session = /tracks (\d+) clip_slots (\d+) clip/.exec(path);
  if (session) return { where: "session", track: Number(session[1]), slot: Number(session[2]) };
  var arrangement = /tracks (\d+) arrangement_clips (\d+)/.exec(path);
  if (arrangement) return { where: "arrangement", track: Number(arrangement[1]) };
  return null;
}

/** The file span the selected audio clip plays: start marker to end marker. Unwarped clips
 *  give their markers in seconds of the file, warped ones in beats (mapped by warp markers). */
function markersInSeconds(clip) {
  var start = num(clip.get("start_marker")), end = num(clip.get("end_marker"));
  if (!num(clip.get("warping"))) return { start_s: start, end_s: end };
  var markers = warpMarkers(clip.get("warp_markers"));
  if (!markers) return { problem: "Cannot read the clip's warp markers; turn Warp off or " +
                                  "use Live " + READS_FROM_LIVE.join(".") + " or newer" };
  return { start_s: beatToSeconds(markers, start), end_s: beatToSeconds(markers, end) };
}

function readDetailClip() {
  var clip = new LiveAPI("live_set view detail_clip");
  if (!clip || Number(clip.id) === 0) {
    return { problem: "Select an audio clip first (double-click it to show it in Clip View)" };
  }
  if (!num(clip.get("is_audio_clip"))) return { problem: "The selected clip is a MIDI clip" };
  var span = markersInSeconds(clip);
  if (span.problem) return span;
  var rate = num(clip.get("sample_rate"));
  var file_s = num(clip.get("sample_length")) / rate;
  var start_s = Math.max(0, Math.round(span.start_s * rate) / rate);
  var end_s = Math.min(file_s, Math.round(span.end_s * rate) / rate);
  if (!(end_s > start_s)) {
    return { problem: "The clip's markers hold no audio (" + span.start_s.toFixed(3) + ".." +
                      span.end_s.toFixed(3) + " s of a " + file_s.toFixed(3) + " s file)" };
  }
  var file = text(clip.get("file_path"));
  if (file.indexOf("/Volumes/") === 0) volume = file.split("/")[2];
  return { file: file, start_s: start_s, length_s: end_s - start_s,
           end_time: num(clip.get("end_time")), location: clipLocation(clip),
           name: text(clip.get("name")) };
}

// ------------------------------------------------------------------- writing into Live

function trackIndexOfDevice() {
  var found = /tracks (\d+)/.exec(text(new LiveAPI("this_device").path));
  return found ? Number(found[1]) : -1;
}

/** Empty clip slots of track `track` from slot `from` on, up to `count` of them. */
function emptySlots(track, from, count) {
  var scenes = new LiveAPI("live_set").getcount("scenes");
  var slots = [];
  for (var s = from; s < scenes && slots.length < count; s++) {
    var slot = new LiveAPI("live_set tracks " + track + " clip_slots " + s);
    if (!num(slot.get("has_clip"))) slots.push(slot);
  }
  return slots;
}

function nameClip(clip, name) {
  if (clip && Number(clip.id) !== 0) clip.set("name", name);
}

function intoSession(track, from, paths, name) {
  var slots = emptySlots(track, from, paths.length);
  if (slots.length < paths.length) {
    return "Not enough empty clip slots below; add scenes. Files: " + paths.join(", ");
  }
  for (var i = 0; i < paths.length; i++) {
    slots[i].call("create_audio_clip", livePath(paths[i]));
    nameClip(new LiveAPI(text(slots[i].path).replace(/"/g, "") + " clip"), name);
  }
  return null;
}

function intoArrangement(track, position, paths, name) {
  var api = new LiveAPI("live_set tracks " + track);
  for (var i = 0; i < paths.length; i++) {
    var made = api.call("create_audio_clip", livePath(paths[i]), position);
    var clip = Array.isArray(made) && made[0] === "id" ? new LiveAPI("id " + made[1]) : null;
    nameClip(clip, name);
    if (clip) position = num(clip.get("end_time"));
  }
  return null;
}

/** Put the finished files next to where they belong; returns a problem text or null. */
function placeResults(finished, paths) {
  var version = liveVersion();
  if (!versionAtLeast(version, NEEDS_LIVE)) {
    return "Creating clips needs Live " + NEEDS_LIVE.join(".") + " or newer (this is Live " +
           version.join(".") + "). Files: " + paths.join(", ");
  }
  var origin = finished.origin;
  var name = finished.kind === "edit" ? (form.target || form.preset) : form.prompt;
  if (origin && origin.location && origin.location.where === "session") {
    return intoSession(origin.location.track, origin.location.slot + 1, paths, name);
  }
  if (origin && origin.location) {
    return intoArrangement(origin.location.track, origin.end_time, paths, name);
  }
  var track = trackIndexOfDevice();
  if (track < 0) return "Put the device on an audio track. Files: " + paths.join(", ");
  if (form.place === "arrangement") {
    return intoArrangement(track, num(new LiveAPI("live_set").get("current_song_time")), paths,
                           name);
  }
  return intoSession(track, 0, paths, name);
}

// ------------------------------------------------------------------------ engine replies

function forThisJob(args) {
  return job && String(args[0]) === job.id;
}

var replies = {
  "/sa/pong": function (args) {
    status("sa-engine " + args[0] + ": " + args[1] + " on " + args[2] + " (replies on port " +
           settings.reply_port + ")");
  },
  "/sa/presets": function (args) {
    outlet(OUT_MENU, "clear");
    outlet(OUT_MENU, "append", NO_PRESET);
    for (var i = 0; i + 2 < args.length; i += 3) outlet(OUT_MENU, "append", String(args[i]));
  },
  "/sa/accepted": function (args) {
    if (!forThisJob(args)) return;
    job.acked = true;
    status("Job " + job.id + " accepted (" + args[1] + " ahead of it)");
  },
  "/sa/progress": function (args) {
    if (!forThisJob(args)) return;
    job.acked = true;
    outlet(OUT_PROGRESS, Number(args[1]));
    status(args[2] + " " + Math.round(Number(args[1]) * 100) + "%");
  },
  "/sa/done": function (args) {
    if (!forThisJob(args)) return;
    var finished = job, paths = [];
    job = null;
    for (var i = 1; i < args.length; i++) paths.push(String(args[i]));
    outlet(OUT_PROGRESS, 1);
    var problem = placeResults(finished, paths);
    var names = paths.map(function (path) { return path.replace(/^.*[\/\\]/, ""); });
    status(problem || "Done: " + names.join(", "));
  },
  "/sa/error": function (args) {
    if (String(args[0]) !== "" && !forThisJob(args)) return;
    if (job) job = null;
    outlet(OUT_PROGRESS, 0);
    status(args[1] === "cancelled" ? "Cancelled" : "Engine error (" + args[1] + "): " + args[2]);
  }
};

/** Every other message: an OSC reply from [udpreceive] (its address is the message name). */
function anything() {
  var handler = replies[messagename];
  if (!handler) {
    post("SemanticAudio: ignored message " + messagename + "\n");
    return;
  }
  handler(arrayfromargs(arguments));
}
