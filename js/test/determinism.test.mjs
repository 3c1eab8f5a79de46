// Determinism: the same descriptors, planned in 20 separate Node processes
// that differ in everything that could leak into a plan (V8's hash seed and
// Math.random seed, Node's startup snapshot, the entry point, time zone and
// locale), give byte-identical binary plans, equal to the committed `.wpl`
// files the Rust core wrote. So JS == Rust, whatever the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../tests/vectors/", import.meta.url));
const cases = readFileSync(`${dir}manifest.txt`, "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l.startsWith("valid/") && existsSync(`${dir}${l}.wpl`));

const PROCESSES = 20;
const esm = new URL("../src/index.js", import.meta.url).href;
const cjs = fileURLToPath(new URL("../pkg/wireplan.cjs", import.meta.url));

// Plans every case and prints `name hex` lines. The same input in every
// process: the cases, their text and their options, in manifest order.
const child = (entry) => `
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
const { plan } = ${entry === "cjs" ? `createRequire(import.meta.url)(${JSON.stringify(cjs)})` : `await import(${JSON.stringify(esm)})`};
const dir = ${JSON.stringify(dir)};
const lines = [];
for (const name of ${JSON.stringify(cases)}) {
  const extra = existsSync(dir + name + ".options.json") ? JSON.parse(readFileSync(dir + name + ".options.json", "utf8")) : {};
  const bytes = plan(readFileSync(dir + name + ".json", "utf8"), { ...extra, name: name + ".json" }).encode();
  lines.push(name + " " + Buffer.from(bytes).toString("hex"));
}
process.stdout.write(lines.join("\\n") + "\\n");
`;

const ZONES = ["UTC", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"];
const LOCALES = ["C", "C.UTF-8", "tr_TR.UTF-8", "ja_JP.UTF-8"];

test("20 processes with different seeds plan byte-identical binary plans, equal to Rust's", async () => {
  assert.ok(cases.length >= 10, `only ${cases.length} valid vectors with a .wpl`);
  const expected = cases.map((name) => `${name} ${readFileSync(`${dir}${name}.wpl`).toString("hex")}`).join("\n") + "\n";
  const outputs = await Promise.all(
    Array.from({ length: PROCESSES }, async (_, k) => {
      const seed = 1 + k * 7919;
      const flags = [`--hash-seed=${seed}`, `--random-seed=${seed}`];
      // Node's startup snapshot carries its own hash seed: half the
      // processes go without it, so the flag takes effect there.
      if (k % 2 === 1) flags.push("--no-node-snapshot");
      const entry = k % 4 < 2 ? "esm" : "cjs";
      const env = { ...process.env, TZ: ZONES[k % ZONES.length], LC_ALL: LOCALES[(k >> 1) % LOCALES.length] };
      const { stdout } = await run(process.execPath, [...flags, "--input-type=module", "-e", child(entry)], { env, encoding: "utf8", maxBuffer: 1 << 24 });
      return { k, flags, entry, stdout };
    }),
  );
  assert.equal(outputs.length, PROCESSES);
  for (const { k, flags, entry, stdout } of outputs) {
    assert.equal(stdout.split("\n").length - 1, cases.length);
    assert.equal(stdout, expected, `process ${k} (${entry}, ${flags.join(" ")}) differs from the committed .wpl bytes`);
  }
  // Every process agrees with every other (implied above, said outright).
  assert.equal(new Set(outputs.map((o) => o.stdout)).size, 1);
});
