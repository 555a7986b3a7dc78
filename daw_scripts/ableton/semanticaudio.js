// SemanticAudio Max for Live device: the [js] behind SemanticAudio.maxpat.
// Max's classic [js] runs ECMAScript 5: no let/const, arrow functions or template strings here.
//
// Inlet 0 takes the UI's messages (prompt, source, target, duration, variations, preset, folder,
// place, generate, edit, cancel, ping, init), Max's answer about the boot volume (bootvolume)
// and the engine's OSC replies from [udpreceive] (/sa/accepted, /sa/progress, /sa/done,
// /sa/error, /sa/pong, /sa/presets, /sa/status).
// Outlets: 0 OSC requests to [udpsend], 1 status text, 2 progress 0..1, 3 preset menu
// (clear / append NAME), 4 "port N" for [udpreceive], 5 a Max path for
// [conformpath slash absolute], whose answer comes back as "bootvolume PATH".
// The protocol is SemanticAudio's OSC protocol v1 (docs/protocol.md).

autowatch = 1;
inlets = 1;
outlets = 6;

var OUT_OSC = 0, OUT_STATUS = 1, OUT_PROGRESS = 2, OUT_MENU = 3, OUT_PORT = 4, OUT_PATH = 5;
var NO_PRESET = "(no preset)";
var NEEDS_LIVE = [12, 0, 5]; // ClipSlot/Track.create_audio_clip arrived in Live 12.0.5
var READS_FROM_LIVE = [11, 0, 5]; // Clip.sample_rate and warp_markers
var ACK_TIMEOUT_MS = 10000; // a running engine answers every request at once
// A running job sends /sa/progress at every sampling step and stage change (docs/protocol.md),
// a queued one nothing until it starts. After this long without a word about the job the
// device asks the engine (/sa/status) whether it still has it, and gives the job up when the
// engine does not answer within ACK_TIMEOUT_MS or no longer knows it.
var SILENCE_MS = 30000;
var CANCEL_GRACE_MS = 5000; // a cancelled job stops at its next sampling step
var LOST_GRACE_MS = 2000; // room for a final reply that crossed the engine's /sa/status answer

var settings = { host: "127.0.0.1", port: 9000, reply_port: 9001 };
var form = { prompt: "", source: "", target: "", duration_s: 5.0, variations: 1, preset: "",
             out_dir: "", place: "session" };
// { id, kind, origin, name, place, phase: "ack" | "running" | "probe" | "lost" | "cancel" };
// name and place are the form's when the request went out, whatever the user types meanwhile.
var job = null;
var abandoned = []; // ids of the last jobs the device stopped waiting for (their files may come)
var ABANDONED_KEPT = 8;
var machine = { boot_volume: "" }; // macOS: the boot volume's name, as Max reports it
var watchdog = new Task(function () { if (job) timeouts[job.phase](job); }, this);

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

function onMac() {
  return typeof max !== "undefined" && max.os === "macintosh";
}

/** A Max path as the engine's absolute path. On macOS Max writes "Volume:/rest": the boot
 *  volume is mounted at / ("/rest"), every other volume at "/Volumes/Volume/rest". Without the
 *  boot volume's name every volume goes through /Volumes/, which also lists the boot volume
 *  (as a link to /). Elsewhere a Max path ("C:/rest") is already the native one. */
function nativePath(maxPath, bootVolume) {
  var mac = /^([^\/:]+):(\/.*)$/.exec(maxPath);
  if (!onMac() || !mac) return maxPath;
  return mac[1] === bootVolume ? mac[2] : "/Volumes/" + mac[1] + mac[2];
}

/** A native path as Live takes it in create_audio_clip: on macOS /Volumes/<drive>/...
 *  (docs/ableton.md), so a path on the boot volume gets the boot volume's name. */
function livePath(path, bootVolume) {
  if (!onMac() || !bootVolume || path.charAt(0) !== "/" || path.indexOf("/Volumes/") === 0) {
    return path;
  }
  return "/Volumes/" + bootVolume + path;
}

/** Ask Max for the boot volume's name: "/" is the boot volume in Max's path syntax, and
 *  [conformpath slash absolute] answers "<boot volume>:/" through bootvolume(). */
function askBootVolume() {
  if (onMac() && !machine.boot_volume) outlet(OUT_PATH, "/");
}

function dirname(path) {
  var cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut > 0 ? path.substring(0, cut) : path;
}

// ------------------------------------------------------------------------- UI messages

/** A [textedit]'s text: it sends "text <contents>" and [prepend prompt] puts the field's name in
 *  front, so the word "text" is the textedit's, not the user's. */
function fieldText(args) {
  var words = arrayfromargs(args);
  if (words.length && String(words[0]) === "text") words.shift();
  return joined(words);
}

function prompt() { form.prompt = fieldText(arguments); }
function source() { form.source = fieldText(arguments); }
function target() { form.target = fieldText(arguments); }
function duration(seconds) { form.duration_s = Number(seconds); }
function variations(count) { form.variations = Math.round(Number(count)); }
function place(index) { form.place = Number(index) === 1 ? "arrangement" : "session"; }

function preset() {
  var name = joined(arguments);
  form.preset = name === NO_PRESET ? "" : name;
}

function folder() {
  askBootVolume();
  form.out_dir = nativePath(joined(arguments), machine.boot_volume).replace(/\/$/, "");
  status("Output folder: " + form.out_dir);
}

/** Max's answer to askBootVolume(): "Macintosh HD:/". */
function bootvolume() {
  var found = /^([^\/:]+):/.exec(joined(arguments));
  machine.boot_volume = found ? found[1] : "";
}

/** Called by [live.thisdevice] once Live has loaded the device. */
function init() {
  settings.reply_port = 9100 + Math.floor(Math.random() * 800); // one port per device
  outlet(OUT_PORT, "port", settings.reply_port);
  askBootVolume();
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
  status("Asking sa-engine at " + engineAddress() + "...");
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

function engineAddress() {
  return settings.host + ":" + settings.port;
}

/** Unless a reply about the job arrives within `delayMs`, `phase` times out (see timeouts). */
function watch(phase, delayMs) {
  job.phase = phase;
  watchdog.cancel();
  watchdog.schedule(delayMs);
}

/** Forget the job: its final reply came, or the device gave up on it. */
function endJob() {
  job = null;
  watchdog.cancel();
}

function giveUp(text) {
  abandoned = abandoned.concat([job.id]).slice(-ABANDONED_KEPT);
  endJob();
  outlet(OUT_PROGRESS, 0);
  status(text);
}

var timeouts = {
  ack: function () {
    giveUp("No answer from sa-engine at " + engineAddress() + ". Start it with: sa-engine --port " +
           settings.port);
  },
  running: function () {
    send(["/sa/status", settings.reply_port]); // silent for a while: is the engine still there?
    watch("probe", ACK_TIMEOUT_MS);
  },
  probe: function (watched) {
    giveUp("sa-engine at " + engineAddress() + " stopped answering during job " + watched.id +
           ". Restart it (sa-engine --port " + settings.port + ") and try again");
  },
  lost: function (watched) {
    giveUp("sa-engine no longer has job " + watched.id + " (was it restarted?). Try again");
  },
  cancel: function (watched) {
    giveUp("sa-engine did not confirm the cancel of job " + watched.id + " within " +
           CANCEL_GRACE_MS / 1000 + " s; stopped waiting for it. If the engine is stuck, " +
           "restart it (sa-engine --port " + settings.port + ")");
  }
};

function startJob(kind, message, origin, name) {
  job = { id: message[1], kind: kind, origin: origin, name: name, place: form.place,
          phase: "ack" };
  outlet(OUT_PROGRESS, 0);
  send(message);
  watch("ack", ACK_TIMEOUT_MS);
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
  var problem = destinationProblem(null); // generated clips go onto the device's own track
  if (problem) return status(problem);
  var id = newJobId();
  startJob("generate", ["/sa/generate", id, settings.reply_port, form.prompt, form.duration_s,
                        form.out_dir, optionsString()], null, form.prompt);
  status("Generating: " + form.prompt);
}

function edit() {
  if (busy()) return;
  if (!form.target && !form.preset) return status("Type a target prompt or pick a preset");
  var clip = readDetailClip();
  if (clip.problem) return status(clip.problem);
  var problem = destinationProblem(clip);
  if (problem) return status(problem);
  var outDir = form.out_dir || dirname(clip.file);
  var id = newJobId();
  startJob("edit", ["/sa/edit", id, settings.reply_port, clip.file, clip.start_s, clip.length_s,
                    form.source, form.target, outDir, optionsString()], clip,
           form.target || form.preset);
  status("Editing " + clip.file.replace(/^.*[\/\\]/, "") + " (" + clip.length_s.toFixed(2) +
         " s)");
}

function cancel() {
  if (!job) return status("Nothing to cancel");
  send(["/sa/cancel", job.id, settings.reply_port]);
  watch("cancel", CANCEL_GRACE_MS);
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
  var session = /^live_set tracks (\d+) clip_slots (\d+) clip$/.exec(path);
  if (session) return { where: "session", track: Number(session[1]), slot: Number(session[2]) };
  var arrangement = /^live_set tracks (\d+) arrangement_clips (\d+)$/.exec(path);
  if (arrangement) return { where: "arrangement", track: Number(arrangement[1]) };
  return null;
}

/** The file span the selected audio clip plays: start marker to end marker; for a looped clip,
 *  which plays from its start marker to the loop end and then the loop again and again (its end
 *  marker unused), from the start marker or the loop start, whichever is earlier, to the loop
 *  end. Unwarped clips (which cannot loop) give their markers in seconds of the file, warped
 *  ones in beats (mapped by warp markers). */
function markersInSeconds(clip) {
  var start = num(clip.get("start_marker")), end = num(clip.get("end_marker"));
  if (!num(clip.get("warping"))) return { start_s: start, end_s: end };
  if (num(clip.get("looping"))) {
    start = Math.min(start, num(clip.get("loop_start")));
    end = num(clip.get("loop_end"));
  }
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
  return { file: text(clip.get("file_path")), start_s: start_s, length_s: end_s - start_s,
           end_time: num(clip.get("end_time")), location: clipLocation(clip),
           name: text(clip.get("name")) };
}

// ------------------------------------------------------------------- writing into Live

/** The device's track as { track: index }, or { problem } where no clip can go: a return
 *  track ("live_set return_tracks N devices M") or the master track hold no clips. */
function deviceTrack() {
  var path = text(new LiveAPI("this_device").path).replace(/"/g, "");
  var found = /^live_set tracks (\d+) /.exec(path);
  if (found) return { track: Number(found[1]) };
  var where = /^live_set return_tracks /.test(path) ? "a return track"
    : /^live_set master_track /.test(path) ? "the master track" : "no track (" + path + ")";
  return { problem: "SemanticAudio is on " + where + ", where clips cannot go: put it on an " +
                    "audio track" };
}

/** The track an edit's result (`origin`: the source clip) or a generated clip (null) goes onto,
 *  as { track: index } or { problem }. */
function destination(origin) {
  return origin && origin.location ? { track: origin.location.track } : deviceTrack();
}

/** Why no audio clip can go onto that track, or null: Live's create_audio_clip puts clips only
 *  on audio tracks that are not frozen (a group track has no audio input and holds no clips). */
function destinationProblem(origin) {
  var home = destination(origin);
  if (home.problem) return home.problem;
  var track = new LiveAPI("live_set tracks " + home.track);
  var which = "Track " + (home.track + 1) + " (" + text(track.get("name")) + ")";
  if (num(track.get("is_foldable"))) {
    return which + " is a group track, which holds no clips: put SemanticAudio on an audio track";
  }
  if (!num(track.get("has_audio_input"))) {
    return which + " is a MIDI track, where audio clips cannot go: put SemanticAudio on an " +
           "audio track";
  }
  if (num(track.get("is_frozen"))) {
    return which + " is frozen, and Live adds no clips to a frozen track: unfreeze it, then try " +
           "again";
  }
  return null;
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

/** `api` when it is a clip, else null. A create_audio_clip that fails does not throw: Live
 *  prints why to the Max Console and the call returns nothing, id 0 or another object. */
function clipOrNull(api) {
  return Number(api.id) !== 0 && api.type === "Clip" ? api : null;
}

/** The status text for files Live made no clip from, or null when there are none. */
function refused(paths) {
  if (!paths.length) return null;
  return "Live did not create a clip from " + paths.join(", ") + " (the Max Console says why; " +
         "the files are on disk)";
}

function intoSession(track, from, paths, name) {
  var slots = emptySlots(track, from, paths.length);
  if (slots.length < paths.length) {
    return "Not enough empty clip slots below; add scenes. Files: " + paths.join(", ");
  }
  var failed = [];
  for (var i = 0; i < paths.length; i++) {
    slots[i].call("create_audio_clip", livePath(paths[i], machine.boot_volume));
    var clip = num(slots[i].get("has_clip"))
      ? clipOrNull(new LiveAPI(text(slots[i].path).replace(/"/g, "") + " clip")) : null;
    if (clip) clip.set("name", name);
    else failed.push(paths[i]);
  }
  return refused(failed);
}

/** Where the track's last Arrangement clip ends (beats), 0 when it has none. */
function arrangementEnd(track) {
  var count = new LiveAPI("live_set tracks " + track).getcount("arrangement_clips");
  var end = 0;
  for (var i = 0; i < count; i++) {
    var clip = new LiveAPI("live_set tracks " + track + " arrangement_clips " + i);
    end = Math.max(end, num(clip.get("end_time")));
  }
  return end;
}

/** The clips go one after the other from `wanted` (beats), unless a clip of the track ends
 *  later: Live cuts away whatever part of a clip a new Arrangement clip covers, and how many
 *  beats a new clip takes is only known once Live has made it (it depends on warping), so then
 *  they go after the track's last clip. Returns a problem text, or a note on where they went. */
function intoArrangement(track, wanted, paths, name) {
  var api = new LiveAPI("live_set tracks " + track);
  var position = Math.max(wanted, arrangementEnd(track));
  var moved = position > wanted ? " (after the last clip on the track, at beat " +
                                   Math.round(position * 100) / 100 + ", so that none of your " +
                                   "clips is covered)" : "";
  var failed = [];
  for (var i = 0; i < paths.length; i++) {
    var file = livePath(paths[i], machine.boot_volume);
    var made = /^id (\d+)$/.exec(text(api.call("create_audio_clip", file, position)));
    var clip = made ? clipOrNull(new LiveAPI("id " + made[1])) : null;
    if (!clip) {
      failed.push(paths[i]);
      continue;
    }
    clip.set("name", name);
    position = num(clip.get("end_time"));
  }
  return refused(failed) || { note: moved };
}

/** Put the finished files next to where they belong; returns a problem text, or null or
 *  { note } when they are in place. */
function placeResults(finished, paths) {
  var version = liveVersion();
  if (!versionAtLeast(version, NEEDS_LIVE)) {
    return "Creating clips needs Live " + NEEDS_LIVE.join(".") + " or newer (this is Live " +
           version.join(".") + "). Files: " + paths.join(", ");
  }
  var origin = finished.origin;
  var name = finished.name;
  if (origin && origin.location && origin.location.where === "session") {
    return intoSession(origin.location.track, origin.location.slot + 1, paths, name);
  }
  if (origin && origin.location) {
    return intoArrangement(origin.location.track, origin.end_time, paths, name);
  }
  var home = deviceTrack();
  if (home.problem) return home.problem + ". Files: " + paths.join(", ");
  if (finished.place === "arrangement") {
    return intoArrangement(home.track, num(new LiveAPI("live_set").get("current_song_time")),
                           paths, name);
  }
  return intoSession(home.track, 0, paths, name);
}

// ------------------------------------------------------------------------ engine replies

function forThisJob(args) {
  return job && String(args[0]) === job.id;
}

/** A reply shows the engine is still at the job: restart the silence clock (a cancel keeps
 *  its own, shorter one). */
function stillWorking() {
  if (job.phase !== "cancel") watch("running", SILENCE_MS);
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
    stillWorking();
    if (job.phase !== "cancel") status("Job " + job.id + " accepted (" + args[1] + " ahead of it)");
  },
  "/sa/progress": function (args) {
    if (!forThisJob(args)) return;
    stillWorking();
    outlet(OUT_PROGRESS, Number(args[1]));
    if (job.phase !== "cancel") status(args[2] + " " + Math.round(Number(args[1]) * 100) + "%");
  },
  "/sa/status": function (args) {
    if (!job || job.phase !== "probe") return;
    var known = [String(args[1])].concat(args.slice(4).map(String)); // running, then queued
    if (known.indexOf(job.id) >= 0) watch("running", SILENCE_MS);
    else watch("lost", LOST_GRACE_MS);
  },
  "/sa/done": function (args) {
    var paths = args.slice(1).map(String);
    if (abandoned.indexOf(String(args[0])) >= 0 && !forThisJob(args)) {
      return status("Job " + args[0] + " finished after the device had stopped waiting for it; " +
                    "its files are on disk: " + paths.join(", "));
    }
    if (!forThisJob(args)) return;
    var finished = job;
    endJob();
    outlet(OUT_PROGRESS, 1);
    var placed = placeResults(finished, paths);
    if (typeof placed === "string") return status(placed);
    var names = paths.map(function (path) { return path.replace(/^.*[\/\\]/, ""); });
    status("Done: " + names.join(", ") + (placed ? placed.note : ""));
  },
  "/sa/error": function (args) {
    if (String(args[0]) !== "" && !forThisJob(args)) return;
    if (job) endJob();
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
