// Run the SemanticAudio device's [js] under Node the way Max would, against the LiveAPI
// stand-in, and print what it did as JSON.
//   node max_harness.js DEVICE.js SCENARIO.json
// SCENARIO: { live: {version, os, scenes, tracks, detail_clip, device_track, ...},
//             steps: [[message, ...args] | ["tick", ms] | ["await", address, ms]],
//             osc_port?: N }
// With osc_port, the harness is also [udpsend 127.0.0.1 N] and [udpreceive]: outlet 0 goes out
// as OSC over UDP, and datagrams arriving on the port the device opens (outlet 4) come back in
// as messages; ["await", address, ms] waits for one such message.
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
const log = { outlets: [], posts: [], live: [], errors: [] };
const clock = { now: 0, tasks: [] };
const model = new LiveModel(scenario.live, log.live);

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

function outlet(index, ...args) {
  const flat = [];
  for (const arg of args) { if (Array.isArray(arg)) flat.push(...arg); else flat.push(arg); }
  log.outlets.push([index, ...flat]);
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
  if (typeof sandbox[name] === "function" && name !== "anything") {
    return sandbox[name](...resolved);
  }
  sandbox.messagename = name;
  return sandbox.anything(...resolved);
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
