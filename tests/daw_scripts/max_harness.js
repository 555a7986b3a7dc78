// Run the SemanticAudio device's [js] under Node the way Max would, against the LiveAPI
// stand-in, and print what it did as JSON.
//   node max_harness.js DEVICE.js SCENARIO.json
// SCENARIO: { live: {version, os, boot_volume?, scenes, tracks, detail_clip, device_track,
//                    device_path?, ...},
//             patch: "SemanticAudio.maxpat",
//             steps: [[message, ...args] | ["type", field, text] | ["tick", ms]
//                     | ["await", address, ms] | ["change_track", index, {field: value}]],
//             osc_port?: N }
// The patch is run too, where messages pass through it on their way to the [js]: ["type",
// "prompt", "rain"] is what the [textedit] named "prompt" sends when its button bangs it, and
// what the [js] sends out of an outlet wired back to its inlet (through [conformpath] and
// [prepend]) comes back at once, depth first, as in Max. Objects the walk meets that are not
// modelled here throw, except those that never answer the [js] (udpsend, comment, ...).
// With osc_port, the harness is also [udpsend 127.0.0.1 N] and [udpreceive]: outlet 0 goes out
// as OSC over UDP, and datagrams arriving on the port the device opens (outlet 4) come back in
// as messages; ["await", address, ms] waits for one such message.
// ["change_track", 1, {"frozen": true}] is the user changing the Set (here: freezing track 2)
// while a job runs.
// A message whose name is a function of the device calls it; any other goes to anything()
// with `messagename` set, as in Max. "$JOB" in a step stands for the id of the job the device
// sent last (job ids are random).
"use strict";
const fs = require("fs");
const vm = require("vm");
const dgram = require("dgram");
const { LiveModel, makeLiveAPI, makeTask } = require("./liveapi_standin.js");
const osc = require("./max_osc.js");

const [devicePath, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(scenarioPath, "utf8"));
const log = { outlets: [], posts: [], live: [], console: [], errors: [] };
const clock = { now: 0, tasks: [] };
const model = new LiveModel(scenario.live, log.live, log.console);
const BOOT_VOLUMES = { macintosh: "Macintosh HD", windows: "C" };
const bootVolume = scenario.live.boot_volume || BOOT_VOLUMES[scenario.live.os || "windows"];

// received: addresses delivered so far; seen: how many of them an "await" has used up.
const network = { socket: null, ready: Promise.resolve(), received: [], seen: 0, waiters: [] };

function openReplyPort(port) {
  network.socket = dgram.createSocket("udp4");
  network.socket.on("message", (data) => {
    const [address, args] = osc.decode(data);
    network.received.push(address);
    safely(address, () => deliver(address, args));
    network.waiters = network.waiters.filter((w) => !w(address));
  });
  network.ready = new Promise((resolve) => network.socket.bind(port, "127.0.0.1", resolve));
}

// ---------------------------------------------------------------------- the patch

function loadPatch(path) {
  const patcher = JSON.parse(fs.readFileSync(path, "utf8")).patcher;
  const boxes = new Map(patcher.boxes.map(({ box }) => [box.id, box]));
  const cords = new Map(); // "id outlet" -> [[id, inlet], ...]
  for (const { patchline: { source, destination } } of patcher.lines) {
    const from = source.join(" ");
    cords.set(from, [...(cords.get(from) || []), destination]);
  }
  const js = [...boxes.values()].find((box) => /^js /.test(box.text || "")).id;
  return { boxes, cords, js };
}

const patch = scenario.patch ? loadPatch(scenario.patch) : null;

/** [conformpath slash absolute]: "Volume:/x" is absolute already; in Max's path syntax an
 *  initial slash means the boot volume, so "/x" becomes "<boot volume>:/x". */
function conformPath(args, path) {
  if (args.join(" ") !== "slash absolute") {
    throw new Error(`[conformpath ${args.join(" ")}] is not modelled`);
  }
  return path.startsWith("/") ? `${bootVolume}:${path}` : path;
}

// Objects a message passes through: (box arguments, message atoms) -> [[outlet, message]].
const OBJECTS = {
  prepend: (args, message) => [[0, [...args, ...message]]],
  conformpath: (args, message) => [[0, [conformPath(args, String(message[0]))]]],
};
const SINKS = new Set(["udpsend", "udpreceive", "comment", "slider", "umenu"]);

/** Send `message` out of outlet `outletIndex` of box `id` and on through the patch cords. */
function flow(id, outletIndex, message) {
  for (const [to] of patch.cords.get(`${id} ${outletIndex}`) || []) {
    if (to === patch.js) {
      toDevice(String(message[0]), message.slice(1));
      continue;
    }
    const box = patch.boxes.get(to);
    const [name, ...args] = box.maxclass === "newobj" ? box.text.split(" ") : [box.maxclass];
    if (SINKS.has(name)) continue;
    if (!OBJECTS[name]) throw new Error(`[${name}] (${to}) is not modelled in the harness`);
    for (const [out, next] of OBJECTS[name](args, message)) flow(to, out, next);
  }
}

/** What the [textedit] with this varname sends when banged: "text" and its contents, as one
 *  symbol (outputmode 1) or as words, numbers as numbers (outputmode 0). */
function typeInto(field, contents) {
  const box = [...patch.boxes.values()].find((b) => b.maxclass === "textedit" &&
                                                     b.varname === field);
  if (!box) throw new Error(`no [textedit] named ${field} in the patch`);
  const words = contents.split(/\s+/).filter(Boolean)
    .map((word) => (/^-?\d+(\.\d+)?$/.test(word) ? Number(word) : word));
  flow(box.id, 0, box.outputmode === 1 ? ["text", contents] : ["text", ...words]);
}

// ------------------------------------------------------------------------ Max

function outlet(index, ...args) {
  const flat = [];
  for (const arg of args) { if (Array.isArray(arg)) flat.push(...arg); else flat.push(arg); }
  log.outlets.push([index, ...flat]);
  if (patch) flow(patch.js, index, flat);
  if (!scenario.osc_port) return;
  if (index === 4 && flat[0] === "port") openReplyPort(flat[1]);
  if (index === 0) {
    const packet = osc.encode(flat[0], flat.slice(1));
    network.ready.then(() => network.socket.send(packet, scenario.osc_port, "127.0.0.1"));
  }
}

function awaitMessage(address, timeoutMs) {
  const already = network.received.indexOf(address, network.seen);
  if (already >= 0) {
    network.seen = already + 1;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log.errors.push(`await ${address}: nothing within ${timeoutMs} ms`);
      resolve();
    }, timeoutMs);
    network.waiters.push((arrived) => {
      if (arrived !== address) return false;
      network.seen = network.received.length;
      clearTimeout(timer);
      resolve();
      return true;
    });
  });
}

const sandbox = {
  outlet,
  post: (...args) => log.posts.push(args.join(" ")),
  arrayfromargs: (args) => Array.prototype.slice.call(args),
  LiveAPI: makeLiveAPI(model, log.live),
  Task: makeTask(clock),
  max: { os: scenario.live.os || "windows" },
  messagename: "",
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(devicePath, "utf8"), sandbox, { filename: devicePath });

function lastJobId() {
  for (let i = log.outlets.length - 1; i >= 0; i--) {
    const [index, address, id] = log.outlets[i];
    if (index === 0 && (address === "/sa/generate" || address === "/sa/edit")) return id;
  }
  return "";
}

function tick(ms) {
  clock.now += ms;
  const due = clock.tasks.filter((t) => t.due <= clock.now);
  clock.tasks = clock.tasks.filter((t) => t.due > clock.now);
  for (const task of due) task.fn.call(task.owner);
}

function deliver(name, args) {
  const resolved = args.map((a) => (a === "$JOB" ? lastJobId() : a));
  if (name === "tick") return tick(resolved[0]);
  if (name === "type") return typeInto(resolved[0], resolved[1]);
  if (name === "change_track") return Object.assign(model.track(resolved[0]), resolved[1]);
  return toDevice(name, resolved);
}

/** A message into the [js]'s inlet. */
function toDevice(name, args) {
  if (typeof sandbox[name] === "function" && name !== "anything") return sandbox[name](...args);
  sandbox.messagename = name;
  return sandbox.anything(...args);
}

function safely(name, fn) {
  try {
    fn();
  } catch (err) {
    log.errors.push(`${name}: ${err.message}`);
  }
}

async function main() {
  for (const [name, ...args] of scenario.steps) {
    if (name === "await") await awaitMessage(args[0], args[1]);
    else safely(name, () => deliver(name, args));
  }
  if (network.socket) network.socket.close();
  log.tracks = scenario.live.tracks;
  process.stdout.write(JSON.stringify(log));
}

main();
