// `npx wireplan` from the packed tarball is the Rust CLI: the same bytes on
// standard output and error, and the same exit code, as the native binary,
// for every subcommand and format on every vector.
//
// The tarball is packed and installed into a fresh project, as users receive
// it. Real `npx wireplan` processes run the command-line cases (help,
// version, a wrong flag, a missing file, standard input, a terminal, YAML
// and TOML); the vector matrix (about 800 runs) calls the installed bin's
// own `run` (node_modules/wireplan/bin/cli.js, what bin/wireplan.js calls)
// in this process, with the CLI's wasm compiled once, its output captured in
// files, since a Node process per run would take minutes on this machine.
//
// The comparison needs a native Rust CLI build (target/{debug,release}/wireplan)
// newer than its sources: `scripts/test` makes one (`cargo test --workspace`
// runs first). Without one the tests fail saying what to build, never skip.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const js = fileURLToPath(new URL("../", import.meta.url));
const repo = fileURLToPath(new URL("../../", import.meta.url));
const vectors = `${repo}tests/vectors/`;
const timelines = `${repo}tests/timeline/`;
const fixtures = `${repo}crates/planner-cli/tests/fixtures/`;
const cases = readFileSync(`${vectors}manifest.txt`, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));

/** Newest modification time of the files under `dir`. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// The newest native build, if it is newer than the sources it is built from
// (a stale binary would compare old words with new ones); the same for the
// CLI's wasm in pkg/.
const sources = Math.max(...["crates/planner/src", "crates/planner-cli/src"].map((d) => newest(`${repo}${d}`)));
const rustBuild = [`${repo}target/release/wireplan`, `${repo}target/debug/wireplan`]
  .filter((p) => existsSync(p) && statSync(p).mtimeMs >= sources)
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
const cliWasm = `${js}pkg/wireplan-cli.wasm`;

let work; // a temporary directory: the tarball, the project it is installed in, capture files
let project;
let run; // the installed package's bin/cli.js `run`

before(async () => {
  assert.ok(
    rustBuild,
    "no native Rust CLI build newer than crates/planner/src and crates/planner-cli/src to compare with: " +
      "build it with `cargo build -p wireplan-cli` (scripts/test does, through `cargo test --workspace`)",
  );
  assert.ok(existsSync(cliWasm) && statSync(cliWasm).mtimeMs >= sources, "js/pkg/wireplan-cli.wasm is missing or older than the CLI's sources: run `npm run build` in js/");
  work = mkdtempSync(join(tmpdir(), "wireplan-cli-"));
  execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: js, stdio: ["ignore", "pipe", "pipe"] });
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz")));
  project = join(work, "project");
  execFileSync("mkdir", [project]);
  writeFileSync(join(project, "package.json"), '{"name": "cli-test", "private": true}\n');
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--offline", tarball], { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  ({ run } = await import(pathToFileURL(join(project, "node_modules", "wireplan", "bin", "cli.js")).href));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// Both sides see the same environment; NO_COLOR is the one variable the CLI reads.
const env = { ...process.env };
delete env.NO_COLOR;

/** The native binary: `{stdout, stderr, status}`, output as bytes. */
function native(argv, { cwd = vectors, input } = {}) {
  const r = spawnSync(rustBuild, argv, { cwd, env, input });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

let captured = 0;
/** The installed bin's `run`, in this process, output captured in files. */
async function wasi(argv, { cwd = vectors } = {}) {
  const out = join(work, `out-${captured}`);
  const err = join(work, `err-${captured++}`);
  const stdout = openSync(out, "w+");
  const stderr = openSync(err, "w+");
  const stdin = openSync("/dev/null", "r");
  let status;
  try {
    status = await run(argv, { cwd, env, stdin, stdout, stderr });
  } finally {
    for (const fd of [stdout, stderr, stdin]) closeSync(fd);
  }
  const r = { stdout: readFileSync(out), stderr: readFileSync(err), status };
  rmSync(out);
  rmSync(err);
  return r;
}

/** A real `npx wireplan` in `cwd`, from the installed tarball. */
function npx(argv, { cwd = vectors, input, extraEnv = {} } = {}) {
  const r = spawnSync("npx", ["--prefix", project, "--no-install", "wireplan", ...argv], { cwd, env: { ...env, ...extraEnv }, input });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function same(got, want, what) {
  assert.equal(got.status, want.status, `${what}: exit code (stderr: ${got.stderr})`);
  assert.ok(got.stdout.equals(want.stdout), `${what}: standard output differs\n--- npx\n${got.stdout}\n--- native\n${want.stdout}`);
  assert.ok(got.stderr.equals(want.stderr), `${what}: standard error differs\n--- npx\n${got.stderr}\n--- native\n${want.stderr}`);
}

/** `--profile`/`--root` of a vector's `.options.json`. */
function planning(name) {
  const path = `${vectors}${name}.options.json`;
  const o = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  const out = [];
  if (o.profile) out.push("--profile", o.profile);
  for (const r of o.roots ?? []) out.push("--root", r);
  return out;
}

/** The first and last service ids of a vector, or stand-ins when it cannot be read as descriptors. */
function ids(name) {
  let services = [];
  try {
    const doc = JSON.parse(readFileSync(`${vectors}${name}.json`, "utf8"));
    services = Array.isArray(doc?.services) ? doc.services.filter((s) => typeof s?.id === "string" && s.id !== "") : [];
  } catch {
    // a malformed vector: the CLI reports the document, whatever the id
  }
  return { first: services[0]?.id ?? "missing", last: services.at(-1)?.id ?? "missing" };
}

/** Every command line compared for one vector, `other` being another vector. */
function commandLines(name, other) {
  const file = `${name}.json`;
  const opts = planning(name);
  const { first, last } = ids(name);
  return [
    ...["human", "json", "github", "sarif"].map((f) => ["check", file, "--format", f, ...opts]),
    ["check", file, "--deny-warnings", ...opts],
    ["plan", file, ...opts],
    ["plan", file, "--format", "binary", ...opts],
    ["plan", file, "--error-format", "json", ...opts],
    ["graph", file, "--format", "dot", ...opts],
    ["graph", file, "--format", "mermaid", ...opts],
    ["graph", file, "--focus", first, ...opts],
    ["explain", file, first, ...opts],
    ["explain", file, first, "--format", "json", ...opts],
    ["explain", file, first, "--why", last, ...opts],
    ["diff", file, `${other}.json`, ...opts],
    ["diff", file, `${other}.json`, "--format", "json", "--fail-on-new-errors", ...opts],
  ];
}

test("every vector: check (4 formats), plan, graph, explain and diff, byte for byte and exit code as the native CLI", async (t) => {
  const started = performance.now();
  let compared = 0;
  for (const [i, name] of cases.entries()) {
    const other = cases[(i + 1) % cases.length];
    for (const argv of commandLines(name, other)) {
      same(await wasi(argv), native(argv), `wireplan ${argv.join(" ")}`);
      compared++;
    }
  }
  assert.ok(cases.length > 0, "the manifest lists no case");
  assert.equal(compared, cases.length * commandLines(cases[0], cases[0]).length);
  t.diagnostic(`${compared} command lines on ${cases.length} vectors in ${((performance.now() - started) / 1000).toFixed(1)} s, compared with ${rustBuild}`);
});

test("timeline: every format of a saved record, and its faults", async () => {
  const record = `${timelines}startup.json`;
  assert.ok(existsSync(record));
  const broken = join(work, "broken-timeline.json");
  writeFileSync(broken, '{"timeline": 1, "services": [{"id": "a", "layer": 0}]}\n');
  for (const argv of [
    ["timeline", record],
    ...["chain", "blame", "svg", "trace"].map((f) => ["timeline", record, "--format", f]),
    ["timeline", broken],
    ["timeline", join(work, "no-such-record.json")],
  ]) {
    same(await wasi(argv), native(argv), `wireplan ${argv.join(" ")}`);
  }
});

test("YAML and TOML input, and documents merged across formats, as the native CLI reads them", async () => {
  for (const argv of [
    ["check", "app.yaml"],
    ["check", "app.toml", "--format", "json"],
    ["plan", "app.yaml"],
    ["graph", "app.toml"],
    ["check", "bad.yaml"],
    ["check", "bad.toml", "--format", "sarif"],
    ["check", "unknown-field.yaml"],
    ["check", "part1.json", "part2.yaml"],
    ["diff", "app.json", "app.yaml"],
  ]) {
    same(await wasi(argv, { cwd: fixtures }), native(argv, { cwd: fixtures }), `wireplan ${argv.join(" ")}`);
  }
});

test("npx wireplan: --help, --version, help of a subcommand, a wrong flag or subcommand, no arguments", () => {
  for (const argv of [["--help"], ["-h"], ["--version"], ["-V"], ["check", "--help"], ["help", "timeline"], ["check", "--bogus", "a.json"], ["frobnicate"], [], ["check"], ["check", "--format", "xml", "a.json"]]) {
    same(npx(argv), native(argv), `npx wireplan ${argv.join(" ")}`);
  }
});

test("npx wireplan: a missing file, a directory and an escaped file name exit 2 with the native CLI's line", () => {
  for (const argv of [["check", "no-such-file.json"], ["check", "valid"], ["plan", "nofile\n::error::pwned.json"], ["graph", "/no/such/dir/x.json"]]) {
    const r = npx(argv);
    same(r, native(argv), `npx wireplan ${JSON.stringify(argv)}`);
    assert.equal(r.status, 2);
  }
});

test("npx wireplan: standard input (`-`), valid, broken and not JSON", () => {
  for (const input of ['{"version": 1, "services": [{"id": "a"}]}', '{"version": 1, "services": [{"id": "a", "deps": ["a"]}]}', "{nope"]) {
    for (const argv of [["check", "-"], ["plan", "-"], ["check", "-", "--format", "json"]]) {
      same(npx(argv, { input }), native(argv, { input }), `npx wireplan ${argv.join(" ")} < ${input}`);
    }
  }
});

test("npx wireplan: relative and absolute paths, YAML, and a plan written with -o (a file replaced atomically)", () => {
  const broken = "invalid/cycle/three.json";
  same(npx(["check", broken]), native(["check", broken]), "relative path");
  same(npx(["check", `${vectors}${broken}`]), native(["check", `${vectors}${broken}`]), "absolute path");
  same(npx(["check", "app.yaml"], { cwd: fixtures }), native(["check", "app.yaml"], { cwd: fixtures }), "YAML");
  const a = join(work, "npx-plan.json");
  const b = join(work, "native-plan.json");
  same(npx(["plan", "valid/basic/chain.json", "-o", a]), native(["plan", "valid/basic/chain.json", "-o", b]), "plan -o");
  assert.ok(readFileSync(a).equals(readFileSync(b)), "the same plan file");
  assert.deepEqual(readdirSync(work).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
  const svgs = [join(work, "npx.svg"), join(work, "native.svg")];
  same(npx(["timeline", `${timelines}startup.json`, "--format", "svg", "-o", svgs[0]]), native(["timeline", `${timelines}startup.json`, "--format", "svg", "-o", svgs[1]]), "timeline -o");
  assert.ok(readFileSync(svgs[0]).equals(readFileSync(svgs[1])), "the same SVG file");
});

test("npx wireplan: colors with --color always, none when piped or with NO_COLOR, and on a terminal as the native CLI", () => {
  const broken = "invalid/cycle/three.json";
  const always = npx(["check", broken, "--color", "always"]);
  same(always, native(["check", broken, "--color", "always"]), "--color always");
  assert.ok(always.stdout.includes("\x1b["), "colored");
  const piped = npx(["check", broken]);
  assert.ok(!piped.stdout.includes("\x1b["), "no color when piped");
  // A terminal: `script` (util-linux) runs the command on a pseudo-terminal;
  // npm's own progress spinner, drawn on a terminal, is turned off.
  const onTty = (command, extraEnv = {}) =>
    spawnSync("script", ["-qec", command, "/dev/null"], { cwd: vectors, env: { ...env, npm_config_progress: "false", ...extraEnv }, encoding: "utf8" }).stdout;
  const npxCommand = `npx --prefix '${project}' --no-install wireplan check ${broken}`;
  const tty = onTty(npxCommand);
  assert.ok(tty.includes("\x1b[1;31merror"), `colored on a terminal: ${JSON.stringify(tty.slice(0, 80))}`);
  assert.equal(tty, onTty(`'${rustBuild}' check ${broken}`), "the same bytes as the native CLI on a terminal");
  assert.ok(!onTty(npxCommand, { NO_COLOR: "1" }).includes("\x1b["), "NO_COLOR turns colors off on a terminal");
});

test("npx wireplan: a large output is complete through a pipe, and no warning of node:wasi is printed", () => {
  const services = Array.from({ length: 5000 }, (_, i) => ({ id: `svc${i}`, deps: i ? [`svc${i - 1}`] : [] }));
  const big = join(work, "big.json");
  writeFileSync(big, JSON.stringify({ version: 1, services }));
  const r = npx(["graph", big]);
  same(r, native(["graph", big]), "graph of 5000 services");
  assert.ok(r.stdout.length > 200_000, `${r.stdout.length} bytes`);
  assert.equal(r.stderr.length, 0);
});

test("the CLI's wasm is the bin's only: no entry point of `import \"wireplan\"` names it", () => {
  const pkg = JSON.parse(readFileSync(join(js, "package.json"), "utf8"));
  assert.ok(pkg.files.includes("pkg/wireplan-cli.wasm"));
  assert.ok(!JSON.stringify(pkg.exports).includes("wireplan-cli"), "the exports map names no CLI file");
  const installed = join(project, "node_modules", "wireplan");
  for (const dir of ["src", "pkg"]) {
    for (const f of readdirSync(join(installed, dir))) {
      if (!/\.(c?js|mjs)$/.test(f)) continue;
      assert.ok(!readFileSync(join(installed, dir, f), "utf8").includes("wireplan-cli"), `${dir}/${f} names the CLI's wasm`);
    }
  }
  assert.ok(readFileSync(join(installed, "bin", "cli.js"), "utf8").includes("wireplan-cli.wasm"));
  assert.ok(existsSync(join(installed, "pkg", "wireplan-cli.wasm")), "the tarball holds the CLI's wasm");
});
