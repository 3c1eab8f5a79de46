// Planning options are checked, never silently ignored: a misspelt name is
// refused by the core's own options reader (which names the valid ones),
// JS's camelCase limit names are accepted, and a wrong shape says what to write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PlanError, check, fingerprint, plan } from "../src/index.js";

const doc = { version: 1, services: [{ id: "a" }, { id: "b", deps: ["a"], profiles: ["prod"] }] };

function planError(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PlanError, `${e}`);
    return e;
  }
  assert.fail("no PlanError");
}

test("a misspelt option is an error naming the valid ones", () => {
  const e = planError(() => plan(doc, { profle: "prod" }));
  assert.equal(e.code, "invalid-descriptor");
  assert.match(e.message, /unknown field `profle` in the planning options; did you mean `profile`\? \(known: `profile`, `roots`, `limits`\)/);
  assert.match(planError(() => plan(doc, { limits: { maxServics: 1 } })).message, /unknown field `max_servics` in `limits`; did you mean `max_services`\? \(known: .*`max_services`/);
  assert.equal(check(doc, { profle: "prod" }).ok, false);
  assert.throws(() => fingerprint(doc, { rots: [] }), PlanError);
});

test("limits are spelt in camelCase in JS, snake_case also accepted", () => {
  assert.equal(planError(() => plan(doc, { limits: { maxServices: 1 } })).code, "limit-exceeded");
  assert.equal(planError(() => plan(doc, { limits: { max_services: 1 } })).code, "limit-exceeded");
  assert.deepEqual(plan(doc, { limits: { maxServices: 2 }, profile: "prod" }).startup, ["a", "b"]);
});

test("the caller's limits apply to check and fingerprint as to plan", () => {
  const limits = { maxServices: 1 };
  const planned = planError(() => plan(doc, { limits, name: "big.json" }));
  assert.equal(planned.code, "limit-exceeded");
  const report = check(doc, { limits, name: "big.json" });
  assert.equal(report.ok, false);
  assert.deepEqual(report.diagnostics.map((d) => d.code), ["limit-exceeded"]);
  assert.equal(report.text.trimEnd(), planned.message);
  const fingerprinted = planError(() => fingerprint(doc, { limits, name: "big.json" }));
  assert.equal(fingerprinted.code, "limit-exceeded");
  assert.equal(fingerprinted.message, planned.message);
  // Within the limits, they change nothing: the same fingerprint as without.
  assert.equal(fingerprint(doc, { limits: { maxServices: 2 } }), fingerprint(doc));
  assert.equal(check(doc, { limits: { maxInputBytes: 16 } }).diagnostics[0].code, "limit-exceeded");
  assert.equal(planError(() => fingerprint(doc, { limits: { maxInputBytes: 16 } })).code, "limit-exceeded");
});

test("JS-only options and undefined values are not planning options", () => {
  assert.deepEqual(plan(doc, { name: "app.json", profile: undefined, roots: null }).startup, ["a"]);
  assert.equal(check(doc, { color: true }).ok, true);
});

test("a wrong shape says what to write", () => {
  assert.throws(() => plan(doc, { roots: "a" }), { name: "TypeError", message: 'wireplan: option `roots` must be an array of service ids, got the string "a" (write `roots: ["a"]`)' });
  assert.throws(() => plan(doc, { profile: 1 }), { name: "TypeError", message: "wireplan: option `profile` must be a string, got number" });
  assert.throws(() => plan(doc, "prod"), { name: "TypeError", message: "wireplan: options must be an object" });
  assert.throws(() => plan(doc, { limits: { maxServices: 10n } }), { name: "TypeError", message: /options cannot be written as JSON/ });
});
