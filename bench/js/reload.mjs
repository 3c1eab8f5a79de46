// Hot reload against a full restart: `node bench/js/reload.mjs` (after
// `npm run build` in js/). Not a test: it prints the best time of
// reloading one leaf service of a 1,000-service app (`app.reload(next)`,
// the leaf's factory replaced) against stopping the app and starting it
// again from the new plan, and what the reload spends deciding (the core's
// `reload` of the two plans, through wasm). Every service has a dispose and
// a start hook, so both paths do the work a real app would.
// Planning the new registry (`compile()`) is the same for both and not timed;
// its figure is printed apart.
import { labels, layered } from "./gen.mjs";
import { Registry } from "../../js/src/index.js";

const QUICK = process.env.WIREPLAN_BENCH_QUICK === "1";
const N = 1_000;
const g = layered(N);
const label = labels(g);
// A leaf: nothing depends on it.
const needed = new Set(g.flat());
const leaf = g.findIndex((_, i) => !needed.has(i) && i > N / 2);
const layerCount = new Set(g.map(function depth(ds, i, all, memo = (depth.memo ??= new Map())) {
  if (memo.has(i)) return memo.get(i);
  const d = ds.length === 0 ? 0 : 1 + Math.max(...ds.map((x) => depth(g[x], x, all)));
  memo.set(i, d);
  return d;
})).size;

/** Spins for `us` microseconds: a factory's synchronous work. */
function work(us) {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
}

const SCENARIOS = [
  { name: "no-op factories and hooks", factory: () => {}, onStart: () => {} },
  { name: "each factory works 20 µs (synchronously)", factory: () => work(20), onStart: () => {} },
  { name: "each start hook waits 1 ms (I/O: a connection, a listen)", factory: () => {}, onStart: () => new Promise((r) => setTimeout(r, 1)) },
];

async function best(run, reps) {
  let min = Infinity;
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    await run(k);
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

async function scenario({ name, factory, onStart }) {
  const factories = g.map((_, i) => (...deps) => {
    factory();
    return { i, deps };
  });
  const dispose = () => {};
  const variant = [0, 1].map((v) => (...deps) => {
    factory();
    return { i: leaf, deps, v };
  });
  const compile = (v) => {
    const registry = new Registry({ sources: false });
    g.forEach((ds, i) => registry.provide(label[i], ds.map((d) => label[d]), i === leaf ? variant[v] : factories[i], { dispose, onStart }));
    return registry.compile();
  };
  const slow = name.startsWith("each");
  const reps = QUICK ? 5 : slow ? 15 : 200;
  const compileMs = await best(() => compile(0), QUICK ? 3 : 10);
  const plans = [compile(0), compile(1)];

  // Reload: alternate between the two plans, one leaf restarted each time.
  const app = await plans[0].start();
  let flip = 0;
  for (let k = 0; k < 10; k++) await app.reload(plans[(flip = 1 - flip)]);
  let kept = 0;
  const reloadMs = await best(async () => {
    const r = await app.reload(plans[(flip = 1 - flip)]);
    if (r.stopped.length !== 1 || r.started.length !== 1) throw new Error(`reloaded ${r.stopped.length} services`);
    kept = r.kept;
  }, reps);
  await app.stop();

  // Full restart: stop the running app, start the new plan.
  let running = await plans[0].start();
  let which = 0;
  const restartMs = await best(async () => {
    which = 1 - which;
    await running.stop();
    running = await plans[which].start();
  }, reps);
  await running.stop();
  return { name, reloadMs, restartMs, kept, compileMs };
}

const rows = [];
for (const s of SCENARIOS) rows.push(await scenario(s));
const fmt = (ms) => `${ms.toFixed(3)} ms`;
console.log(`Reloading one leaf (\`${label[leaf]}\`, its factory replaced) of ${N.toLocaleString("en")} services (~3 deps each, ${layerCount} layers), every service with a dispose and a start hook; best of the runs:`);
console.log("");
console.log("| services | `app.reload(next)` | full restart (`stop()` + `next.start()`) | restart / reload |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.name} | ${fmt(r.reloadMs)} | ${fmt(r.restartMs)} | ${(r.restartMs / r.reloadMs).toFixed(1)}x |`);
console.log("");
console.log(`Kept ${rows[0].kept} of ${N} instances on each reload. Compiling the new registry is the same either way and not timed (${fmt(rows[0].compileMs)}).`);
