// Errors live in JS: wasm exports return tagged data, and these classes turn
// a failure into something to throw (STYLE.md practice 9).

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
 * A service's factory threw, rejected or did not settle in time while the
 * plan was starting.
 */
export class StartError extends Error {
  constructor(service, cause, disposeErrors, abandoned = NOTHING_ABANDONED) {
    super(
      cause instanceof TimeoutError && cause.service === service
        ? `service \`${service}\` did not start within ${cause.timeout} ms`
        : `service \`${service}\` failed to start: ${describe(cause)}`,
      { cause },
    );
    this.name = "StartError";
    this.service = service;
    /** Errors thrown by `dispose` while rolling back what had started. */
    this.disposeErrors = disposeErrors;
    defineAbandoned(this, abandoned);
  }
}

/**
 * A factory or a dispose did not settle within its `startTimeout` or
 * `stopTimeout`: the `cause` of a `StartError` or a `StopError`.
 */
export class TimeoutError extends Error {
  constructor(service, phase, timeout) {
    super(`\`${service}\` did not ${phase} within ${timeout} ms`);
    this.name = "TimeoutError";
    this.service = service;
    /** `"start"` or `"stop"`. */
    this.phase = phase;
    /** The timeout, in milliseconds. */
    this.timeout = timeout;
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
