// Browsers without a bundler, and edge workers: instantiate explicitly.
// `await init()` fetches the .wasm next to this package's `pkg/`;
// `await init(urlOrResponseOrBytes)` takes it from elsewhere; `initSync(module)`
// (a compiled `WebAssembly.Module`, or bytes where the runtime allows
// compiling them) needs no fetch at all: the edge path, since Cloudflare
// Workers refuse to compile bytes and only accept a `.wasm` imported as a
// module (`import wasm from "wireplan/wireplan.wasm"; initSync(wasm)`).
import initGlue, { initSync as initSyncGlue } from "../pkg/wireplan_web.js";
import * as glue from "../pkg/wireplan_web.js";
import { setPending, setWasm } from "./wasm.js";

setPending("call `await init()` or `initSync(module)` from `wireplan/web` first");

export * from "./exports.js";

const EDGE_HINT =
  "on Cloudflare Workers and other edge runtimes, import the module (`import wasm from \"wireplan/wireplan.wasm\"`) and call `initSync(wasm)`";

let ready = null;
let done = false;

function bytesOrModule(input) {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input) && !(input instanceof Uint8Array)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return input;
}

/** Where a no-argument `init()` looks for the .wasm, when this runtime can say (workerd cannot: no URL of its own). */
function besideUs() {
  try {
    return ` (${new URL("../pkg/wireplan_wasm_bg.wasm", import.meta.url)})`;
  } catch {
    return "";
  }
}

function initError(message, cause) {
  return new Error(`wireplan: ${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

/**
 * Instantiates the module once (fetching it unless given); resolves when
 * ready. A failed attempt is not remembered: calling again retries.
 */
export function init(input) {
  if (done) return Promise.resolve();
  ready ??= initGlue(input === undefined ? undefined : { module_or_path: bytesOrModule(input) }).then(
    () => {
      setWasm(glue);
      done = true;
    },
    (cause) => {
      ready = null;
      throw input === undefined
        ? initError(`could not load the WebAssembly module next to \`wireplan/web\`${besideUs()}; pass it to \`init(urlOrBytes)\`, or ${EDGE_HINT}`, cause)
        : initError("could not instantiate the WebAssembly module given to `init()`", cause);
    },
  );
  return ready;
}

/** Instantiates the module from a `WebAssembly.Module` (or bytes), synchronously. */
export function initSync(module) {
  if (done) return;
  if (module === undefined) throw new TypeError(`wireplan: initSync(module) needs the module: ${EDGE_HINT}`);
  try {
    initSyncGlue({ module: bytesOrModule(module) });
  } catch (cause) {
    throw initError(
      module instanceof WebAssembly.Module ? "could not instantiate the WebAssembly module" : `could not compile the WebAssembly bytes (${EDGE_HINT}, as a compiled module)`,
      cause,
    );
  }
  setWasm(glue);
  done = true;
  ready = Promise.resolve();
}
