// The shared rendering vectors in `tests/views/` (made by the core's
// harness, crates/planner/tests/views.rs): JS's own calls give the same
// bytes. For each analyzable planning vector: `analyze(...)` drawn as DOT
// and Mermaid, `explain` of the service the file names in words and JSON,
// and `diff` from the vector it names; for each start-up record in
// `tests/timeline/`, `renderTimeline` in all four formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyze, renderTimeline } from "../src/index.js";

const tests = fileURLToPath(new URL("../../tests/", import.meta.url));
const views = join(tests, "views");

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const files = walk(views).filter((p) => p.endsWith(".json"));
const cases = files.filter((p) => !p.startsWith(join(views, "timeline"))).map((p) => p.slice(views.length + 1, -".json".length).split("\\").join("/"));
const records = files.filter((p) => p.startsWith(join(views, "timeline")));

function analysis(name) {
  const optionsFile = join(tests, "vectors", `${name}.options.json`);
  const options = existsSync(optionsFile) ? JSON.parse(readFileSync(optionsFile, "utf8")) : {};
  const text = readFileSync(join(tests, "vectors", `${name}.json`), "utf8");
  return analyze([{ name: `${name}.json`, text }], options);
}

test("the views are there", () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  assert.ok(records.length >= 2, `${records.length} records`);
});

for (const name of cases) {
  test(`views of ${name}`, () => {
    const view = JSON.parse(readFileSync(join(views, `${name}.json`), "utf8"));
    const a = analysis(name);
    assert.equal(a.toDot(), view.dot);
    assert.equal(a.toMermaid(), view.mermaid);
    if (view.explain !== null) {
      assert.equal(a.explain(view.explain.name), view.explain.text);
      assert.equal(a.explain(view.explain.name, { format: "json" }), view.explain.json);
    }
    if (view.diff !== null) {
      const old = analysis(view.diff.old);
      assert.equal(old.diff(a), view.diff.text);
      assert.equal(old.diff(a, { format: "json" }), view.diff.json);
    }
  });
}

for (const path of records) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  test(`timeline ${name}`, () => {
    const view = JSON.parse(readFileSync(path, "utf8"));
    const text = readFileSync(join(tests, "timeline", name), "utf8");
    for (const format of ["chain", "blame", "svg", "trace"]) assert.equal(renderTimeline(text, format), view[format], format);
  });
}
