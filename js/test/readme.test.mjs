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
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].filter((b) => !b[1].includes("wireplan/http"));
  assert.equal(blocks.length, 1);
  const script = blocks[0][1].replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`);
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "[ 'config', 'db' ] [ [ 'config' ], [ 'db' ] ]\npostgres://localhost/app\nclosed postgres://localhost/app\n`db`: singleton, start-up layer 1\nflowchart TB\n");
});

/** The docs/javascript.md block containing `marker`, its imports pointed at this checkout. */
function docsBlock(marker, file = "../../docs/javascript.md") {
  const page = readFileSync(new URL(file, import.meta.url), "utf8");
  const blocks = [...page.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes(marker));
  assert.equal(blocks.length, 1, marker);
  return blocks[0]
    .replace(/from "wireplan";/, `from ${JSON.stringify(new URL("../src/index.js", import.meta.url).href)};`)
    .replace(/from "wireplan\/http";/, `from ${JSON.stringify(new URL("../src/http.js", import.meta.url).href)};`);
}

test("docs/javascript.md's lifecycle example: hooks, invoke, events, health, reload", () => {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", docsBlock("ctx.lifecycle.append")], { encoding: "utf8" });
  assert.equal(r.stderr, "");
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    "listening: true\nconstructing constructed start-hook started\ntype id phase at_us duration_us error\npass [ 'db:pass' ]\n{ status: 'pass' }\n" +
      "listening: true\n[ 'db' ] [ 'invoke:announce', 'server' ] 1\nfalse true 2\nlistening: true\ntrue db 2\n{ status: 'fail' }\n" +
      "listening: true\nwireplan: constructing `config`\n",
  );
});

test("docs/javascript.md's wireplan/http example: requests commit or roll back, health answers, SIGTERM stops it", { timeout: 30_000 }, async () => {
  const { spawn } = await import("node:child_process");
  const script = docsBlock("wireplan/http").replace("port: 8080", "port: 0");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    for (let k = 0; k < 1000 && !/listening on \d+\n/.test(stdout); k++) await new Promise((r) => setTimeout(r, 10));
    const base = `http://127.0.0.1:${stdout.match(/listening on (\d+)/)[1]}`;
    assert.equal(await (await fetch(`${base}/orders`)).text(), "saved\n");
    assert.equal((await fetch(`${base}/fail`)).status, 500);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.deepEqual(await (await fetch(`${base}/livez`)).json(), { status: "pass" });
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.equal(stdout.replace(/listening on \d+/, "listening on PORT"), "listening on PORT\ncommit /orders\nrollback: constraint violated\nexit code 0\n");
    assert.match(stderr, /^wireplan: GET \/fail failed: Error: constraint violated\n[\s\S]*wireplan: received SIGTERM: stopping \(send it again to exit at once\)\nwireplan: stopped cleanly\n$/);
  } finally {
    child.kill("SIGKILL");
  }
});

test("the README's lifecycle and integrations example runs until SIGTERM", { timeout: 30_000 }, async () => {
  const { spawn } = await import("node:child_process");
  const script = docsBlock("wireplan/http", "../../README.md").replace("port: 8080", "port: 0");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    for (let k = 0; k < 1000 && !/listening on \d+\n/.test(stdout); k++) await new Promise((r) => setTimeout(r, 10));
    const base = `http://127.0.0.1:${stdout.match(/listening on (\d+)/)[1]}`;
    assert.equal(await (await fetch(`${base}/orders/1`)).text(), "ok\n");
    assert.equal((await fetch(`${base}/fail`)).status, 500);
    assert.deepEqual((await (await fetch(`${base}/readyz`)).json()).status, "pass");
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.equal(stdout.replace(/listening on \d+/, "listening on PORT"), "db ready\nlistening on PORT\nrollback: out of stock\n");
    assert.match(stderr, /wireplan: received SIGTERM: stopping \(send it again to exit at once\)\nwireplan: stopped cleanly\n$/);
  } finally {
    child.kill("SIGKILL");
  }
});
