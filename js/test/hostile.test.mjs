// The npm package against inputs written by an attacker, as the Rust CLI's
// hostile suite (crates/planner-cli/tests/hostile.rs) tries them: the bin
// on /dev/zero and on an endless standard input, a broken graph whose
// reader closes the pipe, a report cut at max_diagnostics, ids that try to
// write terminal escapes or workflow commands into `err.message`, and
// `meta` values JSON cannot hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

import { check, plan, PlanError } from "../src/index.js";

const bin = fileURLToPath(new URL("../bin/wireplan.js", import.meta.url));
const env = { ...process.env, NO_COLOR: "1" };
const dir = mkdtempSync(`${tmpdir()}/wireplan-hostile-`);

/** Control, bidi and invisible characters that must never appear raw. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;

test("the bin stops reading /dev/zero at the byte limit", () => {
  const start = Date.now();
  const r = spawnSync(process.execPath, [bin, "check", "/dev/zero"], { env, encoding: "utf8", timeout: 60_000 });
  assert.ok(Date.now() - start < 60_000, "bounded time");
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stdout,
    "error[limit-exceeded]: the size of the document in bytes is 268435457, over the limit of 268435456\n" +
      "  --> /dev/zero\n   = help: raise the limit in the planning options if this input is trusted\n\nerror: 1 error\n",
  );
  const json = spawnSync(process.execPath, [bin, "check", "--format", "json", "/dev/zero"], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(JSON.parse(json.stdout).diagnostics[0].code, "limit-exceeded");
});

test("the bin stops reading an endless standard input at the byte limit", async () => {
  const child = spawn(process.execPath, [bin, "check", "-"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stdin.on("error", () => {});
  const chunk = Buffer.from("y\n".repeat(32 * 1024));
  let open = true;
  const feed = () => {
    while (open && child.stdin.write(chunk));
    if (open) child.stdin.once("drain", feed);
  };
  feed();
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code)));
  open = false;
  assert.equal(status, 2);
  assert.match(stdout, /^error\[limit-exceeded\]: the size of the document in bytes is 268435457, over the limit of 268435456\n {2}--> <stdin>\n/);
});

const BROKEN = JSON.stringify({ version: 1, services: [{ id: "a", deps: ["b"] }] });

test("a broken graph exits 1 even when standard output is closed", async () => {
  const file = `${dir}/broken.json`;
  writeFileSync(file, BROKEN);
  const child = spawn(process.execPath, [bin, "check", file], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code)));
  assert.equal(status, 1);
});

test("a report cut at max_diagnostics exits 1, as in the Rust CLI", () => {
  const services = Array.from({ length: 1500 }, (_, i) => ({ id: `s${i}`, deps: [`missing${i}`] }));
  const file = `${dir}/many.json`;
  writeFileSync(file, JSON.stringify({ version: 1, services }));
  const r = spawnSync(process.execPath, [bin, "check", "--format", "json", file], { env, encoding: "utf8" });
  const report = JSON.parse(r.stdout);
  assert.equal(report.diagnostics.at(-1).code, "limit-exceeded", "the report is cut");
  assert.equal(r.status, 1);
});

const EVIL = JSON.stringify({
  version: 1,
  services: [
    { id: "api\n::error file=README.md,line=1::pwned", deps: ["db\u001b[2J\u001b]8;;http://x\u0007"] },
    { id: "a\u202ebc", deps: ["api\n::error file=README.md,line=1::pwned"] },
  ],
});

test("ids cannot put escapes or workflow commands into err.message or the bin's output", () => {
  assert.throws(() => plan(EVIL), (err) => {
    assert.ok(err instanceof PlanError);
    assert.doesNotMatch(err.message, RAW);
    assert.ok(!err.message.split("\n").some((l) => l.startsWith("::")), err.message);
    assert.ok(err.message.includes("`api\\n::error file=README.md,line=1::pwned`"), err.message);
    // The structured report keeps the exact strings.
    assert.ok(err.diagnostics.some((d) => d.message.includes("\u001b[2J")));
    return true;
  });
  assert.doesNotMatch(check(EVIL).text, RAW);
  const file = `${dir}/evil.json`;
  writeFileSync(file, EVIL);
  const r = spawnSync(process.execPath, [bin, "check", file], { env, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.doesNotMatch(r.stdout, RAW);
});

function planError(meta) {
  try {
    plan({ version: 1, services: [{ id: "a", meta }] });
  } catch (err) {
    return err;
  }
  assert.fail("planned a meta JSON cannot hold");
}

test("a meta JSON cannot hold is a PlanError naming where", () => {
  const big = planError({ n: 10n });
  assert.ok(big instanceof PlanError, String(big));
  assert.equal(big.code, "invalid-descriptor");
  assert.match(big.message, /`services\[0\]\.meta\.n` is a BigInt/);
  assert.equal(big.diagnostics[0].location.path, "services[0].meta.n");

  const cycle = { a: [1] };
  cycle.a.push(cycle);
  const cyclic = planError(cycle);
  assert.ok(cyclic instanceof PlanError, String(cyclic));
  assert.equal(cyclic.code, "invalid-descriptor");
  assert.match(cyclic.message, /`services\[0\]\.meta\.a\[1\]` refers back to an object that contains it/);

  // check() reports it instead of throwing, as it does every problem.
  const report = check({ version: 1, services: [{ id: "a", meta: { n: 10n } }] });
  assert.equal(report.ok, false);
  assert.equal(report.diagnostics[0].code, "invalid-descriptor");
  assert.match(report.text, /^error\[invalid-descriptor\]: invalid value: `services\[0\]\.meta\.n` is a BigInt/);

  let deep = {};
  for (let i = 0; i < 200_000; i++) deep = { d: deep };
  const tooDeep = planError(deep);
  assert.ok(tooDeep instanceof PlanError, String(tooDeep));
  assert.equal(tooDeep.code, "invalid-descriptor");
  assert.match(tooDeep.message, /nests deeper than 127 levels/);
});

test("ids in the runtime's own words are escaped as the core escapes them", async () => {
  const { Registry } = await import("../src/index.js");
  const registry = new Registry();
  registry.provide("a\nb\u202e", [], () => 1, { dispose: () => { throw new Error("lost"); } });
  const app = await registry.compile().start();
  await assert.rejects(app.stop(), (e) => {
    assert.equal(e.message, "1 service failed to stop: `a\\nb\\u{202e}`");
    assert.equal(e.errors[0].message, "service `a\\nb\\u{202e}` failed to stop: lost");
    return true;
  });
});
