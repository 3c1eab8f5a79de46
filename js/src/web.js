// Browsers without a bundler, and edge workers: instantiate explicitly.
// `await init()` fetches the .wasm next to this package's `pkg/`;
// `await init(urlOrResponseOrBytes)` takes it from elsewhere; `initSync(bytes)`
// (or a compiled `WebAssembly.Module`) needs no fetch at all, for workers
// that import the module as data.
import initGlue, { initSync as initSyncGlue } from "../pkg/wireplan_web.js";
import * as glue from "../pkg/wireplan_web.js";
import { setPending, setWasm } from "./wasm.js";

setPending("call `await init()` or `initSync(bytes)` from `wireplan/web` first");

export * from "./exports.js";

let ready = null;

/** Instantiates the module once (fetching it unless given); resolves when ready. */
export function init(input) {
  ready ??= initGlue(input === undefined ? undefined : { module_or_path: input }).then(() => {
    setWasm(glue);
  });
  return ready;
}

/** Instantiates the module from bytes or a `WebAssembly.Module`, synchronously. */
export function initSync(bytes) {
  initSyncGlue({ module: bytes });
  setWasm(glue);
  ready = Promise.resolve();
}
