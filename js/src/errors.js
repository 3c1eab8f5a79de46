// Errors live in JS: wasm exports return tagged data, and these classes turn
// a failure into something to throw (STYLE.md practice 9). Their words are
// the core's (`render::runtime`), the very text Python's runtime shows.

import { wasm } from "./wasm.js";

/**
 * The graph or the input cannot be planned. `message` is the core's
 * rendering, the very text the CLI prints; `report` is the structured
 * report, `diagnostics` its list, `code` the first error's stable code.
 */
export class PlanError extends Error {
  constructor(result) {
    super(stripNewline(result.text));
    this.name = "PlanError";
    this.report = result.report;
    this.diagnostics = result.report.diagnostics;
    const first = this.diagnostics.find((d) => d.severity === "error") ?? this.diagnostics[0];
    this.code = first ? first.code : "invalid-descriptor";
    Object.defineProperty(this, "reportJson", { value: result.json, enumerable: false });
  }
}

/**
 * The start failed: a service's factory threw, rejected or did not settle
 * in time, and what had started was rolled back. The same shape as
 * Python's `StartError`: `service`, its `source` (`file:line`, or null),
 * `cause`, and the dispose errors met while rolling back
 * (`disposeErrors`, also `teardownErrors`). The message is the core's
 * words (`render::runtime::start_failed`), so both languages say the same.
 */
export class StartError extends Error {
  constructor(service, cause, disposeErrors, abandoned = NOTHING_ABANDONED, source = null) {
    super(wasm().startFailed(service, source ?? undefined, describe(cause), disposeErrors.length), { cause });
    this.name = "StartError";
    this.service = service;
    /** Where the service's factory was registered (`file:line[:column]`), or null. */
    this.source = source;
    /** Errors thrown by `dispose` while rolling back what had started. */
    this.disposeErrors = disposeErrors;
    defineAbandoned(this, abandoned);
  }

  /** The dispose errors of the rollback, by Python's name. */
  get teardownErrors() {
    return this.disposeErrors;
  }
}

/**
 * A lookup (`get`, `getAll`, `getById`) that cannot be answered: `code` is
 * `unknown-key`, `unknown-id`, `ambiguous-key`, `not-planned`, `replaced`
 * or `not-singleton`; `key` what was asked for; `services` the ids the
 * message names (the providers of an ambiguous key, a replacement, the
 * closest keys of an unknown one). A `RangeError`, so `catch` blocks
 * written for the lookups before keys still work.
 */
export class LookupError extends RangeError {
  constructor(code, key, message, services = []) {
    super(`wireplan: ${message}`);
    this.name = "LookupError";
    this.code = code;
    this.key = key;
    this.services = services;
  }
}

/**
 * A factory or a dispose did not settle within its `startTimeout` or
 * `stopTimeout`: the `cause` of a `StartError` or a `StopError`.
 */
export class TimeoutError extends Error {
  constructor(service, phase, timeout, took = null) {
    super(wasm().timedOut(service, phase, timeout / 1000, took === null ? undefined : took / 1000));
    this.name = "TimeoutError";
    this.service = service;
    /** `"start"` or `"stop"`. */
    this.phase = phase;
    /** The timeout, in milliseconds. */
    this.timeout = timeout;
    /** A synchronous call that overran: how long it took, in ms; else null. */
    this.took = took;
  }
}

/**
 * `start()` was cancelled through its `signal`: what had started is
 * stopped, and this names where the start was. `cause` is `signal.reason`.
 */
export class AbortError extends Error {
  constructor(reason, layer, services, inLayer, disposeErrors, abandoned) {
    const where = services.length > 0
      ? `in layer ${layer} while ${services.map((s) => `\`${s}\``).join(", ")} ${services.length === 1 ? "was" : "were"} starting`
      : `${inLayer ? "in" : "before"} layer ${layer}`;
    super(`start aborted ${where}: ${describe(reason)}`, { cause: reason });
    this.name = "AbortError";
    /** The start-up layer being started (or about to be) when the signal fired. */
    this.layer = layer;
    /** The services whose async factories were in flight when the signal fired. */
    this.services = services;
    /** Errors thrown by `dispose` while rolling back what had started. */
    this.disposeErrors = disposeErrors;
    defineAbandoned(this, abandoned);
  }

  /** The dispose errors of the rollback, by Python's name. */
  get teardownErrors() {
    return this.disposeErrors;
  }
}

/**
 * `app.reload(next)` failed: the replacements that had started were
 * stopped and the app is back on its old plan. `cause` is the failure (a
 * `StartError` naming the service); `service` its id; `restoreError` the
 * error of starting the old services again, if that failed too (then those
 * are not running); `disposeErrors` what failed while stopping the old ones.
 */
export class ReloadError extends Error {
  constructor(cause, restoreError = null, disposeErrors = []) {
    super(wasm().reloadFailed(describe(cause), restoreError === null, restoreError === null ? undefined : describe(restoreError)), { cause });
    this.name = "ReloadError";
    /** The service whose start failed, or null. */
    this.service = cause !== null && typeof cause === "object" && typeof cause.service === "string" ? cause.service : null;
    this.restoreError = restoreError;
    this.disposeErrors = disposeErrors;
  }
}

const NOTHING_ABANDONED = Promise.resolve([]);

// `abandoned`: a promise, so not enumerable (it would clutter the printed error).
function defineAbandoned(error, abandoned) {
  Object.defineProperty(error, "abandoned", { value: abandoned, enumerable: false, writable: true, configurable: true });
}

/** Trailing newline off: an Error message is one block of text. */
export function stripNewline(text) {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** A cause's message, whatever was thrown. */
export function describe(cause) {
  if (cause instanceof Error) return cause.message;
  try {
    return String(cause);
  } catch {
    return "(unprintable value)";
  }
}
