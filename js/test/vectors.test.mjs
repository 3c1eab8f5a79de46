// The shared vectors in tests/vectors/, byte for byte against what the Rust
// core wrote: plan JSON, report JSON, report text, and the binary plans.
// Found relative to this file; exactly the manifest's cases run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PlanError, check, decodePlan, fingerprint, plan } from "../src/index.js";

const dir = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));
const cases = readFileSync(`${dir}manifest.txt`, "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

const strip = (text) => (text.endsWith("\n") ? text.slice(0, -1) : text);

function options(name) {
  const path = `${dir}${name}.options.json`;
  const extra = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  return { ...extra, name: `${name}.json` };
}

let ran = 0;

for (const name of cases) {
  test(name, () => {
    const text = readFileSync(`${dir}${name}.json`, "utf8");
    const opts = options(name);
    if (name.startsWith("valid/")) {
      const p = plan(text, opts);
      assert.equal(p.toJSONString(), strip(readFileSync(`${dir}${name}.plan.json`, "utf8")));
      const report = check(text, opts);
      assert.equal(report.ok, true);
      // Every valid case has its binary plan (the Rust harness requires it):
      // a missing one fails here rather than skip the comparison.
      const wpl = `${dir}${name}.wpl`;
      assert.ok(existsSync(wpl), `${name}.wpl is missing: the Rust harness writes it (WIREPLAN_BLESS=1 cargo test -p wireplan --test vectors)`);
      const bytes = new Uint8Array(readFileSync(wpl));
      assert.deepEqual(p.encode(), bytes, "encodePlan gives the committed binary plan");
      const decoded = decodePlan(bytes, { fingerprint: fingerprint(text, opts) });
      assert.equal(decoded.toJSONString(), p.toJSONString());
    } else {
      let error;
      try {
        plan(text, opts);
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof PlanError, `${name} must fail to plan`);
      assert.ok(error instanceof Error);
      // Help in the JS API's words, where they differ from the JSON ones.
      const spoken = existsSync(`${dir}${name}.report.js.json`) ? "report.js" : "report";
      const json = strip(readFileSync(`${dir}${name}.${spoken}.json`, "utf8"));
      const txt = strip(readFileSync(`${dir}${name}.${spoken}.txt`, "utf8"));
      assert.equal(error.message, txt);
      assert.equal(JSON.stringify(error.report, null, 2), json);
      assert.equal(error.code, error.diagnostics.find((d) => d.severity === "error").code);
      const report = check(text, opts);
      assert.equal(report.ok, false);
      assert.equal(report.json, json);
      assert.equal(strip(report.text), txt);
    }
    ran++;
  });
}

test("ran exactly the manifest's cases", () => {
  assert.ok(cases.length > 0, "the manifest lists no case");
  assert.equal(ran, cases.length);
});
