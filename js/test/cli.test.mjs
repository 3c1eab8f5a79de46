// The `wireplan` bin: the Rust CLI's `check`, same output and exit codes.
// Every vector is checked against its expected text and JSON, and each run is
// compared with the Rust CLI's, byte for byte. That comparison needs a Rust
// CLI build (target/{debug,release}/wireplan) newer than its sources:
// `scripts/test` makes one (`cargo test --workspace` runs first); without
// one the tests fail saying what to build, rather than skip the comparison.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const bin = fileURLToPath(new URL("../bin/wireplan.js", import.meta.url));
const vectors = `${repo}tests/vectors/`;
const cases = readFileSync(`${vectors}manifest.txt`, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// The newest Rust CLI build, if it is newer than the sources it is built from
// (a stale binary would compare old words with new ones).
const sources = Math.max(...["crates/planner/src", "crates/planner-cli/src"].filter((d) => existsSync(`${repo}${d}`)).map((d) => newest(`${repo}${d}`)));
const rustBuild = [`${repo}target/release/wireplan`, `${repo}target/debug/wireplan`]
  .filter((p) => existsSync(p) && statSync(p).mtimeMs >= sources)
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
/** Fails the test when there is no up-to-date Rust CLI to compare with (a comparison that cannot run must not pass). */
function needRust() {
  assert.ok(
    rustBuild,
    "no Rust CLI build newer than crates/planner/src and crates/planner-cli/src to compare with: " +
      "build it with `cargo build -p wireplan-cli` (scripts/test does, through `cargo test --workspace`)",
  );
  return rustBuild;
}
const UNUSABLE = new Set(["invalid-descriptor", "unsupported-version", "limit-exceeded"]);
const env = { ...process.env, NO_COLOR: "1" };

function args(name, format) {
  const path = `${vectors}${name}.options.json`;
  const o = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  const out = ["check", `${name}.json`, "--format", format];
  if (o.profile) out.push("--profile", o.profile);
  for (const r of o.roots ?? []) out.push("--root", r);
  return out;
}

const js = (argv, input) => spawnSync(process.execPath, [bin, ...argv], { cwd: vectors, env, encoding: "utf8", input });

test("every vector: human and json output and the exit code, the same as the Rust CLI's", (t) => {
  const rust = needRust();
  t.diagnostic(`compared with ${rust}`);
  let compared = 0;
  for (const name of cases) {
    for (const format of ["human", "json"]) {
      const r = js(args(name, format));
      if (name.startsWith("valid/")) {
        assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
      } else {
        const json = readFileSync(`${vectors}${name}.report.json`, "utf8");
        const unusable = JSON.parse(json).diagnostics.some((d) => d.severity === "error" && UNUSABLE.has(d.code));
        assert.equal(r.status, unusable ? 2 : 1, `${name} ${format}`);
        const expected = format === "human" ? readFileSync(`${vectors}${name}.report.txt`, "utf8") : json;
        assert.equal(r.stdout, expected, `${name} ${format}`);
      }
      assert.equal(r.stderr, "", name);
      const rr = spawnSync(rust, args(name, format), { cwd: vectors, env, encoding: "utf8" });
      assert.equal(r.stdout, rr.stdout, `${name} ${format}: the same output as the Rust CLI`);
      assert.equal(r.status, rr.status, `${name} ${format}: the same exit code as the Rust CLI`);
      compared++;
    }
  }
  assert.ok(cases.length > 0, "the manifest lists no case");
  assert.equal(compared, cases.length * 2);
});

test("a valid graph prints `ok: no problems` and exits 0", () => {
  const r = js(["check", "-"], '{"version": 1, "services": [{"id": "a"}]}');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "ok: no problems\n");
});

test("standard input is named <stdin>; a cycle exits 1", () => {
  const r = js(["check", "-"], '{"version": 1, "services": [{"id": "a", "deps": ["a"]}]}');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /--> <stdin>:1:/);
});

test("unreadable input exits 2 with one line on standard error", () => {
  const rust = needRust();
  for (const [argv, message] of [
    [["check", "no-such-file.json"], "error: cannot read `no-such-file.json`: no such file\n"],
    [["check", "valid"], "error: cannot read `valid`: it is a directory, not a descriptor file\n"],
  ]) {
    const r = js(argv);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, message);
    const rr = spawnSync(rust, argv, { cwd: vectors, env, encoding: "utf8" });
    assert.equal(rr.status, 2);
    assert.equal(rr.stderr, message, "the Rust CLI says the same");
  }
});

test("a wrong command line exits 2", () => {
  assert.equal(js(["check"]).status, 2);
  assert.equal(js(["check", "--format", "xml", "a.json"]).status, 2);
  assert.equal(js(["frobnicate"]).status, 2);
  assert.equal(js(["--version"]).status, 0);
});

test("--deny-warnings turns warnings into exit 1", () => {
  const doc = '{"version": 1, "services": [{"id": "a"}, {"id": "b"}]}';
  assert.equal(js(["check", "-", "--root", "a"], doc).status, 0);
  const r = js(["check", "-", "--root", "a", "--deny-warnings"], doc);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /warning\[unused-service\]/);
});

test("a file name or an argument cannot inject a line: escaped as the core shows ids, as the Rust CLI does", () => {
  const rust = needRust();
  const r = js(["check", "nofile\n::error::pwned.json"]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "error: cannot read `nofile\\n::error::pwned.json`: no such file\n");
  const u = js(["check", "--format", "x\n::error::y", "a.json"]);
  assert.equal(u.status, 2);
  assert.match(u.stderr.split("\n")[0], /^error: invalid value `x\\n::error::y` for `--format <FORMAT>`/);
  const rr = spawnSync(rust, ["check", "nofile\n::error::pwned.json"], { cwd: vectors, env, encoding: "utf8" });
  assert.equal(rr.stderr, r.stderr, "the Rust CLI says the same");
});
