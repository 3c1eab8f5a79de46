// Deterministic graph generators for the JS benchmark: a line-for-line port
// of bench/gen.py (splitmix64, the same layering and draws), so every
// language benchmarks the very same graphs. `node bench/js/gen.mjs` prints
// the same check line as `python3 bench/gen.py`.

const MASK64 = (1n << 64n) - 1n;

/** The splitmix64 sequence for `seed`, as BigInts. */
export function* splitmix64(seed) {
  let state = BigInt(seed) & MASK64;
  for (;;) {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    yield z ^ (z >> 31n);
  }
}

/** About the depth of a real application: 12 layers, fewer for tiny graphs. */
export function defaultLayers(n) {
  return Math.max(1, Math.min(12, Math.floor(n / 4)));
}

/** Start id of each layer, plus `n` at the end. */
export function layerBounds(n, layers) {
  if (layers <= 1) return [0, n];
  const first = Math.max(1, Math.floor(n / 50));
  const rest = n - first;
  const bounds = [0, first];
  for (let k = 1; k < layers; k++) bounds.push(first + Math.floor((rest * k) / (layers - 1)));
  return bounds;
}

/** Dependencies of each service `0..n`: an array of arrays of ids. */
export function layered(n, { deps = 3, layers, seed = 42 } = {}) {
  const bounds = layerBounds(n, layers ?? defaultLayers(n));
  const rng = splitmix64(seed);
  const graph = [];
  for (let k = 0; k < bounds.length - 1; k++) {
    const lo = bounds[k];
    const hi = bounds[k + 1];
    for (let i = lo; i < hi; i++) {
      if (k === 0) {
        graph.push([]);
        continue;
      }
      const belowLo = bounds[k - 1];
      const want = Math.min(deps, lo);
      const chosen = [];
      while (chosen.length < want) {
        const r = rng.next().value;
        const d = chosen.length === 0 ? belowLo + Number(r % BigInt(lo - belowLo)) : Number(r % BigInt(lo));
        if (!chosen.includes(d)) chosen.push(d);
      }
      graph.push(chosen);
    }
  }
  return graph;
}

/** Service `i` depends on `i - 1`. */
export function chain(n) {
  const graph = [[]];
  for (let i = 1; i < n; i++) graph.push([i - 1]);
  return graph;
}

/** Names `svc00042` style, as gen.py's `names`. */
export function labels(graph, prefix = "svc") {
  const width = String(Math.max(graph.length - 1, 0)).length;
  return graph.map((_, i) => `${prefix}${String(i).padStart(width, "0")}`);
}

/** The graph as a wireplan descriptor document. */
export function descriptors(graph) {
  const label = labels(graph);
  return { version: 1, services: graph.map((ds, i) => (ds.length ? { id: label[i], deps: ds.map((d) => label[d]) } : { id: label[i] })) };
}

export function edgeCount(graph) {
  return graph.reduce((s, ds) => s + ds.length, 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const g = layered(100_000);
  const py = (xs) => `[${xs.join(", ")}]`;
  console.log(g.length, "nodes", edgeCount(g), "edges", "first:", py(g[20000].slice(0, 3)), "last:", py(g[g.length - 1]));
}
