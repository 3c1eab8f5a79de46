// Lifecycle events to a logger: `start({onEvent: logEvents(console)})`.
// The event shape is the contract both runtimes keep (docs/lifecycle.md):
// {type, id, phase, at_us, duration_us, error}.

import { wasm } from "./wasm.js";

function name(id) {
  return `\`${wasm().escape(String(id))}\``;
}

function ms(us) {
  return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
}

/** One line of text for an event (no trailing newline). */
export function eventText(event) {
  const id = event.id === null ? "" : name(event.id);
  const took = event.duration_us === null ? "" : ` in ${ms(event.duration_us)}`;
  switch (event.type) {
    case "constructing":
      return `wireplan: constructing ${id}`;
    case "constructed":
      return `wireplan: constructed ${id}${took}`;
    case "start-hook":
      return `wireplan: start hook of ${id} ran${took}`;
    case "started":
      return `wireplan: started ${id}`;
    case "app-started":
      return `wireplan: app started${took}`;
    case "stop-hook":
      return `wireplan: stop hook of ${id} ran${took}`;
    case "stopped":
      return `wireplan: stopped ${id}${took}`;
    case "app-stopped":
      return `wireplan: app stopped${took}`;
    case "reloaded":
      return `wireplan: reloaded${took}`;
    case "failed":
      return `wireplan: ${id === "" ? "the app" : id} failed (${event.phase}): ${event.error}`;
    default:
      return `wireplan: ${event.type}${id === "" ? "" : ` ${id}`}${took}`;
  }
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
