// Lifecycle events to a logger: `start({onEvent: logEvents(console)})`.
// The event shape is the contract both runtimes keep (docs/lifecycle.md):
// {type, id, phase, at_us, duration_us, error}.

import { wasm } from "./wasm.js";

/** One line of text for an event (no trailing newline), in the core's words (Python's log says the same). */
export function eventText(event) {
  const text = (v) => (v === null || v === undefined ? undefined : String(v));
  return `wireplan: ${wasm().lifecycleEvent(String(event.type), text(event.id), text(event.phase), event.duration_us ?? undefined, text(event.error))}`;
}

/**
 * An `onEvent` that writes each event as one line: `failed` through
 * `logger.error`, the others through `logger.debug` (as Python's default
 * logs to `logging.getLogger("wireplan")`, DEBUG, and ERROR for `failed`).
 * `logger` is anything with `debug` and `error` (default `console`).
 */
export function logEvents(logger = console) {
  if (logger === null || typeof logger !== "object" || typeof logger.debug !== "function" || typeof logger.error !== "function") {
    throw new TypeError("wireplan: `logEvents(logger)` needs a logger with `debug` and `error` methods (such as `console`)");
  }
  return (event) => {
    const text = eventText(event);
    if (event.type === "failed") logger.error(text);
    else logger.debug(text);
  };
}
