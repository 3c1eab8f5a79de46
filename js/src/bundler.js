// Bundlers (webpack, Vite, Rollup with wasm support): the bundler loads the
// .wasm as an ES module import, so the module is ready on import.
import * as glue from "../pkg/wireplan_wasm.js";
import { setWasm } from "./wasm.js";

setWasm(glue);

export * from "./exports.js";

/** Nothing to do with a bundler: the module is ready on import. */
export function init() {
  return Promise.resolve();
}

/** Nothing to do with a bundler: the module is ready on import. */
export function initSync() {}
