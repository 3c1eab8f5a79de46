// Node, ESM: loads the wasm synchronously from the package (no fetch).
import "./v8-guard.js";
import { createRequire } from "node:module";
import { setWasm } from "./wasm.js";

setWasm(createRequire(import.meta.url)("../pkg/wireplan_node.cjs"));

export * from "./exports.js";

/** Nothing to do in Node: the module is ready on import. */
export function init() {
  return Promise.resolve();
}

/** Nothing to do in Node: the module is ready on import. */
export function initSync() {}
