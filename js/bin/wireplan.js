#!/usr/bin/env node
// `npx wireplan …`: the Rust CLI, built for WASI, run under node:wasi
// (./cli.js). Every subcommand and format of the `wireplan` binary, the same
// output bytes and exit codes (0 valid, 1 the graph has errors, 2 the input
// or the command line cannot be used).
import { run } from "./cli.js";

run(process.argv.slice(2)).then(
  (code) => {
    // Not process.exit(): the exit code is set and the process ends on its own.
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`error: internal error in wireplan: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 2;
  },
);
