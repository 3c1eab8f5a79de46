// Everything the package exports, whichever entry point loaded the wasm.
export { Plan, Report, Analysis, plan, check, analyze, fingerprint, encodePlan, decodePlan, explain, inspect, renderTimeline, version } from "./api.js";
export { PlanError, StartError, TimeoutError, AbortError, LookupError, ReloadError } from "./errors.js";
export { Registry, CompiledPlan, App, Scope, StopError, key } from "./runtime.js";
export { cachedPlan, fileCache, memoryCache, planCacheKey } from "./cache.js";
export { logEvents } from "./events.js";
