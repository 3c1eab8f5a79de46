// A real browser: the demo page served on 127.0.0.1, driven by Debian's
// headless Chromium through playwright-core. The plan computed inside the
// page must be the plan Node computes; a cycle must be drawn. Screenshots
// go to target/js-browser/ (gitignored).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { plan } from "../src/index.js";
import { serve } from "../scripts/serve.mjs";

const CHROMIUM = process.env.WIREPLAN_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const root = fileURLToPath(new URL("../", import.meta.url));
const shots = fileURLToPath(new URL("../../target/js-browser/", import.meta.url));

test("the demo page plans in the browser and draws the layers and a cycle", { timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/setup installs Debian's chromium`);
  mkdirSync(shots, { recursive: true });
  const server = await serve(root);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`${server.url}demo/`);
    await page.waitForFunction(() => window.wireplanReady === true && window.wireplanResult !== undefined, null, { timeout: 30_000 });

    const inPage = await page.evaluate(() => window.wireplanResult);
    const text = await page.inputValue("#input");
    const expected = plan(text, { name: "demo.json" });
    assert.equal(inPage.ok, true);
    assert.deepEqual(inPage.startup, expected.startup);
    assert.deepEqual(inPage.layers, expected.layers);
    assert.equal(inPage.fingerprint, expected.fingerprint);
    assert.equal(await page.locator("#graph g.node").count(), expected.services.length);
    assert.match(await page.textContent("#status"), /singletons in \d+ layers/);
    await page.screenshot({ path: `${shots}demo-plan.png`, fullPage: true });

    await page.click("#sample-cycle");
    await page.waitForFunction(() => window.wireplanResult && window.wireplanResult.ok === false);
    const broken = await page.evaluate(() => window.wireplanResult);
    assert.deepEqual(broken.codes, ["dependency-cycle"]);
    assert.deepEqual(broken.cycles, [["clock", "server", "db", "clock"]]);
    assert.equal(await page.locator("#graph path.cycle").count(), 3);
    assert.match(await page.textContent("#report"), /^error\[dependency-cycle\]: dependency cycle: `clock` -> `server` -> `db` -> `clock`/);
    await page.screenshot({ path: `${shots}demo-cycle.png`, fullPage: true });

    // Typed-in descriptors with a profile.
    await page.fill("#input", JSON.stringify({ version: 1, services: [{ id: "a" }, { id: "b", deps: ["a"], profiles: ["prod"] }] }));
    await page.fill("#profile", "prod");
    await page.click("#plan");
    await page.waitForFunction(() => window.wireplanResult.ok === true && window.wireplanResult.startup.length === 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
