// What Max's [udpsend] and [udpreceive] do with a message, for the Node harness: OSC 1.0
// encoding where a JS number without a fraction becomes an int32 ('i'), any other number a
// float32 ('f') and a string an OSC string ('s'); decoding handles i, f, d, h and s.
"use strict";

function padded(bytes) {
  const size = Math.ceil((bytes.length + 1) / 4) * 4; // at least one NUL, then to 4 bytes
  const out = Buffer.alloc(size);
  bytes.copy(out);
  return out;
}

function encodeArg(value) {
  if (typeof value === "string") return ["s", padded(Buffer.from(value, "utf8"))];
  if (typeof value !== "number") throw new Error(`cannot send ${typeof value} over OSC`);
  const out = Buffer.alloc(4);
  if (Number.isInteger(value)) {
    out.writeInt32BE(value);
    return ["i", out];
  }
  out.writeFloatBE(value);
  return ["f", out];
}

/** One OSC message: address, then arguments typed as Max types them. */
function encode(address, args) {
  const parts = args.map(encodeArg);
  const tags = "," + parts.map((p) => p[0]).join("");
  return Buffer.concat([padded(Buffer.from(address)), padded(Buffer.from(tags)),
                        ...parts.map((p) => p[1])]);
}

function readString(buf, at) {
  const end = buf.indexOf(0, at);
  return [buf.toString("utf8", at, end), Math.ceil((end + 1) / 4) * 4];
}

const READERS = {
  i: (buf, at) => [buf.readInt32BE(at), at + 4],
  f: (buf, at) => [buf.readFloatBE(at), at + 4],
  d: (buf, at) => [buf.readDoubleBE(at), at + 8],
  h: (buf, at) => [Number(buf.readBigInt64BE(at)), at + 8],
  s: readString,
};

/** [address, args] of one OSC message. */
function decode(buf) {
  let [address, at] = readString(buf, 0);
  let tags;
  [tags, at] = readString(buf, at);
  const args = [];
  for (const tag of tags.slice(1)) {
    const reader = READERS[tag];
    if (!reader) throw new Error(`OSC type tag ${tag} not handled`);
    let value;
    [value, at] = reader(buf, at);
    args.push(value);
  }
  return [address, args];
}

module.exports = { encode, decode };
