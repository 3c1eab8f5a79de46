// The Rust CLI (crates/planner-cli, `wireplan_cli::run`) built for WASI and
// run under node:wasi: `npx wireplan` is the `wireplan` binary, every
// subcommand and format, the same bytes on standard output and error and the
// same exit codes. Nothing of the command line is re-implemented in JS.
//
// Only the bin loads this module and `pkg/wireplan-cli.wasm` (2 MB): no entry
// point of `import "wireplan"` names either, so bundles stay lean.
//
// What the launcher does, and why:
// - Environment: the CLI reads `NO_COLOR` (crates/planner-cli/src/sink.rs)
//   and, under WASI, `PWD`, the directory relative paths mean (WASI has no
//   working directory of its own; `main` changes into `PWD`). Nothing else
//   is passed.
// - Files: `/` is preopened, so the CLI reads and writes what the user can,
//   by relative or absolute path, as the native binary does. On Windows the
//   current drive's root is preopened as `/` and `PWD` is the current
//   directory on it with `/` separators: paths on other drives are not
//   reachable (not tested here: no Windows machine).
// - Output: node:wasi writes fds 1 and 2 synchronously (uvwasi calls write(2)
//   itself, past `process.stdout`), so the output is complete when piped and
//   nothing needs draining; the exit code goes to `process.exitCode`. A
//   standard stream left non-blocking by another process (EAGAIN) is waited
//   for, as the old JS bin did, where the native binary would stop.
// - Terminals: `--color auto` colors on a terminal: the CLI's `is_terminal`
//   asks WASI for the fd's type, which node:wasi answers for a TTY.
// - Panics: the WASI build aborts (no unwinding); the panic hook has printed
//   its one line by then, so the trap only sets exit code 2.
// Node 20's V8 can crash (SIGSEGV in a KeyedLoadIC miss, seen here in the
// tests' ~1,000 runs in one process) once an optimized function inlines the
// call into wasm (`wasi.start`) and deoptimizes: the package's guard turns
// that inlining off on V8 < 12, as for the library (src/v8-guard.js).
import "../src/v8-guard.js";
import { readFileSync, writeSync } from "node:fs";
import { platform } from "node:os";
import { parse, relative, sep } from "node:path";

const UNUSABLE = 2;
/** WASI's `errno::again`: a non-blocking fd with nothing to read or no room to write. */
const EAGAIN = 6;

let compiled = null;
let wasiClass = null;

/**
 * node:wasi's `WASI`. Node 20 prints an ExperimentalWarning on standard
 * error when the module loads, which the native binary does not print: that
 * one warning is dropped, every other warning is still shown.
 */
async function loadWasi() {
  if (wasiClass) return wasiClass;
  const emit = process.emitWarning;
  process.emitWarning = function (warning, type, ...rest) {
    const kind = type !== null && typeof type === "object" ? type.type : type;
    if (kind === "ExperimentalWarning" && /WASI/.test(String(warning))) return undefined;
    return emit.call(this, warning, type, ...rest);
  };
  try {
    ({ WASI: wasiClass } = await import("node:wasi"));
  } finally {
    process.emitWarning = emit;
  }
  return wasiClass;
}

/** The CLI's module, compiled once per process. */
function module() {
  compiled ??= WebAssembly.compile(readFileSync(new URL("../pkg/wireplan-cli.wasm", import.meta.url)));
  return compiled;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `preopens` and `PWD` for `cwd`: the whole file system, as the native binary sees it. */
function filesystem(cwd) {
  if (platform() !== "win32") return { preopens: { "/": "/" }, pwd: cwd };
  const root = parse(cwd).root;
  return { preopens: { "/": root }, pwd: `/${relative(root, cwd).split(sep).join("/")}` };
}

/**
 * Runs the command line `argv` (without the program name) and resolves to
 * its exit code. `stdin`, `stdout` and `stderr` are file descriptors
 * (default: this process's); `cwd` is where relative paths start; `env` is
 * read for `NO_COLOR` only.
 */
export async function run(argv, { cwd = process.cwd(), env = process.env, stdin = 0, stdout = 1, stderr = 2 } = {}) {
  const { preopens, pwd } = filesystem(cwd);
  const wasiEnv = { PWD: pwd };
  if (env.NO_COLOR !== undefined) wasiEnv.NO_COLOR = env.NO_COLOR;
  const WASI = await loadWasi();
  const wasi = new WASI({ version: "preview1", args: ["wireplan", ...argv], env: wasiEnv, preopens, stdin, stdout, stderr, returnOnExit: true });
  const imports = wasi.getImportObject();
  const calls = imports.wasi_snapshot_preview1;
  for (const name of ["fd_read", "fd_write"]) {
    const call = calls[name];
    calls[name] = (fd, ...rest) => {
      for (;;) {
        const errno = call(fd, ...rest);
        if (errno !== EAGAIN || fd > 2) return errno;
        sleep(2);
      }
    };
  }
  const instance = await WebAssembly.instantiate(await module(), imports);
  try {
    return wasi.start(instance);
  } catch (e) {
    // The Rust side aborted (a panic, memory exhausted) after saying why on
    // standard error; anything else has said nothing yet.
    if (!(e instanceof WebAssembly.RuntimeError)) {
      const line = `error: internal error in wireplan: ${e && e.message ? e.message : e}\n`;
      try {
        writeSync(stderr, line);
      } catch {
        // nowhere left to say it
      }
    }
    return UNUSABLE;
  }
}
