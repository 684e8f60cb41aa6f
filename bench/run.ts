/**
 * `npm run bench`: per-stage time and peak memory on a 12 MP and a 2 MP photo, beside each stage's codec floor,
 * all measured in this run on this machine; then the local stack under 50 simultaneous uploads.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { startStack } from "../local/stack";
import { runLoad, SAMPLE_PHOTO } from "../local/load";
import { chromakeyPhoto } from "../pipeline/stages";

const SIZES = [
  { label: "12 MP (3000x4000)", width: 3000, height: 4000 },
  { label: "2 MP (1224x1632)", width: 1224, height: 1632 },
];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LOAD_UPLOADS = Number(process.env.BENCH_UPLOADS ?? 50);

interface Measurement {
  medianMs: number;
  minMs: number;
  peakRssMb: number;
}

/** The sample green-screen portrait at the given size, as a phone would store it (JPEG, quality 92). */
async function greenScreenPhoto(width: number, height: number): Promise<Buffer> {
  const sample = await loadImage(SAMPLE_PHOTO);
  const canvas = createCanvas(width, height);
  canvas.getContext("2d").drawImage(sample, 0, 0, width, height);
  return canvas.encode("jpeg", 92);
}

function measure(name: string, file: string): Measurement {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(__dirname, "measure.ts"), name, file, String(RUNS)],
    {
      env: { ...process.env, LOG_LEVEL: "silent" },
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim().split("\n").pop()!) as Measurement;
}

const fmt = (ms: number): string => ms.toFixed(0).padStart(6);

async function main(): Promise<void> {
  process.env.LOG_LEVEL ??= "warn";
  const dir = mkdtempSync(join(tmpdir(), "tpp-bench-"));
  try {
    console.log(
      `theme-park-photos benchmark: node ${process.version}, median of ${RUNS} runs after a warm-up, each case in its own process\n`,
    );
    console.log("| photo | stage | stage ms | codec floor ms | stage / floor | stage peak RSS MB |");
    console.log("|---|---|---:|---:|---:|---:|");
    for (const size of SIZES) {
      const jpeg = join(dir, `${size.width}x${size.height}.jpg`);
      const png = join(dir, `${size.width}x${size.height}.png`);
      writeFileSync(jpeg, await greenScreenPhoto(size.width, size.height));
      writeFileSync(png, await chromakeyPhoto(readFileSync(jpeg)));
      let total = 0;
      for (const [stage, input] of [
        ["chromakey", jpeg],
        ["composite", png],
      ] as const) {
        const run = measure(stage, input);
        const floor = measure(`${stage}-codec`, input);
        total += run.medianMs;
        console.log(
          `| ${size.label} | ${stage} | ${fmt(run.medianMs)} | ${fmt(floor.medianMs)} | ${(run.medianMs / floor.medianMs).toFixed(2)} | ${run.peakRssMb.toFixed(0)} |`,
        );
      }
      console.log(`| ${size.label} | both stages | ${fmt(total)} | | | |`);
    }

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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
