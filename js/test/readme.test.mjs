// The README's JavaScript example runs, and prints what its comments say.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

test("docs/javascript.md's example", () => {
  const page = readFileSync(new URL("../../docs/javascript.md", import.meta.url), "utf8");
  const code = page.match(/```js\n([\s\S]*?)```/)[1];
  const script = code.replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`);
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0);
  const lines = r.stdout.split("\n");
  assert.match(lines[0], /^\[ 'config', 'db', 'server' \] \[ \[ 'config' \], \[ 'db' \], \[ 'server' \] \] [0-9a-f]{32}$/);
  assert.equal(lines[1], "[ 'server', 'db', 'config' ]");
  assert.equal(lines[2], "[ 'server' ]");
  assert.equal(lines[3], "dependency-cycle");
  assert.match(lines[4], /^error\[dependency-cycle\]: dependency cycle: `a` -> `b` -> `a`$/);
  assert.ok(r.stdout.includes("\nerror: 1 error\n[ 'a', 'b', 'a' ]\ntrue\ntrue\nfalse\n"), r.stdout);
});

test("docs/javascript.md's analysis example", () => {
  const page = readFileSync(new URL("../../docs/javascript.md", import.meta.url), "utf8");
  const code = [...page.matchAll(/```js\n([\s\S]*?)```/g)][1][1];
  const script = code.replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`);
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    "`db`: singleton, start-up layer 1\ndigraph wireplan {\nflowchart TB\nfalse dependency-cycle\n" +
      "`a`: singleton, no start-up layer: it is in a dependency cycle\ntrue unknown-name\nservices: 1 added, 0 removed, 0 changed\n" +
      "50.0ms db\n 1.2ms config\n\n",
  );
});

test("the package README's example (the npm page)", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 1);
  const script = blocks[0][1].replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`);
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "[ 'config', 'db' ] [ [ 'config' ], [ 'db' ] ]\nfalse\n");
});

test("the README's first look at JS", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 1);
  const script = blocks[0][1].replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`);
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "[ 'config', 'db' ] [ [ 'config' ], [ 'db' ] ]\npostgres://localhost/app\nclosed postgres://localhost/app\n`db`: singleton, start-up layer 1\nflowchart TB\n");
});
