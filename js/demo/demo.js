// The demo page: paste or load descriptors, plan them with the wasm planner
// in the page, and draw the layers (or the cycles, when there are some).
import { init, plan, check, PlanError } from "../src/web.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

const SAMPLES = {
  valid: {
    version: 1,
    services: [
      { id: "config" },
      { id: "db", provides: ["Database"], deps: ["config"], source: { file: "app/db.js", line: 12 } },
      { id: "cache", deps: ["config"] },
      { id: "metrics", provides: ["Plugin"] },
      { id: "tracing", provides: ["Plugin"], deps: ["config"] },
      { id: "repo", deps: ["Database", "cache"] },
      { id: "server", deps: ["repo", { key: "Plugin", many: true }, { key: "clock", lazy: true }] },
      { id: "clock", deps: ["server"] },
      { id: "request", lifetime: "scoped", deps: ["repo"] },
    ],
  },
  cycle: {
    version: 1,
    services: [
      { id: "config" },
      { id: "db", deps: ["config", "clock"], source: { file: "app/db.js", line: 12 } },
      { id: "server", deps: ["db"], source: { file: "app/server.js", line: 10 } },
      { id: "clock", deps: ["server"], source: { file: "app/clock.js", line: 3 } },
    ],
  },
};

function el(name, attrs = {}, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function node(svg, x, y, label, cls) {
  const g = el("g", { class: `node ${cls}`, "data-id": label });
  g.append(el("rect", { x, y, width: 130, height: 26, rx: 5 }), el("text", { x: x + 8, y: y + 17 }, label));
  svg.append(g);
}

/** Layers as columns, each service a box, each binding an edge. */
function drawPlan(p) {
  const svg = $("graph");
  svg.replaceChildren(el("defs"));
  svg.firstChild.append(arrowHead("arrow", "#999"));
  const pos = new Map();
  p.layers.forEach((layer, l) => layer.forEach((id, k) => pos.set(id, [20 + l * 170, 20 + k * 44])));
  // Scoped and transient services have no layer: a row under the layers.
  const below = 20 + Math.max(0, ...p.layers.map((l) => l.length)) * 44 + 30;
  const others = p.services.filter((s) => s.layer === null);
  others.forEach((s, k) => pos.set(s.id, [20 + k * 170, below]));
  if (others.length > 0) svg.append(el("text", { x: 20, y: below - 8, fill: "#666" }, "scoped and transient"));
  for (const s of p.services) {
    for (const d of s.deps) {
      for (const i of d.providers) {
        const [x1, y1] = pos.get(p.services[i].id);
        const [x2, y2] = pos.get(s.id);
        svg.append(el("path", { class: `edge${d.lazy ? " lazy" : ""}`, d: `M${x1 + 130},${y1 + 13} C${x1 + 150},${y1 + 13} ${x2 - 20},${y2 + 13} ${x2},${y2 + 13}`, "marker-end": "url(#arrow)" }));
      }
    }
  }
  for (const s of p.services) node(svg, ...pos.get(s.id), s.id, s.lifetime);
  p.layers.forEach((_, l) => svg.append(el("text", { x: 20 + l * 170, y: 12, fill: "#666" }, `layer ${l}`)));
  size(svg, pos);
}

/** Each cycle as a ring of boxes with red arrows, labeled with the key asked for. */
function drawCycles(diagnostics) {
  const svg = $("graph");
  svg.replaceChildren(el("defs"));
  svg.firstChild.append(arrowHead("red-arrow", "#c62828"));
  const pos = new Map();
  let top = 20;
  for (const d of diagnostics.filter((d) => d.code === "dependency-cycle")) {
    const ring = d.services.slice(0, -1);
    const r = Math.max(110, ring.length * 40);
    const cx = 40 + r + 65;
    const cy = top + r + 13;
    ring.forEach((id, k) => {
      const a = (2 * Math.PI * k) / ring.length - Math.PI / 2;
      pos.set(`${top}:${id}`, [cx + r * Math.cos(a) - 65, cy + r * Math.sin(a) - 13]);
    });
    ring.forEach((id, k) => {
      const [ax, ay] = pos.get(`${top}:${id}`).map((v, i) => v + (i === 0 ? 65 : 13));
      const [bx, by] = pos.get(`${top}:${ring[(k + 1) % ring.length]}`).map((v, i) => v + (i === 0 ? 65 : 13));
      // Stop short of both boxes so the arrow head shows.
      const len = Math.hypot(bx - ax, by - ay) || 1;
      const t = Math.min(0.4, 32 / len);
      const [x1, y1, x2, y2] = [ax + (bx - ax) * t, ay + (by - ay) * t, bx - (bx - ax) * t, by - (by - ay) * t];
      svg.append(el("path", { class: "cycle", d: `M${x1},${y1} L${x2},${y2}`, "marker-end": "url(#red-arrow)", "data-from": id }));
      const key = d.related[k] && d.related[k].key;
      if (key) {
        // The label sits outside the ring, beside the middle of its edge.
        const [mx, my] = [(ax + bx) / 2, (ay + by) / 2];
        const out = Math.hypot(mx - cx, my - cy) || 1;
        const lx = mx + ((mx - cx) / out) * 18;
        const ly = my + ((my - cy) / out) * 18;
        svg.append(el("text", { x: lx, y: ly + 4, fill: "#c62828", "text-anchor": lx < cx - 5 ? "end" : lx > cx + 5 ? "start" : "middle" }, `needs ${key}`));
      }
    });
    ring.forEach((id) => node(svg, ...pos.get(`${top}:${id}`), id, "cycle-node"));
    top += 2 * r + 80;
  }
  size(svg, pos);
}

function arrowHead(id, color) {
  const m = el("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  m.append(el("path", { d: "M0,0 L10,5 L0,10 z", fill: color }));
  return m;
}

function size(svg, pos) {
  let w = 200;
  let h = 60;
  for (const [x, y] of pos.values()) {
    w = Math.max(w, x + 170);
    h = Math.max(h, y + 60);
  }
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
}

/** Plans what is in the text box; the result is also left on `window` for tests. */
function run() {
  const text = $("input").value;
  const profile = $("profile").value.trim() || undefined;
  const status = $("status");
  try {
    const p = plan(text, { profile, name: "demo.json" });
    drawPlan(p);
    const report = check(text, { profile, name: "demo.json" });
    $("report").textContent = report.text;
    status.className = "ok";
    status.textContent = `${p.startup.length} singletons in ${p.layers.length} layers · fingerprint ${p.fingerprint.slice(0, 12)}…`;
    window.wireplanResult = { ok: true, startup: p.startup, layers: p.layers, fingerprint: p.fingerprint };
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    drawCycles(e.diagnostics);
    $("report").textContent = e.message;
    status.className = "error";
    status.textContent = `${e.diagnostics.length} problem(s): ${[...new Set(e.diagnostics.map((d) => d.code))].join(", ")}`;
    window.wireplanResult = { ok: false, codes: e.diagnostics.map((d) => d.code), cycles: e.diagnostics.filter((d) => d.code === "dependency-cycle").map((d) => d.services) };
  }
}

function load(sample) {
  $("input").value = JSON.stringify(SAMPLES[sample], null, 2);
  run();
}

$("sample-valid").onclick = () => load("valid");
$("sample-cycle").onclick = () => load("cycle");
$("plan").onclick = run;
$("file").onchange = async (ev) => {
  const file = ev.target.files[0];
  if (file) {
    $("input").value = await file.text();
    run();
  }
};

await init();
window.wireplanReady = true;
load("valid");
