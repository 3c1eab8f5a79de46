// Planning in a synchronous loop must not accumulate wasm memory. Wasm memory
// only grows, and a FinalizationRegistry frees only after the event loop
// turns, so a plan left in wasm until then made 2,000 plans of a 2,000-service
// graph hold over 600 MB. Each check runs in its own process, so the
// measurement is of that loop alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const entry = new URL("../src/index.js", import.meta.url).href;

function growth(body) {
  const script = `
    import { plan, decodePlan, encodePlan } from ${JSON.stringify(entry)};
    const services = [];
    for (let i = 0; i < 2000; i++) services.push({ id: "service-" + i, deps: i ? ["service-" + ((i * 7919) % i)] : [] });
    const text = JSON.stringify({ version: 1, services });
    const once = () => { ${body} };
    for (let i = 0; i < 50; i++) once();
    const before = process.memoryUsage().external;
    for (let i = 0; i < 1000; i++) once();
    console.log(process.memoryUsage().external - before);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

const BUDGET = 16 * 1024 * 1024; // each plan's tables are ~100 KB: 1,000 kept would be ~100 MB

test("plan() in a synchronous loop keeps wasm memory flat", { timeout: 120_000 }, () => {
  const grew = growth("plan(text)");
  assert.ok(grew < BUDGET, `wasm memory grew by ${(grew / 1048576).toFixed(1)} MiB over 1,000 plans`);
});

test("decodePlan() and the queries in a loop keep it flat too", { timeout: 120_000 }, () => {
  const grew = growth(`
    globalThis.bytes ??= encodePlan(plan(text));
    const p = decodePlan(globalThis.bytes);
    p.dependents("service-1"); p.why("service-1999", "service-0"); p.toJSONString();`);
  assert.ok(grew < BUDGET, `wasm memory grew by ${(grew / 1048576).toFixed(1)} MiB over 1,000 decodes`);
});
