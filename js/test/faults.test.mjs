// Fault injection in the JS runtime, exhaustively over positions of a
// generated 50-service layered graph: a factory that throws or rejects, a
// dispose that throws or rejects, a factory or a dispose that hangs (start
// and stop timeouts), and an abort mid-layer. In every case each service
// that started is disposed exactly once, in exact reverse start-up order,
// the error names the service and why, and no timer is left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortError, Registry, StartError, StopError, TimeoutError } from "../src/index.js";

// ---- The graph ----------------------------------------------------------------
// 5 layers of 10: `sLJ` (layer L, J-th) needs `s(L-1)J` and two more of the
// layer before, so its layer is exactly L and plan order is id order.
const WIDTH = 10;
const LAYERS = 5;
const N = WIDTH * LAYERS;
const ids = Array.from({ length: N }, (_, i) => `s${String(i).padStart(2, "0")}`);
const layerOf = (p) => Math.floor(p / WIDTH);
const deps = ids.map((_, i) => {
  const l = layerOf(i);
  if (l === 0) return [];
  const j = i % WIDTH;
  const prev = (l - 1) * WIDTH;
  return [...new Set([j, (j * 3 + l) % WIDTH, (j * 7 + 1) % WIDTH])].map((k) => ids[prev + k]);
});
const layerIds = (l) => ids.slice(l * WIDTH, (l + 1) * WIDTH);
/** The positions tested where "several" will do: each layer's first and last, and one inside. */
const SEVERAL = [0, 5, 9, 10, 24, 39, 40, 49];

/** Microtask hops, varied per service, so async factories settle out of plan order. */
async function hops(i) {
  for (let k = (i * 7) % 5; k > 0; k--) await null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise(() => {});
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

/**
 * A registry of the graph. `factory(i)` returns the factory body for
 * position i (or undefined: the default, sync or async as `async` says);
 * `dispose(i)` likewise. `log.made`: ids in the order instances appeared;
 * `log.disposed`: ids in the order dispose was called.
 */
function graph({ async = false, factory = () => undefined, dispose = () => undefined } = {}) {
  const log = { made: [], disposed: [], told: [] };
  const registry = new Registry({ sources: false });
  for (let i = 0; i < N; i++) {
    const id = ids[i];
    const make = () => {
      log.made.push(id);
      return { id };
    };
    const body = factory(i, make) ?? (async ? async () => (await hops(i), make()) : make);
    registry.provide(id, deps[i], (...xs) => {
      const ctx = xs.pop();
      assert.equal(ctx.id, id, "the context names the service");
      for (const x of xs) assert.ok(log.made.includes(x.id), `${id} got ${x.id} before it was made`);
      return body(ctx);
    }, {
      dispose: (instance, told) => {
        assert.equal(typeof instance.id, "string");
        assert.equal(told.id, instance.id, "the dispose is told which service");
        log.disposed.push(instance.id);
        log.told.push(told.error);
        return (dispose(i) ?? (() => {}))();
      },
    });
  }
  const compiled = registry.compile();
  assert.deepEqual(compiled.startup, ids);
  assert.deepEqual(compiled.layers, Array.from({ length: LAYERS }, (_, l) => layerIds(l)));
  return { compiled, log };
}

/**
 * Every instance made was disposed exactly once, in exact reverse order of
 * readiness (`log.made` is that order: an instance is made as its factory
 * settles), and every dispose was told `error` (undefined: a clean stop).
 */
function assertRolledBack(log, made, error = undefined) {
  assertRollbackThenLate(log, made, [], error);
}

/**
 * What had started (`made`) was disposed first, once each, in reverse order
 * of readiness; then the abandoned factories' late instances (`late`), in
 * the order they arrived. Every dispose was told `error`.
 */
function assertRollbackThenLate(log, made, late, error = undefined) {
  if (made !== undefined) assert.deepEqual(new Set(log.made), new Set([...made, ...late]), "what started");
  assert.equal(new Set(log.made).size, log.made.length, "each factory made one instance");
  const ready = log.made.filter((id) => !late.includes(id));
  assert.deepEqual(log.disposed, [...ready.reverse(), ...late], "disposed once each, in reverse order of readiness");
  for (const told of log.told) assert.equal(told, error, "each dispose is told why");
}

/** The ids whose factories succeed when the one at `p` fails and the layer runs on. */
const layerUpTo = (p) => ids.slice(0, (layerOf(p) + 1) * WIDTH).filter((id) => id !== ids[p]);

// ---- Factories that fail ---------------------------------------------------------

test("a sync factory throwing at every position: rollback in reverse, the error names it", async () => {
  const base = timers();
  for (let p = 0; p < N; p++) {
    const cause = new Error(`boom at ${p}`);
    const { compiled, log } = graph({ factory: (i) => (i === p ? () => { throw cause; } : undefined) });
    await assert.rejects(compiled.start(), (error) => {
      assert.ok(error instanceof StartError);
      assert.equal(error.service, ids[p]);
      assert.equal(error.cause, cause);
      assert.equal(error.message, `service \`${ids[p]}\` failed to start: boom at ${p}`);
      assert.deepEqual(error.disposeErrors, []);
      return true;
    });
    // Sync: the layer stops at the failure, so exactly what came before started.
    assertRolledBack(log, ids.slice(0, p), cause);
  }
  assert.equal(timers(), base);
});

test("an async factory rejecting at every position: in-flight siblings are cancelled and rollback starts at once", async () => {
  for (let p = 0; p < N; p++) {
    const l = layerOf(p);
    const cause = new RangeError(`no ${p}`);
    // The other factories of p's layer wait on gates opened only after the
    // start has failed: even ones give up when their signal aborts, odd
    // ones ignore it and resolve late.
    const gates = new Map();
    const cancelled = [];
    const { compiled, log } = graph({
      async: true,
      factory: (i, make) => {
        if (i === p) return async () => { await hops(i); throw cause; };
        if (layerOf(i) !== l) return undefined;
        return (ctx) => new Promise((resolve, reject) => {
          gates.set(i, () => resolve(make()));
          if (i % 2 === 0) {
            ctx.signal.addEventListener("abort", () => {
              cancelled.push(ctx.id);
              assert.equal(ctx.signal.reason.name, "AbortError");
              assert.equal(ctx.signal.reason.message, `wireplan: \`${ids[p]}\` failed to start: no ${p}`);
              reject(ctx.signal.reason);
            });
          }
        });
      },
    });
    let error;
    await compiled.start().catch((e) => { error = e; });
    assert.ok(error instanceof StartError);
    assert.equal(error.service, ids[p]);
    assert.equal(error.cause, cause);
    assert.deepEqual(error.disposeErrors, []);
    const siblings = layerIds(l).filter((id) => id !== ids[p]);
    assert.deepEqual(cancelled, siblings.filter((id) => Number(id.slice(1)) % 2 === 0));
    // The rollback did not wait for the siblings: only earlier layers had started.
    assertRolledBack(log, ids.slice(0, l * WIDTH), cause);
    // The ones that ignored the abort arrive late and are disposed then, once.
    const late = siblings.filter((id) => Number(id.slice(1)) % 2 === 1);
    for (const id of late) gates.get(ids.indexOf(id))();
    assert.deepEqual(await error.abandoned, []);
    assertRollbackThenLate(log, ids.slice(0, l * WIDTH), late, cause);
  }
});

test("fail fast: a factory failing at 10 ms does not wait for a 2 s sibling", async () => {
  const registry = new Registry({ sources: false });
  let aborted = null;
  registry.provide("fast", [], async () => { await sleep(10); throw new Error("refused"); });
  registry.provide("slow", [], (ctx) => new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, 2000, "slow");
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      aborted = performance.now();
      reject(ctx.signal.reason);
    });
  }));
  const t0 = performance.now();
  await assert.rejects(registry.compile().start(), { name: "StartError", service: "fast" });
  assert.ok(performance.now() - t0 < 1000, "rollback began at the first failure");
  assert.ok(aborted !== null, "the sibling's signal aborted");
});

test("the first failure in time is the one named, not the first in plan order", async () => {
  const registry = new Registry({ sources: false });
  registry.provide("a", [], async () => { await sleep(30); throw new Error("a late"); });
  registry.provide("b", [], async () => { await sleep(1); throw new Error("b first"); });
  let error;
  await registry.compile().start().catch((e) => { error = e; });
  assert.equal(error.service, "b");
  assert.equal(error.message, "service `b` failed to start: b first");
  // `a`, abandoned, fails later: nothing to dispose, and no error either.
  assert.deepEqual(await error.abandoned, []);
});

test("a failing factory at every position with a throwing dispose before it: every other dispose still runs", async () => {
  for (let p = 1; p < N; p++) {
    const q = p - 1; // the last to start before p: the first disposed
    const down = new Error("down");
    const { compiled, log } = graph({
      factory: (i) => (i === p ? () => { throw down; } : undefined),
      dispose: (i) => (i === q ? () => { throw new Error(`${ids[q]} stuck`); } : undefined),
    });
    await assert.rejects(compiled.start(), (error) => {
      assert.equal(error.service, ids[p]);
      assert.deepEqual(error.disposeErrors.map((e) => e.service), [ids[q]]);
      assert.ok(error.disposeErrors[0] instanceof StopError);
      assert.equal(error.disposeErrors[0].message, `service \`${ids[q]}\` failed to stop: ${ids[q]} stuck`);
      assert.equal(error.teardownErrors, error.disposeErrors, "Python's name for the same list");
      assert.equal(error.message, `service \`${ids[p]}\` failed to start: down; 1 teardown error while rolling back`);
      return true;
    });
    assertRolledBack(log, ids.slice(0, p), down);
  }
});

// ---- Disposes that fail --------------------------------------------------------------

test("a dispose throwing (sync) or rejecting (async) at every position: all others run, errors aggregated", async () => {
  for (let p = 0; p < N; p++) {
    const cause = new Error(`close ${p}`);
    const { compiled, log } = graph({
      async: p % 2 === 1,
      dispose: (i) => (i !== p ? undefined : p % 2 === 0 ? () => { throw cause; } : async () => { await hops(i); throw cause; }),
    });
    const app = await compiled.start();
    assert.equal(log.made.length, N);
    await assert.rejects(app.stop(), (error) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.errors.length, 1);
      assert.ok(error.errors[0] instanceof StopError);
      assert.equal(error.errors[0].service, ids[p]);
      assert.equal(error.errors[0].cause, cause);
      assert.equal(error.message, `1 service failed to stop: \`${ids[p]}\``);
      return true;
    });
    assertRolledBack(log, ids);
    await app.stop(); // stopped: nothing runs twice
    assert.equal(log.disposed.length, N);
  }
});

test("every dispose throwing: one StopError each, in reverse order", async () => {
  const { compiled, log } = graph({ dispose: (i) => () => { throw new Error(`e${i}`); } });
  const app = await compiled.start();
  await assert.rejects(app.stop(), (error) => {
    assert.deepEqual(error.errors.map((e) => e.service), [...ids].reverse());
    assert.match(error.message, /^50 services failed to stop: `s49`, `s48`, /);
    return true;
  });
  assertRolledBack(log, ids);
});

// ---- Factories and disposes that hang ---------------------------------------------------

test("a hanging factory at several positions fails the start after startTimeout, naming it", async () => {
  const base = timers();
  for (const p of SEVERAL) {
    const { compiled, log } = graph({ async: true, factory: (i) => (i === p ? never : undefined) });
    const t0 = performance.now();
    let cause;
    await assert.rejects(compiled.start({ startTimeout: 20 }), (error) => {
      cause = error.cause;
      assert.ok(error instanceof StartError);
      assert.equal(error.service, ids[p]);
      assert.ok(error.cause instanceof TimeoutError);
      assert.equal(error.cause.service, ids[p]);
      assert.equal(error.cause.phase, "start");
      assert.equal(error.cause.timeout, 20);
      assert.equal(error.cause.message, `\`${ids[p]}\` did not start within 20 ms`);
      assert.equal(error.message, `service \`${ids[p]}\` failed to start: \`${ids[p]}\` did not start within 20 ms`);
      return true;
    });
    assert.ok(performance.now() - t0 < 1000);
    assertRolledBack(log, layerUpTo(p), cause);
    assert.equal(timers(), base, "every start timer is cleared");
  }
});

test("a synchronous factory over startTimeout at several positions: measured, it fails the start and is rolled back too", async () => {
  const base = timers();
  for (const p of SEVERAL) {
    const { compiled, log } = graph({
      factory: (i, make) => (i === p ? () => {
        const t0 = performance.now();
        while (performance.now() - t0 < 100) { /* a synchronous factory cannot be interrupted */ }
        return make();
      } : undefined),
    });
    let error;
    // A wide margin: the other factories must not run over on a busy machine.
    await compiled.start({ startTimeout: 50 }).catch((e) => { error = e; });
    assert.ok(error instanceof StartError);
    assert.equal(error.service, ids[p]);
    assert.ok(error.cause instanceof TimeoutError);
    assert.ok(error.cause.took >= 100);
    assert.match(error.message, new RegExp(`^service \`${ids[p]}\` failed to start: \`${ids[p]}\` did not start within 50 ms: the factory returned after \\d+ ms`));
    // Sync: nothing after it was called; it made its instance, so it is rolled back first.
    assertRolledBack(log, ids.slice(0, p + 1), error.cause);
    assert.equal(timers(), base);
  }
});

test("a factory that resolves after its startTimeout: its late instance is disposed once, when it arrives", async () => {
  for (const p of SEVERAL) {
    const { compiled, log } = graph({
      async: true,
      factory: (i, make) => (i === p ? async () => (await sleep(40), make()) : undefined),
    });
    let error;
    await compiled.start({ startTimeout: 10 }).catch((e) => { error = e; });
    assert.equal(error.service, ids[p]);
    assertRolledBack(log, layerUpTo(p), error.cause);
    assert.deepEqual(await error.abandoned, []);
    // The late one came after the rollback and was disposed on its own, once.
    assertRollbackThenLate(log, layerUpTo(p), [ids[p]], error.cause);
  }
});

test("a hanging dispose at several positions becomes a StopError after stopTimeout; the rest still run", async () => {
  const base = timers();
  for (const p of SEVERAL) {
    const { compiled, log } = graph({ async: true, dispose: (i) => (i === p ? never : undefined) });
    const app = await compiled.start();
    await assert.rejects(app.stop({ stopTimeout: 15 }), (error) => {
      assert.ok(error instanceof AggregateError);
      assert.deepEqual(error.errors.map((e) => e.service), [ids[p]]);
      const [stop] = error.errors;
      assert.ok(stop.cause instanceof TimeoutError);
      assert.equal(stop.cause.phase, "stop");
      assert.equal(stop.message, `service \`${ids[p]}\` did not stop within 15 ms`);
      return true;
    });
    assertRolledBack(log, ids);
    assert.equal(timers(), base, "every stop timer is cleared");
  }
});

test("start's stopTimeout bounds the rollback's disposes and is stop()'s default", async () => {
  for (const p of SEVERAL.filter((x) => x > 0)) {
    const q = p - 1;
    const no = new Error("no");
    const { compiled, log } = graph({
      factory: (i) => (i === p ? () => { throw no; } : undefined),
      dispose: (i) => (i === q ? never : undefined),
    });
    await assert.rejects(compiled.start({ stopTimeout: 10 }), (error) => {
      assert.equal(error.service, ids[p]);
      assert.deepEqual(error.disposeErrors.map((e) => [e.service, e.cause.name]), [[ids[q], "TimeoutError"]]);
      return true;
    });
    assertRolledBack(log, ids.slice(0, p), no);
  }
  const { compiled, log } = graph({ dispose: (i) => (i === 7 ? never : undefined) });
  const app = await compiled.start({ stopTimeout: 10 });
  await assert.rejects(app.stop(), (error) => error.errors[0].service === "s07");
  assertRolledBack(log, ids);
});

// ---- Abort ---------------------------------------------------------------------------------

/**
 * Async factories that each wait on their own gate (ignoring their
 * signal, which `signals` keeps); `called` counts the calls. Lets the test
 * abort at an exact point inside a layer.
 */
function gated() {
  const gates = ids.map(() => {
    let open;
    const promise = new Promise((resolve) => { open = resolve; });
    return { promise, open };
  });
  let called = 0;
  const waiters = [];
  const signals = new Map();
  const calledAtLeast = (k) => new Promise((resolve) => {
    if (called >= k) resolve();
    else waiters.push([k, resolve]);
  });
  const g = graph({
    factory: (i, make) => async (ctx) => {
      called++;
      signals.set(ctx.id, ctx.signal);
      for (const [k, resolve] of waiters) if (called >= k) resolve();
      await gates[i].promise;
      return make();
    },
  });
  const openAll = (from, to) => { for (let i = from; i < to; i++) gates[i].open(); };
  return { ...g, openAll, calledAtLeast, gates, signals };
}

test("abort in every layer while all its factories are in flight: rejects at once, each disposed when it arrives", async () => {
  for (let l = 0; l < LAYERS; l++) {
    const { compiled, log, openAll, calledAtLeast, signals } = gated();
    openAll(0, l * WIDTH);
    const controller = new AbortController();
    const reason = new Error("ctrl-c");
    const started = compiled.start({ signal: controller.signal });
    await calledAtLeast((l + 1) * WIDTH);
    controller.abort(reason);
    // The layer's gates are still shut: the start does not wait for them.
    let error;
    await started.catch((e) => { error = e; });
    assert.ok(error instanceof AbortError);
    assert.equal(error.name, "AbortError");
    assert.equal(error.cause, reason);
    assert.equal(error.layer, l);
    assert.deepEqual(error.services, layerIds(l));
    assert.equal(error.message, `start aborted in layer ${l} while ${layerIds(l).map((s) => `\`${s}\``).join(", ")} were starting: ctrl-c`);
    assert.deepEqual(error.disposeErrors, []);
    assert.equal(error.teardownErrors, error.disposeErrors);
    for (const id of layerIds(l)) {
      assert.equal(signals.get(id).aborted, true, `${id}'s signal aborted`);
      assert.equal(signals.get(id).reason, reason);
    }
    // No factory of a later layer was called; earlier layers are rolled back.
    assertRolledBack(log, ids.slice(0, l * WIDTH), reason);
    openAll(l * WIDTH, N);
    assert.deepEqual(await error.abandoned, []);
    assertRollbackThenLate(log, ids.slice(0, l * WIDTH), layerIds(l), reason);
  }
});

test("abort with part of a layer settled names only the services in flight", async () => {
  for (const p of SEVERAL) {
    const l = layerOf(p);
    const { compiled, log, openAll, calledAtLeast } = gated();
    openAll(0, p); // everything before p settles; p and the rest of its layer wait
    const controller = new AbortController();
    const started = compiled.start({ signal: controller.signal });
    await calledAtLeast((l + 1) * WIDTH);
    await sleep(1);
    controller.abort();
    let error;
    await started.catch((e) => { error = e; });
    assert.ok(error instanceof AbortError);
    assert.equal(error.cause.name, "AbortError"); // the signal's default reason
    assert.equal(error.layer, l);
    assert.deepEqual(error.services, ids.slice(p, (l + 1) * WIDTH));
    assertRolledBack(log, ids.slice(0, p), error.cause);
    openAll(p, N);
    await error.abandoned;
    assertRollbackThenLate(log, ids.slice(0, p), ids.slice(p, (l + 1) * WIDTH), error.cause);
  }
});

test("a sync factory aborting at every position: no further factory is called", async () => {
  for (let p = 0; p < N; p++) {
    const controller = new AbortController();
    const { compiled, log } = graph({ factory: (i, make) => (i === p ? () => (controller.abort(), make()) : undefined) });
    let reason;
    await assert.rejects(compiled.start({ signal: controller.signal }), (error) => {
      assert.ok(error instanceof AbortError);
      assert.equal(error.layer, layerOf(p));
      assert.deepEqual(error.services, []);
      assert.equal(error.message, `start aborted in layer ${layerOf(p)}: This operation was aborted`);
      reason = error.cause;
      return true;
    });
    assertRolledBack(log, ids.slice(0, p + 1), reason);
  }
});

test("abort with a hung factory in flight rejects at once, with or without startTimeout; disposed once if it arrives", async () => {
  const base = timers();
  for (const startTimeout of [undefined, 30_000]) {
    for (const p of SEVERAL) {
      const l = layerOf(p);
      const controller = new AbortController();
      let arrive;
      const { compiled, log } = graph({
        async: true,
        factory: (i, make) => (i === p ? () => new Promise((resolve) => { arrive = () => resolve(make()); }) : undefined),
      });
      const started = compiled.start({ signal: controller.signal, startTimeout });
      await sleep(5);
      const t0 = performance.now();
      controller.abort();
      let error;
      await started.catch((e) => { error = e; });
      assert.ok(performance.now() - t0 < 1000, "the abort does not wait for the hung factory");
      assert.ok(error instanceof AbortError);
      assert.equal(error.layer, l);
      assert.deepEqual(error.services, [ids[p]]);
      assertRolledBack(log, layerUpTo(p), error.cause);
      assert.equal(timers(), base, "no timer left behind");
      arrive();
      assert.deepEqual(await error.abandoned, []);
      assertRollbackThenLate(log, layerUpTo(p), [ids[p]], error.cause);
    }
  }
});

test("an already aborted signal starts nothing", async () => {
  const { compiled, log } = graph();
  const reason = new Error("shutting down");
  await assert.rejects(compiled.start({ signal: AbortSignal.abort(reason) }), (error) => {
    assert.ok(error instanceof AbortError);
    assert.equal(error.cause, reason);
    assert.equal(error.message, "start aborted before layer 0: shutting down");
    return true;
  });
  assert.deepEqual(log.made, []);
});

test("a signal aborted after the start has no effect; its listener is removed", async () => {
  const controller = new AbortController();
  const { compiled, log } = graph({ async: true });
  const app = await compiled.start({ signal: controller.signal, startTimeout: 1000, stopTimeout: 1000 });
  controller.abort();
  assert.equal(app.get("s49").id, "s49");
  await app.stop();
  assertRolledBack(log, ids);
});

test("a successful start with timeouts leaves no timer behind", async () => {
  const base = timers();
  const { compiled } = graph({ async: true });
  const app = await compiled.start({ startTimeout: 60_000, stopTimeout: 60_000 });
  assert.equal(timers(), base);
  await app.stop();
  assert.equal(timers(), base);
});

test("bad options are TypeErrors", async () => {
  const { compiled } = graph();
  await assert.rejects(compiled.start({ startTimeout: -1 }), TypeError);
  await assert.rejects(compiled.start({ stopTimeout: "5" }), TypeError);
  await assert.rejects(compiled.start({ startTimeout: Number.NaN }), TypeError);
  await assert.rejects(compiled.start({ signal: {} }), TypeError);
  await assert.rejects(compiled.start(5), TypeError);
  const app = await compiled.start({ startTimeout: Infinity });
  await assert.rejects(app.stop({ stopTimeout: -5 }), TypeError);
  await app.stop({ stopTimeout: Infinity });
});

test("stop() called three times at once disposes each service once, in reverse, one at a time", async () => {
  let active = 0;
  let overlapped = false;
  const { compiled, log } = graph({
    async: true,
    dispose: (i) => async () => {
      overlapped ||= ++active > 1;
      await hops(i + 1);
      active--;
    },
  });
  const app = await compiled.start();
  await Promise.all([app.stop(), app.stop(), app.stop()]);
  assert.equal(overlapped, false, "a dispose began before the one after it in start-up order had finished");
  assertRolledBack(log, ids);
});

test("the start removes its abort listener when done, whatever the outcome", async () => {
  const listening = new Set();
  const signal = {
    aborted: false,
    reason: undefined,
    addEventListener: (type, fn) => listening.add(fn),
    removeEventListener: (type, fn) => listening.delete(fn),
  };
  const ok = graph({ async: true });
  await (await ok.compiled.start({ signal })).stop();
  assert.equal(listening.size, 0);
  const bad = graph({ factory: (i) => (i === 12 ? () => { throw new Error("x"); } : undefined) });
  await assert.rejects(bad.compiled.start({ signal }), StartError);
  assert.equal(listening.size, 0);
});
