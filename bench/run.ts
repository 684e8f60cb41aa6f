/**
 * `npm run bench`: per-stage time and peak memory on synthetic and phone-like photos (bench/photos.ts), beside each
 * stage's codec floor; the keyer alone at the working size (bench/keyer.ts); both stages through the CLI, start-up included; each function's package size and cold-start
 * `require` time; then the local stack under 50 simultaneous uploads. Everything is measured in this run on this
 * machine.
 *
 * `npm run bench -- --baseline REF` also measures the project at git REF (e.g. `main`) in the same run, case by
 * case, and prints after/before ratios: on a shared or busy machine only such same-run ratios mean much.
 * Environment: BENCH_RUNS (default 5), BENCH_ROUNDS (with a baseline, default 3), BENCH_UPLOADS (default 50; 0
 * skips the load test), BENCH_PHOTOS (`synthetic`, `phone` or `all`, the default).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startStack } from "../local/stack";
import { runLoad } from "../local/load";
import { NATIVE_LAYER_ENV } from "../infra/layer";
import { makePhoto, PHONE, SYNTHETIC, type PhotoSpec } from "./photos";

const ROOT = resolve(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** With a baseline, each case is measured this many times, after and before in turn, so both meet the same load. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOAD_UPLOADS = Number(process.env.BENCH_UPLOADS ?? 50);

interface Measurement {
  medianMs: number;
  minMs: number;
  peakRssMb: number;
}

/**
 * The figure reported for a case: its fastest run. On a shared machine other work only ever adds time, so the
 * fastest run is the least disturbed one, and the ratio of two fastest runs is the steadiest.
 */
const best = (m: Measurement): number => m.minMs;

/** Rounds of one case: the fastest time, and the highest peak memory (which load does not change). */
function fastest(rounds: Measurement[]): Measurement {
  return {
    medianMs: Math.min(...rounds.map((m) => m.medianMs)),
    minMs: Math.min(...rounds.map(best)),
    peakRssMb: Math.max(...rounds.map((m) => m.peakRssMb)),
  };
}

/** One checkout of the project being measured: this one, or a baseline extracted from git. */
interface Tree {
  label: string;
  root: string;
  /** What the image functions' environment adds (infra/layer.ts), as far as the version has it. */
  env: Record<string, string>;
}

function node(args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, args, {
    cwd,
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
    encoding: "utf8",
    maxBuffer: 16 << 20,
  });
}

/**
 * A stage case of `tree`'s own measuring script, in a process of its own so its peak RSS is its own, with the
 * environment its Lambda function gets. Versions before bench/measure.js ran their measure.ts under tsx.
 */
function measure(tree: Tree, name: string, file: string): Measurement {
  const script = join(tree.root, "bench", "measure.js");
  const args = fs.existsSync(script)
    ? [script, name, file, String(RUNS)]
    : ["--import", "tsx", join(tree.root, "bench", "measure.ts"), name, file, String(RUNS)];
  const out = node(args, tree.root, tree.env);
  return JSON.parse(out.trim().split("\n").pop()!) as Measurement;
}

interface KeyerMeasurement {
  width: number;
  height: number;
  medianMs: number;
  minMs: number;
  minCpuMs: number;
}

/**
 * `chromakey()` alone on the photo decoded to the working size, compiled as Lambda runs it, in a process of its own:
 * this checkout's bench/keyer.ts loads `tree`'s keyer, so a baseline needs no keyer bench of its own.
 */
function keyer(tree: Tree, file: string): KeyerMeasurement {
  const runs = String(Math.max(RUNS, 7));
  const out = node(["--import", "tsx", join(ROOT, "bench", "keyer.ts"), tree.root, file, runs], tree.root);
  return JSON.parse(out.trim().split("\n").pop()!) as KeyerMeasurement;
}

function fastestKeyer(rounds: KeyerMeasurement[]): KeyerMeasurement {
  return {
    ...rounds[0]!,
    medianMs: Math.min(...rounds.map((m) => m.medianMs)),
    minMs: Math.min(...rounds.map((m) => m.minMs)),
    minCpuMs: Math.min(...rounds.map((m) => m.minCpuMs)),
  };
}

/** `theme-park-photos process IN OUT.jpg` wall time: a fresh process each run, start-up included. */
function cliProcess(tree: Tree, input: string, dir: string): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    node([join(tree.root, "dist", "pipeline", "cli.js"), "process", input, join(dir, "out.jpg")], tree.root);
    times.push(performance.now() - start);
  }
  return Math.min(...times);
}

interface Package {
  name: string;
  files: number;
  bytes: number;
  zippedBytes: number;
  requireMs?: number;
  requireCpuMs?: number;
}

function fasterPackages(a: Map<string, Package>, b: Map<string, Package>): Map<string, Package> {
  const min = (x?: number, y?: number) => (x === undefined || y === undefined ? x : Math.min(x, y));
  return new Map(
    [...a].map(([name, p]) => [
      name,
      {
        ...p,
        requireMs: min(p.requireMs, b.get(name)?.requireMs),
        requireCpuMs: min(p.requireCpuMs, b.get(name)?.requireCpuMs),
      },
    ]),
  );
}

function coldStart(tree: Tree): Map<string, Package> {
  const out = node(["--import", "tsx", join(ROOT, "bench", "coldstart.ts"), tree.root, String(RUNS)], tree.root);
  const rows = out
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Package);
  return new Map(rows.map((row) => [row.name, row]));
}

/** REF's files in a temporary folder, with this checkout's node_modules, compiled. */
function extractBaseline(ref: string, dir: string): Tree {
  const root = join(dir, "baseline");
  fs.mkdirSync(root);
  const archive = execFileSync("git", ["-C", ROOT, "archive", "--format=tar", ref], { maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", root], { input: archive });
  // Hard links, not a symlink: Pulumi's packager follows a symlinked node_modules to its real place, and the
  // baseline's packages must be its own.
  execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(root, "node_modules")]);
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
  // Versions that bundle each function (infra/bundle.ts) deploy, and so measure, the bundles.
  if (fs.existsSync(join(root, "infra", "bundle.ts"))) {
    execFileSync(process.execPath, ["--import", "tsx", join(root, "infra", "bundle.ts")], {
      cwd: root,
      stdio: "inherit",
    });
  }
  const rev = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", ref], { encoding: "utf8" }).trim();
  return { label: `${ref} (${rev})`, root, env: {} };
}

const ms = (n: number): string => n.toFixed(0);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const ratio = (after: number, before: number): string => (after / before).toFixed(2);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { baseline: { type: "string" } } });
  process.env.LOG_LEVEL ??= "warn";
  const dir = fs.mkdtempSync(join(tmpdir(), "tpp-bench-"));
  try {
    const current: Tree = { label: "this checkout", root: ROOT, env: { ...NATIVE_LAYER_ENV } };
    const baseline = values.baseline ? extractBaseline(values.baseline, dir) : undefined;
    const which = process.env.BENCH_PHOTOS ?? "all";
    const photos = [...(which !== "phone" ? SYNTHETIC : []), ...(which !== "synthetic" ? PHONE : [])];
    console.log(
      `theme-park-photos benchmark: node ${process.version}, fastest of ${RUNS} runs after a warm-up, each case in its own process` +
        (baseline
          ? `; before = ${baseline.label}, after = ${current.label}, measured in turn, ${ROUNDS} rounds, case by case in this run`
          : ""),
    );

    console.log(
      "\n| photo | stage | stage ms | codec floor ms | stage / floor | peak RSS MB |" +
        (baseline ? " before ms | after / before | before RSS MB |" : ""),
    );
    console.log("|---|---|---:|---:|---:|---:|" + (baseline ? "---:|---:|---:|" : ""));
    const both: { photo: PhotoSpec; file: string; after: number; before?: number }[] = [];
    for (const [index, photo] of photos.entries()) {
      const jpeg = join(dir, `photo-${index}.jpg`);
      fs.writeFileSync(jpeg, await makePhoto(photo, index + 1));
      let after = 0;
      let before = 0;
      for (const stage of ["chromakey", "composite"] as const) {
        // Each version's composite reads what its own chromakey wrote.
        const input = (tree: Tree): string => {
          if (stage === "chromakey") return jpeg;
          const keyed = join(dir, `photo-${index}-${tree === current ? "after" : "before"}.png`);
          if (!fs.existsSync(keyed))
            node([join(tree.root, "dist", "pipeline", "cli.js"), "chromakey", jpeg, keyed], tree.root);
          return keyed;
        };
        const runs: Measurement[] = [];
        const floors: Measurement[] = [];
        const olds: Measurement[] = [];
        for (let round = 0; round < (baseline ? ROUNDS : 1); round++) {
          runs.push(measure(current, stage, input(current)));
          floors.push(measure(current, `${stage}-codec`, input(current)));
          if (baseline) olds.push(measure(baseline, stage, input(baseline)));
        }
        const [run, floor] = [fastest(runs), fastest(floors)];
        after += best(run);
        let row = `| ${photo.label} | ${stage} | ${ms(best(run))} | ${ms(best(floor))} | ${ratio(best(run), best(floor))} | ${ms(run.peakRssMb)} |`;
        if (baseline) {
          const old = fastest(olds);
          before += best(old);
          row += ` ${ms(best(old))} | ${ratio(best(run), best(old))} | ${ms(old.peakRssMb)} |`;
        }
        console.log(row);
      }
      both.push({ photo, file: jpeg, after, before: baseline ? before : undefined });
    }

    console.log(
      "\n| photo | working size | keyer alone: ms median | keyer ms fastest | fastest CPU ms |" +
        (baseline ? " before median | before fastest | before CPU | after / before (fastest) |" : ""),
    );
    console.log("|---|---|---:|---:|---:|" + (baseline ? "---:|---:|---:|---:|" : ""));
    for (const { photo, file } of both) {
      const runs: KeyerMeasurement[] = [];
      const olds: KeyerMeasurement[] = [];
      for (let round = 0; round < (baseline ? ROUNDS : 1); round++) {
        runs.push(keyer(current, file));
        if (baseline) olds.push(keyer(baseline, file));
      }
      const run = fastestKeyer(runs);
      let row = `| ${photo.label} | ${run.width}×${run.height} | ${ms(run.medianMs)} | ${ms(run.minMs)} | ${ms(run.minCpuMs)} |`;
      if (baseline) {
        const old = fastestKeyer(olds);
        row += ` ${ms(old.medianMs)} | ${ms(old.minMs)} | ${ms(old.minCpuMs)} | ${ratio(run.minMs, old.minMs)} |`;
      }
      console.log(row);
    }

    console.log(
      "\n| photo | both stages in-process ms | `theme-park-photos process` ms (start-up included) |" +
        (baseline ? " before in-process ms | before CLI ms | in-process after / before | CLI after / before |" : ""),
    );
    console.log("|---|---:|---:|" + (baseline ? "---:|---:|---:|---:|" : ""));
    for (const { photo, file, after, before } of both) {
      let cli = Infinity;
      let oldCli = Infinity;
      for (let round = 0; round < (baseline ? ROUNDS : 1); round++) {
        cli = Math.min(cli, cliProcess(current, file, dir));
        if (baseline) oldCli = Math.min(oldCli, cliProcess(baseline, file, dir));
      }
      let row = `| ${photo.label} | ${ms(after)} | ${ms(cli)} |`;
      if (baseline && before !== undefined) {
        row += ` ${ms(before)} | ${ms(oldCli)} | ${ratio(after, before)} | ${ratio(cli, oldCli)} |`;
      }
      console.log(row);
    }

    console.log(
      "\n| function | package unzipped MB | zipped MB | files | handler require ms (CPU ms) |" +
        (baseline
          ? " before unzipped MB | before zipped MB | before require ms (CPU ms) | require after / before (CPU) |"
          : ""),
    );
    console.log("|---|---:|---:|---:|---:|" + (baseline ? "---:|---:|---:|---:|" : ""));
    const requireCell = (p: Package): string =>
      p.requireMs === undefined ? "" : `${ms(p.requireMs)} (${ms(p.requireCpuMs ?? NaN)})`;
    let packages = coldStart(current);
    let oldPackages = baseline ? coldStart(baseline) : undefined;
    for (let round = 1; baseline && round < ROUNDS; round++) {
      packages = fasterPackages(packages, coldStart(current));
      oldPackages = fasterPackages(oldPackages!, coldStart(baseline));
    }
    for (const [name, pkg] of packages) {
      let row = `| ${name} | ${mb(pkg.bytes)} | ${mb(pkg.zippedBytes)} | ${pkg.files} | ${requireCell(pkg)} |`;
      const old = oldPackages?.get(name);
      if (old) {
        const ratios =
          pkg.requireMs !== undefined && old.requireMs !== undefined
            ? `${ratio(pkg.requireMs, old.requireMs)} (${ratio(pkg.requireCpuMs!, old.requireCpuMs!)})`
            : "";
        row += ` ${mb(old.bytes)} | ${mb(old.zippedBytes)} | ${requireCell(old)} | ${ratios} |`;
      } else if (oldPackages) {
        row += " | | | |"; // a function the baseline does not have
      }
      console.log(row);
    }

    if (LOAD_UPLOADS > 0) {
      console.log(`\nLocal stack, ${LOAD_UPLOADS} uploads at once (presign -> PUT -> three stages -> MQTT):`);
      const stack = await startStack({ port: 0, s3Port: 0, dataDir: join(dir, "stack"), quiet: true });
      try {
        const load = await runLoad(stack, LOAD_UPLOADS);
        console.log(
          `  processed ${load.processed}/${load.uploads}, failed ${load.failed}, missing ${load.missing.length}, duplicated ${load.duplicated.length}; ` +
            `upload->notification p50 ${load.p50Ms.toFixed(0)} ms, p95 ${load.p95Ms.toFixed(0)} ms; all done in ${(load.wallMs / 1000).toFixed(1)} s`,
        );
      } finally {
        await stack.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
