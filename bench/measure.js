// @ts-check
/**
 * One measurement in a process of its own, so its peak RSS is its own: `node bench/measure.js CASE INPUT RUNS`.
 * Prints one JSON line: { case, runs, medianMs, minMs, peakRssMb }.
 *
 * Plain JavaScript on the compiled pipeline (dist/, `npm run build`), as a function runs: under tsx the process
 * would carry the TypeScript loader too, some 14 MB that no function has. Each stage is loaded by its own case
 * only, so the process holds what that stage's function holds (the chromakey function has no canvas); the
 * warm-up run pays for loading it.
 */
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const DIST = join(__dirname, "..", "dist", "pipeline");
const load = (/** @type {string} */ name) => require(join(DIST, `${name}.js`));

/** @type {Record<string, (input: Buffer) => Promise<unknown>>} */
const CASES = {
  // The codec floor of each stage: its decode and its encode, with nothing in between.
  "chromakey-codec": async (input) => load("image-output").encodePng(await load("image-input").decodePhoto(input)),
  chromakey: (input) => load("stages").chromakeyPhoto(input),
  "composite-codec": async (input) => {
    await load("image-input").decodePhoto(input);
    const { OUTPUT_WIDTH, OUTPUT_HEIGHT } = load("themes");
    return load("image-output").encodeJpeg(load("rgba").createRgba(OUTPUT_WIDTH, OUTPUT_HEIGHT));
  },
  composite: (input) => load("composite").compositePhoto(input, { photoId: "bench", theme: "castle" }),
};

async function main() {
  const [name = "", file, runsArg] = process.argv.slice(2);
  const work = CASES[name];
  if (!work || !file) throw new Error(`usage: measure.js (${Object.keys(CASES).join("|")}) INPUT [RUNS]`);
  const input = readFileSync(file);
  const runs = Number(runsArg ?? 5);
  await work(input); // warm-up: module loading, asset cache, JIT
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await work(input);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ case: name, runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0], peakRssMb }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
