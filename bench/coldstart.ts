/**
 * Each function as deployed: its package's size, and how long a fresh Node process takes to `require` the bundle its
 * factory loads (what every cold start pays, in Lambda's init phase, before the first photo), with the native layer
 * on NODE_PATH as Lambda mounts it. `tsx bench/coldstart.ts [ROOT] [RUNS]`; ROOT (default this project) may be
 * another checkout of the project, for a before/after comparison. Prints one JSON line per function (the fastest of
 * RUNS fresh processes, wall and CPU time), then one for the layer.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { measureFolder, requiredHandler, writePackage } from "../infra/artifact";

// Wall time, and CPU time (user + system), which other work on a shared machine inflates much less.
const REQUIRE_TIMER = `
const cpu = process.cpuUsage();
const start = performance.now();
require(require("path").resolve(process.argv[1]));
const wall = performance.now() - start;
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify([wall, (used.user + used.system) / 1000]));
`;

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
  const runs = Number(process.argv[3] ?? 5);
  process.chdir(root); // computeCodePaths reads the project's package.json from the working directory
  type Entry = (...args: any[]) => unknown;
  // Handler factories; a ROOT from before they were (a baseline) exports the handlers themselves as callbacks.
  const callbacks = (await import(path.join(root, "infra", "callbacks.ts"))) as {
    stageFactories?: Record<string, Entry>;
    presignFactory?: Entry;
    failedFactory?: Entry;
    stageCallbacks?: Record<string, Entry>;
    presignCallback?: Entry;
    failedCallback?: Entry;
    codePathOptions: (root: string, entry?: unknown) => import("@pulumi/pulumi").runtime.CodePathOptions;
  };
  const layer = (await import(path.join(root, "infra", "layer.ts"))) as {
    ensureLayer(root: string): unknown;
    LAYER_DIR: string;
    LAYER_NODE_MODULES: string;
  };
  layer.ensureLayer(root);
  const nodePath = path.join(root, layer.LAYER_NODE_MODULES);

  const failed = callbacks.failedFactory ?? callbacks.failedCallback;
  const functions = {
    ...(callbacks.stageFactories ?? callbacks.stageCallbacks),
    presign: callbacks.presignFactory ?? callbacks.presignCallback,
    ...(failed ? { failed } : {}),
  };
  for (const [name, entry] of Object.entries(functions)) {
    // Only the module it requires matters here, which the package's __index.js names either way.
    const pkg = await writePackage(name, entry!, callbacks.codePathOptions(root, entry), root);
    try {
      const handler = requiredHandler(pkg.dir);
      const times: number[] = [];
      const cpuTimes: number[] = [];
      for (let i = 0; i < runs; i++) {
        const out = execFileSync(process.execPath, ["-e", REQUIRE_TIMER, handler], {
          cwd: pkg.dir,
          env: { PATH: path.dirname(process.execPath), NODE_PATH: nodePath, LAMBDA_TASK_ROOT: pkg.dir },
          encoding: "utf8",
        });
        const [wall, cpu] = JSON.parse(out) as [number, number];
        times.push(wall);
        cpuTimes.push(cpu);
      }
      const { files, bytes, zippedBytes } = pkg;
      const requireMs = Math.min(...times);
      const requireCpuMs = Math.min(...cpuTimes);
      console.log(JSON.stringify({ name, files, bytes, zippedBytes, requireMs, requireCpuMs }));
    } finally {
      fs.rmSync(pkg.dir, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify({ name: "layer", ...measureFolder(path.join(root, layer.LAYER_DIR)) }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
