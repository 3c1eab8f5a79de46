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

/** A service's factory threw or rejected while the plan was starting. */
export class StartError extends Error {
  constructor(service, cause, disposeErrors) {
    super(`service \`${service}\` failed to start: ${describe(cause)}`, { cause });
    this.name = "StartError";
    this.service = service;
    /** Errors thrown by `dispose` while rolling back what had started. */
    this.disposeErrors = disposeErrors;
  }
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
