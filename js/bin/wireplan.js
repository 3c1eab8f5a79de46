#!/usr/bin/env node
// `npx wireplan check services.json`: the Rust CLI's `check`, on the wasm
// planner. Same output (the core's rendering, or its report JSON, on
// standard output) and the same exit codes: 0 valid (warnings allowed
// unless --deny-warnings), 1 when the graph has errors, 2 when the input
// cannot be read or parsed, or the command line is wrong.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { check, fingerprint, version } from "../src/index.js";
import { wasm } from "../src/wasm.js";

const OK = 0;
const INVALID = 1;
const UNUSABLE = 2;
// Reports of these codes mean the input could not be used at all.
const UNUSABLE_CODES = new Set(["invalid-descriptor", "unsupported-version", "limit-exceeded"]);

const USAGE = `Usage: wireplan check [OPTIONS] <FILE>...

Validate descriptor files (JSON; several are merged in order; - is standard input).
Exit 0 when valid, 1 when the graph has errors, 2 when the input cannot be used.

Options:
      --format <FORMAT>   human (default) or json
      --profile <P>       the active profile
      --root <ID>         a service that must start (repeatable)
      --deny-warnings     exit 1 on warnings too
      --color <WHEN>      auto (default), always or never
  -h, --help              print help
  -V, --version           print version
`;

/**
 * User text (a file name, an argument) as the core shows it: control, bidi
 * and invisible characters escaped, so it cannot start a line of its own in
 * a terminal or a CI log.
 */
function shown(text) {
  return wasm().escape(String(text));
}

function usage(message) {
  // The message quotes the command line, user text: escaped whole.
  process.stderr.write(`error: ${shown(message)}\n\n${USAGE}`);
  return UNUSABLE;
}

function write(stream, text) {
  return new Promise((resolve) => {
    if (text === "") return resolve();
    stream.write(text, () => resolve());
  });
}

// A closed pipe (`| head`) ends quietly, as in the Rust CLI, and the exit
// code is still the graph's: the write resolves, main returns its code.
process.stdout.on("error", () => {});

// The core's default `max_input_bytes`: at most one byte more is read from
// a file, a device or standard input, so `/dev/zero` or an endless pipe is
// refused instead of read until memory runs out.
const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** Thrown when an input is over MAX_INPUT_BYTES; rendered as the core's `limit-exceeded`. */
class TooBig extends Error {
  constructor(name, found) {
    super(`${name}: the size of the document in bytes is ${found}, over the limit of ${MAX_INPUT_BYTES}`);
    this.document = name;
    this.found = found;
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Reads at most MAX_INPUT_BYTES + 1 bytes of `fd`. A regular file gets a
 * buffer of its size; anything else (a pipe, a device) one of the limit,
 * which costs only the pages written (the memory is not touched until
 * read into), so an endless input peaks at the limit, not twice it.
 */
function readBounded(fd, size) {
  const limit = MAX_INPUT_BYTES + 1;
  let buffer = Buffer.allocUnsafe(size === null ? limit : Math.min(size + 1, limit));
  let length = 0;
  while (length < limit) {
    if (length === buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, limit));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    let n;
    try {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    } catch (e) {
      // A non-blocking standard input with nothing yet: wait, then read on.
      if (e.code === "EAGAIN") {
        sleep(5);
        continue;
      }
      if (e.code === "EOF") break;
      throw e;
    }
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

function words(e) {
  switch (e.code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory, not a descriptor file";
    default:
      return String(e.message).replace(/^[A-Z]+: /, "").replace(/^./, (c) => c.toLowerCase());
  }
}

function readSource(name) {
  // Refused by name, before a byte of it is read.
  if (name !== "-" && /\.(ya?ml|toml)$/i.test(name)) {
    throw new Error(`cannot read \`${shown(name)}\`: the npm CLI reads JSON only; convert it, or use the Rust CLI for YAML and TOML`);
  }
  let bytes;
  const display = name === "-" ? "<stdin>" : name;
  try {
    const fd = name === "-" ? 0 : openSync(name, "r");
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) throw Object.assign(new Error("directory"), { code: "EISDIR" });
      // A regular file's size is known: refuse it unread.
      if (stat.isFile() && stat.size > MAX_INPUT_BYTES) throw new TooBig(display, stat.size);
      bytes = readBounded(fd, stat.isFile() ? stat.size : null);
    } finally {
      if (fd !== 0) closeSync(fd);
    }
  } catch (e) {
    if (e instanceof TooBig) throw e;
    throw new Error(name === "-" ? `cannot read standard input: ${words(e)}` : `cannot read \`${shown(name)}\`: ${words(e)}`);
  }
  if (bytes.length > MAX_INPUT_BYTES) throw new TooBig(display, bytes.length);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`cannot read \`${shown(display)}\`: invalid UTF-8; descriptors must be UTF-8 text`);
  }
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  return { name: display, text };
}

/**
 * The core's `limit-exceeded` report for an input over the byte limit
 * (`render::host::input_too_large`): the input never reached the core, since
 * it is refused while reading, before it is all in memory.
 */
function tooBigReport(e, format) {
  const r = wasm().inputTooLarge(e.document, MAX_INPUT_BYTES, e.found);
  return format === "json" ? `${r.json}\n` : r.text;
}

function parseArgs(argv) {
  const a = { files: [], format: "human", profile: undefined, roots: [], denyWarnings: false, color: "auto" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (flag) => {
      const eq = arg.indexOf("=");
      if (eq >= 0) return arg.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`a value is required for \`${flag} <VALUE>\``);
      return argv[++i];
    };
    if (arg === "--") {
      a.files.push(...argv.slice(i + 1));
      break;
    } else if (arg === "--format" || arg.startsWith("--format=")) {
      a.format = value("--format");
      if (a.format !== "human" && a.format !== "json") {
        throw new Error(`invalid value \`${a.format}\` for \`--format <FORMAT>\` (the npm CLI has human and json; the Rust CLI also has github and sarif)`);
      }
    } else if (arg === "--profile" || arg.startsWith("--profile=")) {
      a.profile = value("--profile");
    } else if (arg === "--root" || arg.startsWith("--root=")) {
      a.roots.push(value("--root"));
    } else if (arg === "--color" || arg.startsWith("--color=")) {
      a.color = value("--color");
      if (!["auto", "always", "never"].includes(a.color)) throw new Error(`invalid value \`${a.color}\` for \`--color <WHEN>\``);
    } else if (arg === "--deny-warnings") {
      a.denyWarnings = true;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new Error(`unexpected argument \`${arg}\``);
    } else {
      a.files.push(arg);
    }
  }
  if (a.files.length === 0) throw new Error("the following required arguments were not provided: <FILE>...");
  return a;
}

async function main(argv) {
  if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help" || argv[0] === "help") {
    await write(argv.length === 0 ? process.stderr : process.stdout, USAGE);
    return argv.length === 0 ? UNUSABLE : OK;
  }
  if (argv[0] === "-V" || argv[0] === "--version") {
    await write(process.stdout, `wireplan ${version()}\n`);
    return OK;
  }
  if (argv[0] !== "check") {
    return usage(`unrecognized subcommand \`${argv[0]}\` (the npm package has \`check\`; the Rust CLI has plan, graph, explain and diff too)`);
  }
  let args;
  try {
    args = parseArgs(argv.slice(1));
  } catch (e) {
    return usage(e.message);
  }
  let sources;
  try {
    sources = args.files.map(readSource);
  } catch (e) {
    if (e instanceof TooBig) {
      await write(process.stdout, tooBigReport(e, args.format));
      return UNUSABLE;
    }
    await write(process.stderr, `error: ${e.message}\n`);
    return UNUSABLE;
  }
  const noColor = (process.env.NO_COLOR ?? "") !== "";
  const color = args.format === "human" && (args.color === "always" || (args.color === "auto" && process.stdout.isTTY === true && !noColor));
  const options = { profile: args.profile, roots: args.roots };
  const report = check(sources, { ...options, color });
  // Unusable (exit 2) means the descriptors could not be read, as in the Rust
  // CLI: a report that planning cut at `max_diagnostics`, or a limit of the
  // graph (bindings, recipes), is a broken graph (exit 1).
  let unusable = false;
  if (!report.ok) {
    try {
      fingerprint(sources, options);
    } catch (e) {
      unusable = UNUSABLE_CODES.has(e.code);
    }
  }
  await write(process.stdout, args.format === "json" ? `${report.json}\n` : report.text);
  if (unusable) return UNUSABLE;
  if (!report.ok || (args.denyWarnings && report.warningCount > 0)) return INVALID;
  return OK;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: internal error in wireplan: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = UNUSABLE;
  },
);
