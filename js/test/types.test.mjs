// index.d.ts is checked by the TypeScript compiler against test/types/usage.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

test("tsc --noEmit accepts index.d.ts and the documented uses", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("./types/", import.meta.url));
  const r = spawnSync(process.execPath, [tsc, "--noEmit", "-p", project], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
