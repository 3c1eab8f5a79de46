// The core's analysis in JS: pictures, explain and diff of valid and broken
// graphs, `plan.explain`/`toDot`/`toMermaid`, and start-up timelines. Every
// word is the core's; the expectations here are written by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Analysis, LookupError, PlanError, Registry, analyze, decodePlan, encodePlan, explain, memoryCache, plan, renderTimeline,
} from "../src/index.js";

const services = {
  version: 1,
  services: [
    { id: "config" },
    { id: "db", provides: ["Database"], deps: ["config"] },
    { id: "server", deps: ["Database"] },
  ],
};
const cycle = { version: 1, services: [{ id: "a", deps: ["b"] }, { id: "b", deps: ["a"] }] };

const DOT = `digraph wireplan {
  node [shape=box, fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  { rank=same; s0; }
  { rank=same; s1; }
  { rank=same; s2; }
  s0 [label="config"];
  s1 [label="db"];
  s2 [label="server"];
  s1 -> s0;
  s2 -> s1 [label="Database"];
}
`;

const MERMAID = `flowchart TB
  subgraph layer_0 ["layer 0"]
    s0["config"]
  end
  subgraph layer_1 ["layer 1"]
    s1["db"]
  end
  subgraph layer_2 ["layer 2"]
    s2["server"]
  end
  s1 --> s0
  s2 -->|"Database"| s1
`;

const EXPLAIN_DB = `\`db\`: singleton, start-up layer 1
  declared at services.json:1:42
provides: \`Database\`
needs (1):
  \`config\` -> \`config\`
needed by (1): \`server\`
a change to \`db\` restarts (1): \`server\`
`;

test("analyze: a valid graph drawn as DOT and Mermaid, explained by id and by key", () => {
  const a = analyze(services, { name: "services.json" });
  assert.ok(a instanceof Analysis);
  assert.equal(a.valid, true);
  assert.equal(a.report.ok, true);
  assert.equal(a.report.text, "ok: no problems\n");
  assert.equal(a.toDot(), DOT);
  assert.equal(a.toMermaid(), MERMAID);
  assert.equal(a.explain("db"), EXPLAIN_DB);
  assert.equal(a.explain("Database"), `key \`Database\` is provided by \`db\`\n${EXPLAIN_DB}`, "a key only one service provides explains that service");
  assert.equal(
    a.explain("db", { why: "server" }),
    `${EXPLAIN_DB}why \`db\` starts before \`server\`:\n  \`server\` needs \`Database\`, provided by \`db\`\n`,
  );
});

test("explain as JSON: the core's JSON text", () => {
  const j = JSON.parse(analyze(services).explain("db", { format: "json", why: "server" }));
  assert.equal(j.kind, "service");
  assert.equal(j.service, "db");
  assert.equal(j.layer, 1);
  assert.deepEqual(j.provides, ["Database"]);
  assert.deepEqual(j.needed_by, ["server"]);
  assert.deepEqual(j.needs.map((n) => [n.key, n.providers]), [["config", ["config"]]]);
  assert.deepEqual(j.why, { after: "server", before: "db", other: "server", path: ["server", "db"] });
});

test("a focus keeps one service, what it needs and what needs it", () => {
  const doc = { version: 1, services: [...services.services, { id: "metrics" }] };
  const focused = analyze(doc).toDot({ focus: "config" });
  assert.ok(!focused.includes('"metrics"'), focused);
  assert.ok(focused.includes('[label="server"]'), focused);
  assert.equal(analyze(doc).toDot({ focus: "Database" }), focused.replace("config", "config"), "a key of one service focuses it");
  assert.throws(() => analyze(doc).toMermaid({ focus: "confg" }), (e) => e instanceof LookupError && e.code === "unknown-name" && e.message === "wireplan: no service or key `confg` in the graph; did you mean `config`?");
  assert.throws(() => analyze(doc).toDot({ focus: 3 }), TypeError);
});

test("a broken graph: valid false, its report, every cycle edge red, and explain still answers", () => {
  const a = analyze(cycle);
  assert.equal(a.valid, false);
  assert.equal(a.report.ok, false);
  assert.equal(a.report.diagnostics[0].code, "dependency-cycle");
  assert.equal(
    a.toDot(),
    `digraph wireplan {
  node [shape=box, fontname="Helvetica"];
  edge [fontname="Helvetica", fontsize=10];
  s0 [label="a", color=red, fontcolor=red];
  s1 [label="b", color=red, fontcolor=red];
  s0 -> s1 [color=red, penwidth=2];
  s1 -> s0 [color=red, penwidth=2];
}
`,
  );
  const text = a.explain("a");
  assert.ok(text.startsWith("`a`: singleton, no start-up layer: it is in a dependency cycle\n"), text);
  assert.ok(text.includes("problems (1):\n  error[dependency-cycle]: dependency cycle: `a` -> `b` -> `a`\n"), text);
});

test("explain of an unknown name or a key of several services is a LookupError in the core's words", () => {
  const a = analyze(services);
  assert.throws(() => a.explain("dbb"), (e) => {
    assert.ok(e instanceof LookupError && e instanceof RangeError);
    assert.equal(e.code, "unknown-name");
    assert.equal(e.key, "dbb");
    assert.deepEqual(e.services, ["db"]);
    assert.equal(e.message, "wireplan: no service or key `dbb` in the graph; did you mean `db`?");
    return true;
  });
  const two = analyze({ version: 1, services: [{ id: "pg", provides: ["Database"] }, { id: "sqlite", provides: ["Database"] }, { id: "app", deps: [{ key: "Database", many: true }] }] });
  assert.ok(two.explain("Database").length > 0, "a key of several services is explained as a key");
  assert.throws(() => two.explain("app", { why: "Database" }), (e) => e.code === "ambiguous-key" && e.message === "wireplan: key `Database` is provided by several services; name one of them: `pg`, `sqlite`" && e.services.join() === "pg,sqlite");
  assert.throws(() => a.explain("db", { format: "human" }), TypeError);
  assert.throws(() => a.explain(42), TypeError);
});

test("diff: what changed, as text and JSON", () => {
  const old = analyze(services);
  const next = analyze({
    version: 1,
    services: [{ id: "config" }, { id: "cache" }, { id: "db", provides: ["Database"], deps: ["config", "cache"] }, { id: "server", deps: ["Database"] }],
  });
  assert.equal(
    old.diff(next),
    `services: 1 added, 0 removed, 0 changed
  + \`cache\`
dependencies: 1 added, 0 removed
  + \`db\` needs \`cache\`
start-up order changed:
  old: \`config\`, \`db\`, \`server\`
  new: \`cache\`, \`config\`, \`db\`, \`server\`
hot reload: stops 2, starts 3, keeps 1 running
  stops: \`db\`, \`server\`
  starts: \`cache\`, \`db\`, \`server\`
new errors: none
`,
  );
  const j = JSON.parse(old.diff(next, { format: "json" }));
  assert.match(JSON.stringify(j), /"cache"/);
  // \`config\` keeps running; \`db\` takes the new \`cache\`, and \`server\` takes \`db\`.
  assert.deepEqual(j.reload, { keep: 1, start: ["cache", "db", "server"], stop: ["db", "server"] });
  assert.equal(old.diff(old), analyze(services).diff(analyze(services)));
  assert.throws(() => old.diff(services), TypeError);
  assert.throws(() => old.diff(next, { format: "xml" }), TypeError);
});

test("options are honoured: profile, roots and limits", () => {
  const doc = { version: 1, services: [{ id: "config" }, { id: "fake", profiles: ["test"] }, { id: "db", deps: ["config"] }] };
  assert.ok(!analyze(doc).toDot().includes('"fake"'));
  assert.ok(analyze(doc, { profile: "test" }).toDot().includes('[label="fake"]'));
  const rooted = analyze(doc, { roots: ["config"] });
  assert.equal(rooted.report.diagnostics.map((d) => d.code).join(), "unused-service");
  assert.throws(() => analyze(doc, { limits: { maxServices: 1 } }), (e) => e instanceof PlanError && e.code === "limit-exceeded");
  assert.throws(() => analyze(doc, { profle: "test" }), PlanError);
});

test("plan.explain, plan.toDot and plan.toMermaid: the plan's own descriptors and options", () => {
  const p = plan(services, { name: "services.json" });
  assert.equal(p.toDot(), DOT);
  assert.equal(p.toMermaid(), MERMAID);
  assert.equal(p.explain("db"), EXPLAIN_DB);
  assert.deepEqual(p.why("server", "config"), ["server", "db", "config"]);
  // The earlier `explain(plan, id)` still answers with data.
  assert.deepEqual(explain(p, "db").dependents, ["server"]);
  // Decoded from bytes alone, a plan has no descriptors to analyze.
  const bytes = encodePlan(p);
  assert.throws(() => decodePlan(bytes).toDot(), /decoded from bytes alone/);
  assert.equal(decodePlan(bytes, { descriptors: services, name: "services.json" }).explain("db"), EXPLAIN_DB);
});

test("a registry's compiled plan draws and explains, planned or from a plan cache", async () => {
  const registry = new Registry({ sources: false });
  registry.supply("config", {});
  registry.provide("db", ["config"], () => ({}), { provides: ["Database"] });
  const fresh = registry.compile();
  assert.ok(fresh.plan.toDot().includes("s1 -> s0;"));
  const cache = memoryCache();
  registry.compile({ cache });
  const cached = registry.compile({ cache });
  assert.equal(cached.plan.toMermaid(), fresh.plan.toMermaid());
  assert.equal(cached.plan.explain("db"), fresh.plan.explain("db"));
});

test("renderTimeline: the critical chain, blame, SVG and trace of a record (text or object)", () => {
  const record = {
    timeline: 1,
    services: [
      { id: "config", layer: 0, start_us: 0, duration_us: 1200, outcome: "started", needs: [] },
      { id: "db", layer: 1, start_us: 1200, duration_us: 50000, outcome: "started", needs: ["config"] },
    ],
  };
  const chain = 'start-up took 51.2ms; the critical chain (start after "@", duration after "+"):\ndb @1.2ms +50.0ms\n└─config @0us +1.2ms\n';
  assert.equal(renderTimeline(record), chain);
  assert.equal(renderTimeline(JSON.stringify(record), "chain"), chain);
  assert.equal(renderTimeline(record, "blame"), "50.0ms db\n 1.2ms config\n");
  assert.match(renderTimeline(record, "svg"), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^]*<title>wireplan start-up: 51\.2ms<\/title>/);
  const trace = JSON.parse(renderTimeline(record, "trace"));
  assert.deepEqual(trace.traceEvents.filter((e) => e.ph === "X").map((e) => [e.name, e.ts, e.dur]), [["config", 0, 1200], ["db", 1200, 50000]]);
  assert.throws(() => renderTimeline(record, "gantt"), TypeError);
});

test("renderTimeline: a record that cannot be read names the place, in the core's words", () => {
  assert.throws(() => renderTimeline('{"timeline": 1, "services": [{"id": "a"}]}', "chain", { name: "start.json" }), (e) => {
    assert.ok(e instanceof PlanError);
    assert.equal(e.message, "error[invalid-descriptor]: invalid value: must be a whole number, 0 or more\n  --> start.json:1:30 (at `services[0].layer`)\n\nerror: 1 error");
    return true;
  });
  assert.throws(() => renderTimeline({ timeline: 2, services: [] }), /unsupported timeline record version/);
  assert.throws(() => renderTimeline({ timeline: 1, services: [{ id: "a", layer: 0, start_us: 0, duration_us: 1, outcome: "started" }, { id: "b", layer: 0, start_us: 0, duration_us: 1, outcome: "started" }] }, "chain", { limits: { maxServices: 1 } }), (e) => e.code === "limit-exceeded");
});

test("nothing stays in wasm memory: 300 explain, picture and diff calls keep it flat", () => {
  const doc = { version: 1, services: Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, deps: i ? [`s${i - 1}`] : [] })) };
  const a = analyze(doc);
  // Wasm memory is an ArrayBuffer outside the JS heap: `external` counts it.
  const memory = () => process.memoryUsage().external;
  for (let i = 0; i < 20; i++) a.explain("s100");
  const before = memory();
  for (let i = 0; i < 100; i++) {
    a.explain("s100");
    a.toDot();
    a.diff(a);
  }
  assert.ok(memory() - before <= 1 << 20, `wasm memory grew by ${memory() - before} bytes`);
});
