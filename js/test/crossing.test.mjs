// The documents' text going into wasm as UTF-8 (written straight into wasm
// memory, the buffer grown when a character takes more bytes than its code
// units) and the ids coming out as one string cut at UTF-16 offsets: what
// either could get wrong (a document split at the wrong byte, a name given
// to the wrong document, an id cut inside a character) is checked here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { check, fingerprint, plan, PlanError } from "../src/index.js";

/** A chain: each id depends on the one before. */
function chain(ids) {
  return { version: 1, services: ids.map((id, i) => (i === 0 ? { id } : { id, deps: [ids[i - 1]] })) };
}

/** The location of a plan's only error, as `name:line:column`. */
function place(input) {
  try {
    plan(input);
  } catch (e) {
    assert.ok(e instanceof PlanError, String(e));
    const errors = e.diagnostics.filter((d) => d.severity === "error");
    assert.equal(errors.length, 1, e.message);
    const { file, line, column } = errors[0].location;
    return `${file}:${line}:${column}`;
  }
  assert.fail("expected a PlanError");
}

const ODD_IDS = [
  "é", "日本語", "😀", "x😀y", "a\nb", "q\"uote", "back\\slash", "\u0000nul", "tab\t", "\u2028line", "e\u0301",
  `${"x".repeat(300)}é`, `${"日".repeat(200)}😀`, "plain", "ascii-after-astral",
];

test("ids with characters past ASCII, escapes and newlines come out whole, in order", () => {
  const p = plan(chain(ODD_IDS));
  assert.deepEqual(p.tables.ids, ODD_IDS);
  assert.deepEqual(p.startup, ODD_IDS);
  for (const [i, id] of ODD_IDS.entries()) assert.equal(p.indexOf(id), i);
  // The same from the text, from UTF-8 bytes and from a decoded plan.
  assert.deepEqual(plan(JSON.stringify(chain(ODD_IDS))).tables.ids, ODD_IDS);
  assert.deepEqual(plan(new TextEncoder().encode(JSON.stringify(chain(ODD_IDS)))).tables.ids, ODD_IDS);
});

test("a lone surrogate in the text is U+FFFD, as any string handed to wasm", () => {
  const raw = '{"version":1,"services":[{"id":"a\uD800b"},{"id":"c\uDC00","deps":["a\uD800b"]},{"id":"\uD83D"}]}';
  const replaced = raw.toWellFormed();
  assert.notEqual(raw, replaced);
  const p = plan(raw);
  assert.deepEqual(p.tables.ids, ["a\uFFFDb", "\uFFFD", "c\uFFFD"]);
  assert.equal(p.fingerprint, plan(replaced).fingerprint);
  assert.equal(fingerprint(raw), fingerprint(replaced));
  // Last in a document, before another document: the next one still starts where it should.
  const docs = [
    { name: "one", text: '{"version":1,"services":[{"id":"x"}]}\uD800' },
    { name: "two", text: '{"version":1,"services":[{"id":"y"}]}' },
  ];
  assert.equal(place(docs), "one:1:38");
  // An escaped lone surrogate is the core's to refuse, with its place.
  assert.equal(place('{"version":1,"services":[{"id":"a\\ud800b"}]}'), "<input>:1:40");
});

test("an error after text past ASCII has the same place however the document comes in", () => {
  const text = '{"version":1,\n"services":[{"id":"日本😀"},\n  {"id":"é" "deps":[]}]}';
  assert.equal(place(text), "<input>:3:14");
  assert.equal(place(new TextEncoder().encode(text)), "<input>:3:14");
  // Second of two documents, the first long and past ASCII all along (its
  // buffer grows several times): the error is the second's, at the same place.
  const first = { version: 1, services: Array.from({ length: 3000 }, (_, i) => ({ id: `服务${i}😀é` })) };
  assert.equal(place([{ name: "一.json", document: first }, { name: "二.json", text }]), "二.json:3:14");
  assert.equal(place([{ name: "a", text: "é".repeat(20000) }, { name: "b", text }]).split(":")[0], "a");
  // A graph error names its document too.
  const broken = [
    { name: "一.json", document: first },
    { name: "二 \"two\".json", text: '{"version":1,\n "services":[{"id":"x", "deps":["服务1😀é", "missing"]}]}' },
  ];
  const report = check(broken);
  assert.equal(report.ok, false);
  const missing = report.diagnostics.filter((d) => d.severity === "error");
  assert.equal(missing.length, 1);
  assert.equal(missing[0].location.file, "二 \"two\".json");
  assert.equal(missing[0].location.line, 2);
});

test("documents past ASCII plan as their ASCII-escaped JSON does", () => {
  // One, two, three and four bytes a character, and two code units for four.
  const ids = Array.from({ length: 4000 }, (_, i) => ["a", "é", "日", "😀"][i % 4].repeat(1 + (i % 7)) + i);
  const doc = chain(ids);
  const escaped = JSON.stringify(doc).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  assert.match(escaped, /^[\x00-\x7f]*$/);
  const a = plan(doc);
  const b = plan(escaped);
  assert.deepEqual(a.tables.ids, ids);
  assert.deepEqual(b.tables.ids, ids);
  assert.equal(a.fingerprint, b.fingerprint);
  assert.deepEqual(a.encode(), b.encode());
  // Split over documents, each past ASCII: the same graph.
  const parts = [0, 1000, 2500, 4000];
  const docs = parts.slice(1).map((end, k) => ({ name: `part${k}`, document: { version: 1, services: doc.services.slice(parts[k], end) } }));
  assert.deepEqual(plan(docs).tables.ids, ids);
});

test("no documents, and empty ones, are refused or planned as before", () => {
  assert.equal(plan([]).size, 0);
  assert.equal(place([{ name: "empty", text: "" }, { name: "b", text: '{"version":1,"services":[]}' }]).split(":")[0], "empty");
  assert.throws(() => plan(""), PlanError);
});

test("planning text past ASCII in a loop keeps wasm memory flat", { timeout: 120_000 }, () => {
  const entry = new URL("../src/index.js", import.meta.url).href;
  const script = `
    import { plan } from ${JSON.stringify(entry)};
    const services = [];
    for (let i = 0; i < 2000; i++) services.push({ id: "服务-" + i + "😀", deps: i ? ["服务-" + ((i * 7919) % i) + "😀"] : [] });
    const text = JSON.stringify({ version: 1, services });
    for (let i = 0; i < 50; i++) plan(text);
    const before = process.memoryUsage().external;
    for (let i = 0; i < 500; i++) plan(text);
    console.log(process.memoryUsage().external - before);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const grew = Number(r.stdout.trim());
  assert.ok(grew < 16 * 1024 * 1024, `wasm memory grew by ${(grew / 1048576).toFixed(1)} MiB over 500 plans`);
});
