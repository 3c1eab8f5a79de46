// Node 20's V8 (11.x) can abort the whole process ("Fatal error ...
// unreachable code" in Deoptimizer::DoComputeBuiltinContinuation) when an
// optimized function that inlined a call into WebAssembly deoptimizes; the
// JS runtime, which calls the core's wasm on its failure paths, met it in
// its fault tests about one run in two. Turning off only that inlining
// (`--no-turbo-inline-js-wasm-calls`) before any of our code is optimized
// removes it; V8 12 (Node 22) is not affected and is left alone. The
// calls into wasm are coarse (one per plan, one per message), so nothing
// measurable is lost.
import { createRequire } from "node:module";

const major = Number(String(globalThis.process?.versions?.v8 ?? "").split(".")[0]);
if (major > 0 && major < 12) {
  try {
    createRequire(import.meta.url)("node:v8").setFlagsFromString("--no-turbo-inline-js-wasm-calls");
  } catch {
    // Not Node, or flags locked: nothing to guard.
  }
}
