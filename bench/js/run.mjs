// The JS benchmark: `node bench/js/run.mjs` (after `npm run build` in js/ and
// `npm ci` in bench/). Not a test: it prints tables, with ratios, that the
// README quotes. Every peer runs in the same process on the same graphs,
// made by gen.mjs (a port of bench/gen.py).
//
//   1. Planning 1k, 10k and 100k layered services (~3 deps each): wireplan
//      (JSON text in, crossing into wasm, the plan's runtime form parsed back)
//      against dependency-graph, toposort, batching-toposort and
//      graphology + graphology-dag, each building its graph and sorting it;
//      and the native Rust CLI's `check` on the same file, when built.
//   2. The release .wasm's size, raw and gzipped.
//   3. Starting 1,000 services from a plan: wireplan's runtime against a
//      hand-written loop over the same factories, awilix and inversify; and
//      chains of 10,000 and 100,000 services.
//
// WIREPLAN_BENCH_QUICK=1 runs fewer repetitions.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chain, descriptors, edgeCount, labels, layered } from "./gen.mjs";
import { Registry, plan } from "../../js/src/index.js";

const require = createRequire(import.meta.url);
const { DepGraph } = require("dependency-graph");
const toposort = require("toposort");
const batchingToposort = require("batching-toposort");
const { DirectedGraph } = require("graphology");
const { topologicalSort } = require("graphology-dag");
const awilix = require("awilix");
const { Container } = require("inversify");

const repo = fileURLToPath(new URL("../../", import.meta.url));
const QUICK = process.env.WIREPLAN_BENCH_QUICK === "1";

/**
 * Best milliseconds per call over `reps` samples, after `warm` warm-up
 * samples; a sample times `batch` calls of `run(state)` on a `setup()` done
 * outside the clock. The best, not the median: the machine is shared, and
 * other work only ever adds time.
 */
async function sample(setup, run, { reps = 7, warm = 2, batch = 1 } = {}) {
  if (QUICK) {
    reps = Math.min(reps, 3);
    warm = Math.min(warm, 1);
  }
  let best = Infinity;
  for (let i = 0; i < warm + reps; i++) {
    const states = [];
    for (let b = 0; b < batch; b++) states.push(setup());
    const t0 = performance.now();
    for (let b = 0; b < batch; b++) await run(states[b]);
    const ms = (performance.now() - t0) / batch;
    if (i >= warm) best = Math.min(best, ms);
  }
  return best;
}

const time = (fn, options) => sample(() => null, fn, options);

const fmt = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;

function table(header, rows) {
  const out = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  for (const r of rows) out.push(`| ${r.join(" | ")} |`);
  return out.join("\n");
}

// ---- 1. planning ---------------------------------------------------------------

const peers = {
  "dependency-graph": (g, label) => {
    const dg = new DepGraph();
    for (const l of label) dg.addNode(l);
    g.forEach((ds, i) => {
      for (const d of ds) dg.addDependency(label[i], label[d]);
    });
    return dg.overallOrder();
  },
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
  "graphology-dag": (g, label) => {
    const graph = new DirectedGraph();
    for (const l of label) graph.addNode(l);
    g.forEach((ds, i) => {
      for (const d of ds) graph.addEdge(label[d], label[i]);
    });
    return topologicalSort(graph);
  },
};

const native = [`${repo}target/release/wireplan`].find((p) => existsSync(p));
const outDir = `${repo}bench/out/`;
mkdirSync(outDir, { recursive: true });

const planRows = [];
const planFigures = {};
for (const n of [1_000, 10_000, 100_000]) {
  const g = layered(n);
  const label = labels(g);
  const doc = descriptors(g);
  const text = JSON.stringify(doc);
  const reps = n >= 100_000 ? 5 : n >= 10_000 ? 15 : 40;
  const row = { n, edges: edgeCount(g) };
  // Sanity: every peer and wireplan order the same graph validly.
  const order = plan(text).startup;
  const pos = new Map(order.map((id, i) => [id, i]));
  g.forEach((ds, i) => ds.forEach((d) => {
    if (pos.get(label[d]) >= pos.get(label[i])) throw new Error("wireplan order broken");
  }));
  for (const [name, fn] of Object.entries(peers)) row[name] = await time(() => fn(g, label), { reps });
  row.wireplanText = await time(() => plan(text), { reps });
  row.wireplanObject = await time(() => plan(doc), { reps });
  if (native) {
    const file = `${outDir}layered-${n}.json`;
    writeFileSync(file, text);
    row.native = await time(() => execFileSync(native, ["check", file, "--format", "json"], { stdio: ["ignore", "ignore", "inherit"] }), { reps, warm: 1 });
    row.nativeEmpty = await time(() => execFileSync(native, ["--version"], { stdio: "ignore" }), { reps, warm: 1 });
  }
  planFigures[n] = row;
  const fastest = Math.min(...Object.keys(peers).map((k) => row[k]));
  planRows.push([
    `${n.toLocaleString("en")} services, ${row.edges.toLocaleString("en")} deps`,
    ...Object.keys(peers).map((k) => fmt(row[k])),
    `**${fmt(row.wireplanText)}**`,
    fmt(row.wireplanObject),
    ratio(fastest, row.wireplanText),
    native ? `${fmt(row.native)} (${fmt(Math.max(0, row.native - row.nativeEmpty))} net)` : "not built",
  ]);
}

// ---- 2. size -------------------------------------------------------------------

const wasmFile = `${repo}js/pkg/wireplan_wasm_bg.wasm`;
const wasmBytes = readFileSync(wasmFile);
const raw = wasmBytes.length;
const gz = gzipSync(wasmBytes, { level: 9 }).length;

// ---- 3. runtime ----------------------------------------------------------------

function makeFactories(g) {
  // Each factory does a little real work: an object holding its deps.
  return g.map((_, i) => (...deps) => ({ i, deps }));
}

async function runtimeBench(n) {
  const g = layered(n);
  const label = labels(g);
  const factories = makeFactories(g);
  const out = {};

  const registry = new Registry();
  g.forEach((ds, i) => registry.provide(label[i], ds.map((d) => label[d]), factories[i]));
  const compiled = registry.compile();
  const opts = { reps: 15, warm: 3, batch: 20 };
  out.wireplan = await time(() => compiled.start(), opts);

  // The hand-written loop: the order and argument indices computed once,
  // then a loop calling the same factories.
  const idx = new Map(label.map((l, i) => [l, i]));
  const order = compiled.startup.map((id) => idx.get(id));
  out.loop = await time(() => {
    const inst = new Array(n);
    for (const i of order) {
      const ds = g[i];
      const args = new Array(ds.length);
      for (let k = 0; k < ds.length; k++) args[k] = inst[ds[k]];
      inst[i] = factories[i](...args);
    }
    return inst;
  }, opts);

  // Containers registered outside the clock; resolving every service is the start.
  out.awilix = await sample(() => {
    const container = awilix.createContainer({ injectionMode: awilix.InjectionMode.PROXY, strict: false });
    const regs = {};
    g.forEach((ds, i) => {
      regs[label[i]] = awilix.asFunction((cradle) => factories[i](...ds.map((d) => cradle[label[d]]))).singleton();
    });
    container.register(regs);
    return container;
  }, (container) => {
    for (const l of label) container.resolve(l);
  }, { reps: 9, warm: 2, batch: 3 });

  out.inversify = await sample(() => {
    const container = new Container();
    g.forEach((ds, i) => {
      container.bind(label[i]).toDynamicValue((ctx) => factories[i](...ds.map((d) => ctx.get(label[d])))).inSingletonScope();
    });
    return container;
  }, (container) => {
    for (const l of label) container.get(l);
  }, { reps: 9, warm: 2, batch: 3 });
  return out;
}

/** Starts a chain of `n`; the time, or the error that stopped it. */
async function chainBench(n, which) {
  const g = chain(n);
  const label = labels(g);
  const factories = makeFactories(g);
  const attempt = async (fn) => {
    try {
      return fmt(await time(fn, { reps: 3, warm: 1 }));
    } catch (e) {
      if (e instanceof RangeError) return "stack overflow";
      // inversify catches its own stack overflow and reports a cycle.
      if (/Circular dependency found: \(No dependency trace\)/.test(e.message)) return "stack overflow (reported as a circular dependency)";
      return `fails: ${String(e.message).split("\n")[0].slice(0, 60)}`;
    }
  };
  if (which === "wireplan") {
    return attempt(async () => {
      const registry = new Registry();
      g.forEach((ds, i) => registry.provide(label[i], ds.map((d) => label[d]), factories[i]));
      const app = await registry.compile().start();
      await app.stop();
    });
  }
  if (which === "awilix") {
    return attempt(() => {
      const container = awilix.createContainer({ injectionMode: awilix.InjectionMode.PROXY, strict: false });
      const regs = {};
      g.forEach((ds, i) => {
        regs[label[i]] = awilix.asFunction((cradle) => factories[i](...ds.map((d) => cradle[label[d]]))).singleton();
      });
      container.register(regs);
      container.resolve(label[n - 1]);
    });
  }
  return attempt(() => {
    const container = new Container();
    g.forEach((ds, i) => {
      container.bind(label[i]).toDynamicValue((ctx) => factories[i](...ds.map((d) => ctx.get(label[d])))).inSingletonScope();
    });
    container.get(label[n - 1]);
  });
}

const rt = await runtimeBench(1_000);
const chains = {};
for (const n of [10_000, 100_000]) {
  chains[n] = {};
  for (const which of ["wireplan", "awilix", "inversify"]) chains[n][which] = await chainBench(n, which);
}

// ---- report --------------------------------------------------------------------

const lines = [];
const load = loadavg().map((x) => x.toFixed(1)).join(", ");
lines.push(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${load} at the end; best of repeated runs, one process. Command: \`node bench/js/run.mjs\`.`);
lines.push("");
lines.push("Planning (JS time; peers build their graph and sort it; wireplan parses JSON text, plans in wasm and parses the runtime form back):");
lines.push("");
lines.push(table(
  ["graph", ...Object.keys(peers), "wireplan (text)", "wireplan (object)", "fastest peer / wireplan", "native CLI check"],
  planRows,
));
lines.push("");
lines.push(`Release .wasm: ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped (-9) (targets: 250 KB, 90 KB).`);
lines.push("");
lines.push("Runtime: starting 1,000 layered services from a plan (registration and planning not timed):");
lines.push("");
lines.push(table(["start-all of 1,000", "time", "vs hand-written loop", "vs wireplan"], [
  ["hand-written loop", fmt(rt.loop), "1.00x", ratio(rt.loop, rt.wireplan)],
  ["**wireplan** `plan.start()`", `**${fmt(rt.wireplan)}**`, ratio(rt.wireplan, rt.loop), "1.00x"],
  ["awilix (resolve each, singletons)", fmt(rt.awilix), ratio(rt.awilix, rt.loop), ratio(rt.awilix, rt.wireplan)],
  ["inversify (get each, singletons)", fmt(rt.inversify), ratio(rt.inversify, rt.loop), ratio(rt.inversify, rt.wireplan)],
]));
lines.push("");
lines.push("Chains (wireplan: register, plan, start and stop; awilix and inversify: register and resolve the last):");
lines.push("");
lines.push(table(["chain", "wireplan", "awilix", "inversify"], [10_000, 100_000].map((n) => [
  `${n.toLocaleString("en")} services`, chains[n].wireplan, chains[n].awilix, chains[n].inversify,
])));
const report = lines.join("\n");
console.log(report);
writeFileSync(`${outDir}js.md`, `${report}\n`);
writeFileSync(`${outDir}js.json`, `${JSON.stringify({ plan: planFigures, wasm: { raw, gz }, runtime: rt, chains }, null, 2)}\n`);
