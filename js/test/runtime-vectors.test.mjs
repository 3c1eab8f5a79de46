// The shared runtime vectors (tests/runtime/, format in its README): every
// case whose `modes` include `async` runs here, its services built from the
// behaviours the case scripts, and the event log and the step outcomes must
// equal the case's, exactly. The Python harness runs the same cases; the
// contract they hold is docs/lifecycle.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LookupError, Registry, StartError, TimeoutError } from "../src/index.js";

const ROOT = new URL("../../tests/runtime/", import.meta.url);
const TICK = 10; // ms: one tick of the format

/** The cases this harness runs: every manifest entry with the `async` mode. */
function manifest() {
  const paths = readFileSync(new URL("manifest.txt", ROOT), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  return paths.map((path) => ({ path, case: JSON.parse(readFileSync(new URL(path, ROOT), "utf8")) }));
}

/** An error a factory or a teardown throws: it names its service, so an outcome can. */
class ServiceFailure extends Error {
  constructor(service, what) {
    super(`${what} ${service}`);
    this.service = service;
  }
}

/** The harness's own exception, to leave a scope or the app by. */
class HarnessExit extends Error {}

const sleep = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(() => {
    signal?.removeEventListener("abort", onAbort);
    resolve(false);
  }, ms);
  const onAbort = () => {
    clearTimeout(timer);
    resolve(true);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
});

/**
 * A registry whose factories and disposes do what the case's behaviours
 * say (all async, as JS runs the `async` mode) and log to `log`. `inFlight`
 * gathers the promises of factories still running, so the harness can wait
 * until nothing is in flight before comparing.
 */
function build(c, log, inFlight) {
  const registry = new Registry();
  const calls = new Map();
  for (const svc of c.services) {
    const id = svc.id;
    const b = c.behaviour[id] ?? {};
    const kind = b.factory ?? "ok";
    const delay = (b.delay ?? 0) * TICK;
    const times = b.times ?? (kind === "fail-once" ? 1 : Infinity);
    const factory = async (...args) => {
      const { signal } = args.at(-1);
      const call = (calls.get(id) ?? 0) + 1;
      calls.set(id, call);
      log.push(`build ${id}`);
      const as = call > times ? "ok" : kind === "fail-once" ? "raise" : kind;
      if (as === "ok") {
        log.push(`ready ${id}`);
        return { id };
      }
      if (as === "raise") {
        log.push(`fail ${id}`);
        throw new ServiceFailure(id, "fail");
      }
      const work = (async () => {
        const started = performance.now();
        const cancelled = as === "hang" ? await new Promise((resolve) => signal.addEventListener("abort", () => resolve(true), { once: true })) : await sleep(delay, signal);
        if (cancelled) {
          log.push(`cancel ${id}`);
          if (!b.ignores_cancel) throw new ServiceFailure(id, "cancelled");
          await sleep(Math.max(0, delay - (performance.now() - started)));
          log.push(`late ${id}`);
          return { id };
        }
        if (as === "fail-late") {
          log.push(`fail ${id}`);
          throw new ServiceFailure(id, "fail");
        }
        log.push(`ready ${id}`);
        return { id };
      })();
      inFlight.push(work.catch(() => {}));
      return work;
    };
    const teardown = b.teardown ?? "none";
    const dispose = teardown === "none" ? undefined : async (instance, { error, id: told }) => {
      assert.equal(told, id);
      assert.equal(instance.id, id);
      if (teardown === "raise") {
        log.push(`teardown-fail ${id}`);
        throw new ServiceFailure(id, "teardown");
      }
      if (teardown === "unit-of-work") log.push(error === undefined ? `commit ${id}` : `rollback ${id}`);
      else log.push(error === undefined ? `teardown ${id}` : `teardown ${id} error`);
      // Told of an error, it rethrows that very error: not a teardown failure.
      if (error !== undefined) throw error;
    };
    // Hooks: `ok` logs `<phase> <id>`; `raise` logs it, then `<phase>-fail <id>`, and throws.
    const hook = (phase, kind) => kind === undefined ? undefined : async (instance) => {
      assert.equal(instance.id, id);
      log.push(`${phase} ${id}`);
      if (kind === "raise") {
        log.push(`${phase}-fail ${id}`);
        throw new ServiceFailure(id, phase);
      }
    };
    registry.provide(id, svc.deps ?? [], factory, {
      provides: svc.provides,
      lifetime: svc.lifetime,
      profiles: svc.profiles,
      replaces: svc.replaces,
      dispose,
      onStart: hook("start-hook", b.on_start),
      onStop: hook("stop-hook", b.on_stop),
    });
  }
  const options = {};
  if (c.roots !== undefined) options.roots = c.roots;
  if (c.profile !== undefined) options.profile = c.profile;
  return registry.compile(options);
}

/** `ok` and the ids of the instances returned. */
const okWith = (instances) => ["ok", ...instances.map((x) => x.id)].join(" ");

/** The outcome name of a failed lookup. */
function lookupOutcome(error) {
  if (error instanceof LookupError) return error.code;
  throw error;
}

/** The outcome of a get inside a scope that failed: the factory's service. */
function failedGet(error) {
  if (error instanceof ServiceFailure) return `failed ${error.service}`;
  throw error;
}

/** Runs one case: its event log and one outcome per step. */
async function run(c) {
  const log = [];
  const inFlight = [];
  const compiled = build(c, log, inFlight);
  const outcomes = [];
  let app = null;
  for (const step of c.steps) {
    switch (step.do) {
      case "start": {
        const options = step.start_timeout === undefined ? {} : { startTimeout: step.start_timeout * TICK };
        try {
          app = await compiled.start(options);
          outcomes.push("ok");
        } catch (error) {
          if (!(error instanceof StartError)) throw error;
          await error.abandoned;
          const timedOut = error.cause instanceof TimeoutError && error.cause.service === error.service;
          outcomes.push(`${timedOut ? "timeout" : "start-failed"} ${error.service}`);
        }
        break;
      }
      case "stop": {
        const exit = step.raise ? new HarnessExit("the app is left by an exception") : undefined;
        try {
          await app.stop({ error: exit });
          outcomes.push(step.raise ? "app-raised" : "ok");
        } catch (error) {
          if (!(error instanceof AggregateError)) throw error;
          outcomes.push("teardown-failed");
        }
        break;
      }
      case "scope": {
        const exit = new HarnessExit("the scope is left by an exception");
        let outcome = "ok";
        try {
          await app.withScope(async (scope) => {
            try {
              if (step.concurrent) await Promise.all(step.get.map((key) => scope.get(key)));
              else for (const key of step.get ?? []) await scope.get(key);
            } catch (error) {
              outcome = failedGet(error);
            }
            for (const key of step.then ?? []) {
              try {
                await scope.get(key);
              } catch (error) {
                if (outcome === "ok") outcome = failedGet(error);
              }
            }
            if (step.raise) throw exit;
          });
        } catch (error) {
          if (error === exit) outcome = "scope-raised";
          else if (error instanceof AggregateError) outcome = "teardown-failed";
          else throw error;
        }
        outcomes.push(outcome);
        break;
      }
      case "get":
        try {
          outcomes.push(okWith([await app.getAsync(step.key)]));
        } catch (error) {
          outcomes.push(lookupOutcome(error));
        }
        break;
      case "get_all":
        try {
          outcomes.push(okWith(app.getAll(step.key)));
        } catch (error) {
          outcomes.push(lookupOutcome(error));
        }
        break;
      case "get_id":
        try {
          outcomes.push(okWith([app.getById(step.id)]));
        } catch (error) {
          outcomes.push(lookupOutcome(error));
        }
        break;
      default:
        throw new Error(`unknown step \`${step.do}\``);
    }
  }
  // Nothing in flight before comparing: abandoned factories have settled
  // (and their late instances have been torn down: `abandoned` above).
  await Promise.all(inFlight);
  return { log, outcomes };
}

const cases = manifest();
const asyncCases = cases.filter((x) => x.case.modes.includes("async"));

test("the manifest lists cases, and this harness runs every one whose modes include async", () => {
  assert.ok(cases.length > 0, "no case found");
  assert.ok(asyncCases.length > 0, "no async case found");
  for (const { path, case: c } of cases) {
    assert.ok(Array.isArray(c.modes) && c.modes.every((m) => m === "sync" || m === "async"), `${path}: modes`);
  }
});

let ran = 0;
for (const { path, case: c } of asyncCases) {
  test(`${path}: ${c.about}`, async () => {
    const { log, outcomes } = await run(c);
    assert.deepEqual(log, c.events.async ?? c.events.default, "event log");
    assert.deepEqual(outcomes, c.outcome.async ?? c.outcome.default, "outcomes");
    ran++;
  });
}

test("every async case ran and passed", () => {
  assert.equal(ran, asyncCases.length);
});
