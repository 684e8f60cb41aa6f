/**
 * The keyer alone, at the working size: `tsx bench/keyer.ts ROOT INPUT [RUNS] [dist|src]`. ROOT is a checkout of
 * the project (this one, or a baseline for a before/after comparison); its decoder brings INPUT to the working size
 * once, then its `chromakey()` runs RUNS times after a warm-up, compiled (`dist`, as Lambda runs it; the default) or
 * from source under tsx (`src`). Prints one JSON line: { width, height, runs, medianMs, minMs, minCpuMs }.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Rgba } from "../pipeline/rgba";

/** Warm-up runs: enough for the engine to optimise the hot loops before the clock starts. */
const WARM_UP = 3;

async function main(): Promise<void> {
  const [rootArg, file, runsArg, mode = "dist"] = process.argv.slice(2);
  if (!rootArg || !file || (mode !== "dist" && mode !== "src"))
    throw new Error("usage: keyer.ts ROOT INPUT [RUNS] [dist|src]");
  const root = resolve(rootArg);
  const runs = Number(runsArg ?? 7);
  const dir = mode === "dist" ? join(root, "dist", "pipeline") : join(root, "pipeline");
  const ext = mode === "dist" ? ".js" : ".ts";
  const { decodePhoto } = (await import(join(dir, `image-input${ext}`))) as {
    decodePhoto(buf: Uint8Array): Promise<Rgba>;
  };
  const { chromakey } = (await import(join(dir, `chromakey${ext}`))) as { chromakey(img: Rgba): Rgba };
  const img = await decodePhoto(readFileSync(file));
  for (let i = 0; i < WARM_UP; i++) chromakey(img);
  const times: number[] = [];
  let minCpuMs = Infinity;
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    chromakey(img);
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    minCpuMs = Math.min(minCpuMs, (used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  const { width, height } = img;
  console.log(
    JSON.stringify({ width, height, runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0], minCpuMs }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
