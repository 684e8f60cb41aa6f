/**
 * Writes the demo photos (synthetic guests in front of green screens, from the keying-test
 * ground-truth generator at a higher resolution): `npx tsx assets/make-sample.ts`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateScene } from "../test/groundtruth/scene";

const SAMPLES = [
  { file: "greenscreen-portrait.jpg", seed: 7, width: 1200, height: 1600 },
  { file: "greenscreen-landscape.jpg", seed: 11, width: 1600, height: 1200 },
] as const;

async function main(): Promise<void> {
  for (const sample of SAMPLES) {
    const scene = await generateScene({ ...sample, screen: "green", jpegQuality: 85 });
    const path = join(__dirname, "samples", sample.file);
    writeFileSync(path, scene.jpeg);
    console.log(`${path}: ${sample.width}x${sample.height}, ${Math.round(scene.jpeg.length / 1024)} KB`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
