// The one place that holds the wasm-bindgen glue. Each entry point (Node,
// bundler, web) loads its own build of the module and hands it over here, so
// the API, the runtime and the errors are the same code everywhere.

let glue = null;
let pending = "call `await init()` or `initSync(bytes)` first";

/** Installs the wasm-bindgen glue of one target. */
export function setWasm(module) {
  glue = module;
}

/** Records why the module is not ready yet, for the error message. */
export function setPending(message) {
  pending = message;
}

/** The glue, or a clear error when the module is not instantiated yet. */
export function wasm() {
  if (glue === null) {
    throw new Error(`wireplan: the WebAssembly module is not initialized: ${pending}`);
  }
  return glue;
}
