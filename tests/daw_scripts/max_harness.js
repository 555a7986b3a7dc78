// Run the SemanticAudio device's [js] under Node the way Max would, against the LiveAPI
// stand-in, and print what it did as JSON.
//   node max_harness.js DEVICE.js SCENARIO.json
// SCENARIO: { live: {version, os, scenes, tracks, detail_clip, device_track, ...},
//             steps: [[message, ...args] | ["tick", ms]] }
// A message whose name is a function of the device calls it; any other goes to anything()
// with `messagename` set, as in Max. "$JOB" in a step stands for the id of the job the device
// sent last (job ids are random).
"use strict";
const fs = require("fs");
const vm = require("vm");
const { LiveModel, makeLiveAPI, makeTask } = require("./liveapi_standin.js");

const [devicePath, scenarioPath] = process.argv.slice(2);
const scenario = JSON.parse(fs.readFileSync(scenarioPath, "utf8"));
const log = { outlets: [], posts: [], live: [], errors: [] };
const clock = { now: 0, tasks: [] };
const model = new LiveModel(scenario.live, log.live);

function outlet(index, ...args) {
  const flat = [];
  for (const arg of args) { if (Array.isArray(arg)) flat.push(...arg); else flat.push(arg); }
  log.outlets.push([index, ...flat]);
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
  if (typeof sandbox[name] === "function" && name !== "anything") {
    return sandbox[name](...resolved);
  }
  sandbox.messagename = name;
  return sandbox.anything(...resolved);
}

for (const [name, ...args] of scenario.steps) {
  try {
    deliver(name, args);
  } catch (err) {
    log.errors.push(`${name}: ${err.message}`);
  }
}
log.tracks = scenario.live.tracks;
process.stdout.write(JSON.stringify(log));
