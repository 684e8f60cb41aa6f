/**
 * One measurement in a process of its own, so its peak RSS is its own: `tsx bench/measure.ts CASE INPUT RUNS`.
 * Prints one JSON line: { case, runs, medianMs, minMs, peakRssMb }.
 */
import { readFileSync } from "node:fs";
import { decodePhoto } from "../pipeline/image-input";
import { encodeJpeg, encodePng } from "../pipeline/image-output";
import { createRgba } from "../pipeline/rgba";
import { OUTPUT_HEIGHT, OUTPUT_WIDTH } from "../pipeline/themes";

// Each stage is loaded by its own case only, so a process holds what that stage's function holds (the chromakey
// function has no canvas) and its peak RSS is the function's. The warm-up run pays for the import.
const CASES: Record<string, (input: Uint8Array) => Promise<unknown>> = {
  // The codec floor of each stage: its decode and its encode, with nothing in between.
  "chromakey-codec": async (input) => encodePng(await decodePhoto(input)),
  chromakey: async (input) => (await import("../pipeline/stages.js")).chromakeyPhoto(input),
  "composite-codec": async (input) => {
    await decodePhoto(input);
    return encodeJpeg(createRgba(OUTPUT_WIDTH, OUTPUT_HEIGHT));
  },
  composite: async (input) =>
    (await import("../pipeline/composite.js")).compositePhoto(input, { photoId: "bench", theme: "castle" }),
};

async function main(): Promise<void> {
  const [name, file, runsArg] = process.argv.slice(2);
  const work = CASES[name];
  if (!work || !file) throw new Error(`usage: measure.ts (${Object.keys(CASES).join("|")}) INPUT [RUNS]`);
  const input = readFileSync(file);
  const runs = Number(runsArg ?? 5);
  await work(input); // warm-up: module loading, asset cache, JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work(input);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ case: name, runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0], peakRssMb }));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
