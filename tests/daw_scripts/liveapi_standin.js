// A stand-in for Max's LiveAPI (and Task) over a small model of a Live Set, for running the
// SemanticAudio device's [js] under Node. It follows the Live Object Model where the device
// touches it: canonical paths, `type` as the LOM class name, properties read with get() as
// arrays, functions with call(), "id N" paths (an id follows its clip, not its place in a list),
// create_audio_clip only from Live 12.0.5, only on audio tracks that are not frozen, and on macOS
// only /Volumes/ paths. A clip that Track.create_audio_clip puts into the Arrangement cuts away
// the part of every clip it covers, as a clip dropped there does in Live.
// A call that Live refuses does not throw in Max: Live prints the reason to the Max Console
// and the call returns all the same (a failed Track.create_audio_clip may even answer with
// another object's id; Producer Pal's clip-results.ts has seen id 1, the Live Set). The
// stand-in does the same, into `console`. Paths, properties and functions it does not model
// still throw, so a typo cannot pass silently.
"use strict";

const CLIP_PROPERTIES = [
  "file_path", "start_marker", "end_marker", "warping", "sample_rate", "sample_length",
  "is_audio_clip", "start_time", "end_time", "name", "warp_markers", "length", "looping",
  "loop_start", "loop_end",
];

/** Track properties from the model's { audio, group, frozen, name }: group tracks have neither
 *  audio nor MIDI input (LOM: has_audio_input is 1 for audio tracks, has_midi_input for MIDI). */
const TRACK_PROPERTIES = {
  name: (track) => track.name,
  has_audio_input: (track) => (track.audio && !track.group ? 1 : 0),
  has_midi_input: (track) => (!track.audio && !track.group ? 1 : 0),
  is_foldable: (track) => (track.group ? 1 : 0),
  is_frozen: (track) => (track.frozen ? 1 : 0),
};

const LOM_TYPES = { app: "Application", song: "Song", device: "Device", track: "Track",
                    slot: "ClipSlot", clip: "Clip" };

/** Live refused a call: Max prints this to its Console; the device's JS sees no exception. */
class LiveRefusal extends Error {}

function versionAtLeast(version, wanted) {
  for (let i = 0; i < wanted.length; i++) {
    if (version[i] !== wanted[i]) return version[i] > wanted[i];
  }
  return true;
}

class LiveModel {
  constructor(spec, log, console) {
    this.spec = spec;
    this.log = log;
    this.console = console; // what Live prints to the Max Console
    this.version = spec.version || [12, 1, 0];
    this.objects = new Map(); // id -> { path, kind, data }
    this.nextId = 1;
    for (const track of spec.tracks) {
      track.slots = track.slots || [];
      track.arrangement = track.arrangement || [];
    }
  }

  /** The id of the object at `path`. A clip keeps its id when its index in a list changes. */
  register(path, kind, data) {
    for (const [id, entry] of this.objects) {
      if (kind === "clip" ? entry.data === data : entry.kind === kind && entry.path === path) {
        entry.path = path;
        return id;
      }
    }
    const id = this.nextId++;
    this.objects.set(id, { path, kind, data });
    return id;
  }

  track(index) {
    const track = this.spec.tracks[index];
    if (!track) throw new Error(`no track ${index} in the Live Set`);
    return track;
  }

  /** { path, kind, data } for a path the device asks for, or null (LiveAPI id 0). */
  resolve(path) {
    const words = path.trim().split(/\s+/);
    if (words[0] === "id") {
      const entry = this.objects.get(Number(words[1]));
      return entry || null;
    }
    if (path === "live_app") return { path, kind: "app", data: {} };
    if (path === "live_set") return { path, kind: "song", data: this.spec };
    if (path === "this_device") {
      const at = this.spec.device_path || `live_set tracks ${this.spec.device_track} devices 0`;
      return { path: at, kind: "device", data: {} };
    }
    if (path === "live_set view detail_clip") {
      const at = this.spec.detail_clip;
      if (!at) return null;
      const canonical = at.slot !== undefined
        ? `live_set tracks ${at.track} clip_slots ${at.slot} clip`
        : `live_set tracks ${at.track} arrangement_clips ${at.arrangement}`;
      return this.resolve(canonical);
    }
    let match = /^live_set tracks (\d+)$/.exec(path);
    if (match) return { path, kind: "track", data: this.track(Number(match[1])) };
    match = /^live_set tracks (\d+) clip_slots (\d+)$/.exec(path);
    if (match) {
      const track = this.track(Number(match[1]));
      const slot = Number(match[2]);
      if (slot >= this.spec.scenes) throw new Error(`no clip slot ${slot}: ${path}`);
      return { path, kind: "slot", data: { track, slot } };
    }
    match = /^live_set tracks (\d+) clip_slots (\d+) clip$/.exec(path);
    if (match) {
      const clip = this.track(Number(match[1])).slots[Number(match[2])];
      return clip ? { path, kind: "clip", data: clip } : null;
    }
    match = /^live_set tracks (\d+) arrangement_clips (\d+)$/.exec(path);
    if (match) {
      const clip = this.track(Number(match[1])).arrangement[Number(match[2])];
      return clip ? { path, kind: "clip", data: clip } : null;
    }
    throw new Error(`LiveAPI path not modelled: ${path}`);
  }

  get(entry, property) {
    if (entry.kind === "clip") {
      if (!CLIP_PROPERTIES.includes(property)) throw new Error(`Clip has no property ${property}`);
      const value = entry.data[property];
      if (value === undefined) throw new Error(`the model's clip lacks ${property}`);
      if (property === "warp_markers") return [JSON.stringify({ warp_markers: value })];
      return [value];
    }
    if (entry.kind === "track" && TRACK_PROPERTIES[property]) {
      const value = TRACK_PROPERTIES[property](entry.data);
      if (value === undefined) throw new Error(`the model's track lacks ${property}`);
      return [value];
    }
    if (entry.kind === "slot" && property === "has_clip") {
      return [entry.data.track.slots[entry.data.slot] ? 1 : 0];
    }
    if (entry.kind === "song" && property === "current_song_time") {
      return [this.spec.current_song_time || 0];
    }
    throw new Error(`${entry.kind} has no property ${property} in the stand-in`);
  }

  checkFilePath(filePath) {
    if (!/^(\/|[A-Za-z]:[\\/])/.test(filePath)) {
      throw new LiveRefusal(`create_audio_clip needs an absolute path, got ${filePath}`);
    }
    if (this.spec.os === "macintosh" && !filePath.startsWith("/Volumes/")) {
      throw new LiveRefusal(`on macOS create_audio_clip needs /Volumes/<drive>/..., got ` +
                            filePath);
    }
  }

  /** What a refused create_audio_clip returns: nothing from a ClipSlot; from a Track an id
   *  that is not a clip (the Live Set's). */
  refusedCreate(entry) {
    return entry.kind === "slot" ? undefined : ["id", this.register("live_set", "song", this.spec)];
  }

  createAudioClip(entry, args) {
    if (!versionAtLeast(this.version, [12, 0, 5])) {
      throw new LiveRefusal(`create_audio_clip does not exist in Live ${this.version.join(".")}`);
    }
    const [filePath, position] = args;
    this.checkFilePath(filePath);
    const track = entry.kind === "slot" ? entry.data.track : entry.data;
    if (!track.audio || track.group) throw new LiveRefusal("create_audio_clip: not an audio track");
    if (track.frozen) throw new LiveRefusal("create_audio_clip: the track is frozen");
    const clip = { file_path: filePath, name: "", is_audio_clip: 1, created: true };
    if (entry.kind === "slot") {
      if (track.slots[entry.data.slot]) throw new LiveRefusal("create_audio_clip: slot not empty");
      track.slots[entry.data.slot] = clip;
      return undefined;
    }
    if (typeof position !== "number") {
      throw new LiveRefusal("Track.create_audio_clip needs a position");
    }
    clip.start_time = position;
    clip.end_time = position + (this.spec.created_clip_beats || 4);
    this.cutAway(track, clip.start_time, clip.end_time);
    track.arrangement.push(clip);
    track.arrangement.sort((a, b) => a.start_time - b.start_time);
    const id = this.register(`live_set tracks ${this.spec.tracks.indexOf(track)} ` +
                             `arrangement_clips ${track.arrangement.indexOf(clip)}`, "clip", clip);
    return ["id", id];
  }

  /** What Live does to the Arrangement clips under a new clip from `from` to `to` (beats): a
   *  clip inside it is deleted, one that reaches into it is shortened, one that spans it is
   *  split in two. */
  cutAway(track, from, to) {
    const kept = [];
    for (const clip of track.arrangement) {
      if (clip.start_time === undefined) throw new Error("the model's clip lacks start_time");
      if (clip.end_time <= from || clip.start_time >= to) {
        kept.push(clip);
        continue;
      }
      if (clip.start_time < from) kept.push({ ...clip, end_time: from });
      if (clip.end_time > to) kept.push({ ...clip, start_time: to });
    }
    track.arrangement.splice(0, track.arrangement.length, ...kept);
  }

  call(entry, fn, args) {
    if (entry.kind === "app") {
      const index = ["get_major_version", "get_minor_version", "get_bugfix_version"].indexOf(fn);
      if (index < 0) throw new Error(`Application has no function ${fn}`);
      return this.version[index];
    }
    if (fn === "create_audio_clip" && (entry.kind === "slot" || entry.kind === "track")) {
      try {
        return this.createAudioClip(entry, args);
      } catch (err) {
        if (!(err instanceof LiveRefusal)) throw err;
        this.console.push(`${LOM_TYPES[entry.kind]}.${fn}: ${err.message}`);
        return this.refusedCreate(entry);
      }
    }
    throw new Error(`${entry.kind} has no function ${fn} in the stand-in`);
  }
}

/** The LiveAPI constructor bound to `model`: new LiveAPI([callback,] path). */
function makeLiveAPI(model, log) {
  return function LiveAPI(first, second) {
    const path = typeof first === "function" ? second : first;
    if (typeof path !== "string") throw new Error("LiveAPI needs a path string");
    const entry = model.resolve(path);
    this.id = entry ? model.register(entry.path, entry.kind, entry.data) : 0;
    this.path = entry ? `"${entry.path}"` : '""';
    this.unquotedpath = entry ? entry.path : "";
    this.type = entry ? LOM_TYPES[entry.kind] : "";
    const need = () => {
      if (!entry) throw new Error(`LiveAPI on an empty path (id 0): ${path}`);
      return entry;
    };
    this.get = (property) => model.get(need(), property);
    this.set = (property, value) => {
      const target = need();
      if (target.kind !== "clip" || property !== "name") {
        throw new Error(`cannot set ${property} on ${target.kind}`);
      }
      target.data.name = String(value);
      log.push(["set", target.path, property, value]);
    };
    this.call = (fn, ...args) => {
      log.push(["call", need().path, fn, ...args]);
      return model.call(entry, fn, args);
    };
    this.getcount = (child) => {
      const target = need();
      if (target.kind === "song" && child === "scenes") return model.spec.scenes;
      if (target.kind === "track" && child === "arrangement_clips") {
        return target.data.arrangement.length;
      }
      throw new Error(`getcount ${child} on ${target.kind} is not modelled`);
    };
  };
}

/** Max's Task, driven by the harness's fake clock: schedule(ms), cancel(). */
function makeTask(clock) {
  return function Task(fn, owner) {
    this.schedule = (delayMs) => clock.tasks.push({ due: clock.now + (delayMs || 0), fn, owner,
                                                    task: this });
    this.cancel = () => { clock.tasks = clock.tasks.filter((t) => t.task !== this); };
  };
}

module.exports = { LiveModel, makeLiveAPI, makeTask };
