// Issue 16's Node rows, each against its anchor in one run, interleaved
// (anchor, wireplan, anchor, ...; which goes first alternates), reported as
// medians and the median of the per-pair ratios: one JSON object per line,
// for `bench/targets.py`. Not a test.
//
//   node bench/js/targets.mjs [quick]
//
// Rows: plan(object) and plan(text) of 10k and 100k layered services
// against the fastest npm toposort (toposort, batching-toposort; the peer
// builds its input from the same objects, or parses the same text); the
// first call in a fresh process (import + instantiate + first plan) against
// the peer's first call; Registry register + compile + start-all against a
// hand-written loop doing the same (a Map of factories, a depth-first
// order, the calls) at 1k and 10k; the wasm's size.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { descriptors, labels, layered } from "./gen.mjs";
import { Registry, plan } from "../../js/src/index.js";

const require = createRequire(import.meta.url);
const toposort = require("toposort");
const batchingToposort = require("batching-toposort");
const repo = fileURLToPath(new URL("../../", import.meta.url));
const QUICK = process.argv.includes("quick");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** Interleaved samples of `anchor` and `subject` (each `() => ms`). */
function pairs(anchor, subject, rounds) {
  anchor();
  subject();
  const a = [], w = [], r = [];
  for (let i = 0; i < rounds; i++) {
    let ta, tw;
    if (i % 2 === 0) {
      ta = anchor();
      tw = subject();
    } else {
      tw = subject();
      ta = anchor();
    }
    a.push(ta);
    w.push(tw);
    r.push(tw / ta);
  }
  return { anchor_ms: median(a), wireplan_ms: median(w), ratio: median(r), rounds };
}

const clock = (fn) => () => {
  const t = performance.now();
  fn();
  return performance.now() - t;
};

function emit(row, anchor, result, target, kind = "at most") {
  console.log(JSON.stringify({ row, anchor, ...result, target, kind }));
}

const peers = {
  toposort: (g, label) => {
    const edges = [];
    g.forEach((ds, i) => {
      for (const d of ds) edges.push([label[d], label[i]]);
    });
    return toposort.array(label, edges);
  },
  "batching-toposort": (g, label) => {
    const dependents = {};
    for (const l of label) dependents[l] = [];
    g.forEach((ds, i) => {
      for (const d of ds) dependents[label[d]].push(label[i]);
    });
    return batchingToposort(dependents);
  },
};

// A peer's input from the descriptor objects: what a user of it would do.
function peerFromDoc(doc) {
  const label = doc.services.map((s) => s.id);
  const index = new Map(label.map((l, i) => [l, i]));
  const g = doc.services.map((s) => (s.deps ?? []).map((d) => index.get(typeof d === "string" ? d : d.key)));
  return [g, label];
}

for (const n of [10_000, 100_000]) {
  const g = layered(n);
  const doc = descriptors(g);
  const text = JSON.stringify(doc);
  const rounds = QUICK ? 3 : n >= 100_000 ? 7 : 21;
  // The fastest peer, found first (on the objects).
  const times = Object.entries(peers).map(([name, fn]) => {
    const run = clock(() => fn(...peerFromDoc(doc)));
    run();
    const t = median([run(), run(), run()]);
    return [name, fn, t];
  });
  times.sort((a, b) => a[2] - b[2]);
  const [peerName, peer] = times[0];
  const k = `${n / 1000}k`;
  emit(`Node: plan(object), ${k} services, vs the fastest npm toposort`, peerName,
    pairs(clock(() => peer(...peerFromDoc(doc))), clock(() => plan(doc)), rounds), 1 / 3);
  emit(`Node: plan(text), ${k} services, vs the fastest npm toposort (parsing the text)`, peerName,
    pairs(clock(() => peer(...peerFromDoc(JSON.parse(text)))), clock(() => plan(text)), rounds), 1 / 3);
}

// First call in a fresh process: from before the import to the first plan
// (10k), both measured inside the child, so Node's own start-up is not in
// either.
{
  const dir = `${repo}bench/out/`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}layered-10000-targets.json`;
  writeFileSync(file, JSON.stringify(descriptors(layered(10_000))));
  const wp = `const t=performance.now();const {plan}=await import(${JSON.stringify(`${repo}js/src/index.js`)});` +
    `const fs=await import("node:fs");plan(fs.readFileSync(${JSON.stringify(file)},"utf8"));console.log(performance.now()-t);`;
  const peer = `const t=performance.now();const {createRequire}=await import("node:module");const require=createRequire(${JSON.stringify(`${repo}bench/`)});` +
    `const toposort=require("toposort");const fs=await import("node:fs");const doc=JSON.parse(fs.readFileSync(${JSON.stringify(file)},"utf8"));` +
    `const edges=[];for(const s of doc.services)for(const d of s.deps??[])edges.push([typeof d==="string"?d:d.key,s.id]);` +
    `toposort.array(doc.services.map((s)=>s.id),edges);console.log(performance.now()-t);`;
  const child = (code) => () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" }).trim());
  emit("Node: first call (import + instantiate + first plan), 10k services, vs the peer's first call", "toposort",
    pairs(child(peer), child(wp), QUICK ? 3 : 11), 1);
}

// Registry register + compile + start-all against a hand-written loop.
for (const n of [1_000, 10_000]) {
  const g = layered(n);
  const label = labels(g);
  const factories = g.map((_, i) => (...deps) => ({ i, deps }));
  // The hand-written equivalent of register + compile + start: factories
  // in a Map by key, an order found by an iterative depth-first search
  // (dependencies first), then each factory called with its instances.
  const loop = () => {
    const t = performance.now();
    const registry = new Map();
    for (let i = 0; i < n; i++) registry.set(label[i], { deps: g[i].map((d) => label[d]), factory: factories[i] });
    const inst = new Map();
    const stack = [];
    for (const key of registry.keys()) {
      if (inst.has(key)) continue;
      stack.push([key, 0]);
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const entry = registry.get(top[0]);
        if (top[1] < entry.deps.length) {
          const d = entry.deps[top[1]++];
          if (!inst.has(d)) stack.push([d, 0]);
          continue;
        }
        stack.pop();
        if (!inst.has(top[0])) inst.set(top[0], entry.factory(...entry.deps.map((d) => inst.get(d))));
      }
    }
    return performance.now() - t;
  };
  const wire = async () => {
    const t = performance.now();
    const registry = new Registry();
    for (let i = 0; i < n; i++) registry.provide(label[i], g[i].map((d) => label[d]), factories[i]);
    const app = await registry.compile().start();
    const ms = performance.now() - t;
    await app.stop();
    return ms;
  };
  await wire();
  loop();
  const a = [], w = [], r = [];
  const rounds = QUICK ? 3 : 15;
  for (let i = 0; i < rounds; i++) {
    const [ta, tw] = i % 2 === 0 ? [loop(), await wire()] : await (async () => { const tw = await wire(); return [loop(), tw]; })();
    a.push(ta);
    w.push(tw);
    r.push(tw / ta);
  }
  emit(`Node: Registry register + compile + start-all, ${n / 1000}k, vs a hand-written loop`, "hand-written loop",
    { anchor_ms: median(a), wireplan_ms: median(w), ratio: median(r), rounds }, 2);
}

{
  const bytes = readFileSync(`${repo}js/pkg/wireplan_wasm_bg.wasm`);
  const kb = (x) => x / 1000;
  console.log(JSON.stringify({ row: "wasm size, raw (KB)", anchor: "target", value: kb(bytes.length), target: 250, kind: "absolute" }));
  console.log(JSON.stringify({ row: "wasm size, gzip (KB)", anchor: "target", value: kb(gzipSync(bytes, { level: 9 }).length), target: 90, kind: "absolute" }));
}
