// Start (and stop) of 1,000 and 10,000 layered services from a compiled
// Registry plan, with no hooks: `node bench/js/start.mjs` (after
// `npm run build` in js/). Not a test: it prints the best time per start
// and per start+stop, the figures issue 17 compares before and after the
// lifecycle hooks (the path with no hooks must cost what it did).
import { labels, layered } from "./gen.mjs";
import { Registry } from "../../js/src/index.js";

const QUICK = process.env.WIREPLAN_BENCH_QUICK === "1";

async function best(run, { reps, warm }) {
  let min = Infinity;
  for (let i = 0; i < warm + reps; i++) {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    if (i >= warm) min = Math.min(min, ms);
  }
  return min;
}

function compiled(n) {
  const g = layered(n);
  const label = labels(g);
  const registry = new Registry({ sources: false });
  g.forEach((ds, i) => registry.provide(label[i], ds.map((d) => label[d]), (...deps) => ({ i, deps })));
  return registry.compile();
}

for (const n of [1_000, 10_000]) {
  const plan = compiled(n);
  const reps = QUICK ? 5 : n >= 10_000 ? 30 : 200;
  const warm = QUICK ? 2 : 10;
  const start = await best(() => plan.start(), { reps, warm });
  const startStop = await best(async () => (await plan.start()).stop(), { reps, warm });
  console.log(`${n.toLocaleString("en")} services: start ${start.toFixed(3)} ms, start+stop ${startStop.toFixed(3)} ms`);
}
