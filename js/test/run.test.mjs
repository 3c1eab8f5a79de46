// Run until signalled: real SIGINT/SIGTERM sent to a child node process
// running `app.run()` / `plan.run()`; its output, exit code and disposers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("../fixtures/lifecycle/run-app.mjs", import.meta.url));

/** Spawns the child in `mode`; `onReady(proc)` once it printed "ready"; resolves {code, signal, stdout, stderr}. */
function run(mode, onReady) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let ready = false;
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`child ${mode} did not exit: ${stdout} ${stderr}`));
    }, 20_000);
    proc.stdout.on("data", (d) => {
      stdout += d;
      if (!ready && stdout.includes("ready\n")) {
        ready = true;
        onReady(proc, () => stdout);
      }
    });
    proc.stderr.on("data", (d) => {
      stderr += d;
    });
    proc.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const waitFor = async (read, text) => {
  for (let k = 0; k < 400 && !read().includes(text); k++) await new Promise((r) => setTimeout(r, 10));
};

for (const signal of ["SIGTERM", "SIGINT"]) {
  test(`${signal}: the app stops gracefully (stop hooks, then disposers), run() resolves 0, the process exits 0`, async () => {
    const r = await run("clean", (proc) => proc.kill(signal));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "ready\nstop hook db\ndisposed server\ndisposed db\nrun resolved 0\n");
    assert.equal(r.stderr, `wireplan: received ${signal}: stopping (send it again to exit at once)\nwireplan: stopped cleanly\n`);
  });
}

test("plan.run() starts and runs until SIGTERM", async () => {
  const r = await run("plan-run", (proc) => proc.kill("SIGTERM"));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "ready\nstop hook db\ndisposed server\ndisposed db\nrun resolved 0\n");
});

test("a second signal while stopping forces the exit: 130 for SIGINT, 143 for SIGTERM", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
    const r = await run("hang", async (proc, out) => {
      proc.kill(signal);
      await waitFor(out, "server dispose hangs");
      proc.kill(signal);
    });
    assert.equal(r.code, code, r.stderr);
    assert.equal(r.stdout, "ready\nstop hook db\nserver dispose hangs\n");
    assert.equal(r.stderr, `wireplan: received ${signal}: stopping (send it again to exit at once)\nwireplan: received ${signal} again: exiting at once with code ${code}, without finishing the stop\n`);
  }
});

test("a failed stop exits 1, every disposer still ran", async () => {
  const r = await run("stop-fails", (proc) => proc.kill("SIGTERM"));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "ready\nstop hook db\ndisposed db\nrun resolved 1\n");
  assert.match(r.stderr, /wireplan: stopped with 1 error: service `server` failed to stop: socket stuck\n$/);
});

test("plan.run() signalled during the start: the app stops as soon as it has started, exit 0", async () => {
  const r = await run("slow-start", async (proc, out) => {
    await waitFor(out, "db starting");
    proc.kill("SIGTERM");
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.replace("ready\n", ""), "db starting\ndb started\nstop hook db\ndisposed server\ndisposed db\nrun resolved 0\n");
  assert.equal(r.stderr, "wireplan: received SIGTERM: stopping (send it again to exit at once)\nwireplan: stopped cleanly\n");
});

test("plan.run() whose start fails exits 1, saying why, rolled back", async () => {
  const r = await run("start-fails", () => {});
  assert.equal(r.code, 1);
  assert.equal(r.stdout.replace("ready\n", ""), "stop hook db\ndisposed server (port 80 in use)\ndisposed db (port 80 in use)\nrun resolved 1\n");
  assert.match(r.stderr, /^wireplan: service `server` \(.*run-app\.mjs:\d+:\d+\) failed to start: port 80 in use\n$/);
});
