/**
 * Proof that a faster keyer keys exactly as before: `tsx bench/keyer-identity.ts OLD_ROOT NEW_ROOT`. Both roots are
 * checkouts with a built dist; every input below is keyed by both, and the cut-out's bytes, the screen, the extent
 * and the hint must be identical. Inputs: the bench's phone and synthetic photos at working size, the ground-truth
 * scenes (tuning, held-out, hard), the samples, blue-screen and no-screen photos, and odd sizes. Exits 1 on any
 * difference.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { KeyOptions, KeyResult } from "../pipeline/chromakey";
import { decodePhoto } from "../pipeline/image-input";
import { createRgba, type Rgba } from "../pipeline/rgba";
import { generateScene } from "../test/groundtruth/scene";
import { HARD_SCENES, HELD_OUT_SEEDS, sceneFor, TUNING_SEEDS } from "../test/groundtruth/sets";
import { makePhoto, PHONE, SYNTHETIC } from "./photos";

type KeyPhoto = (img: Rgba, options?: Partial<KeyOptions>) => KeyResult;

async function loadKeyer(root: string): Promise<KeyPhoto> {
  const mod = (await import(join(resolve(root), "dist", "pipeline", "chromakey.js"))) as { keyPhoto: KeyPhoto };
  return mod.keyPhoto;
}

/** The photo with its green and blue channels swapped: a blue-screen photo of the same guest. */
function swapGreenBlue(img: Rgba): Rgba {
  const out = createRgba(img.width, img.height);
  out.data.set(img.data);
  for (let p = 0; p < out.data.length; p += 4) {
    out.data[p + 1] = img.data[p + 2]!;
    out.data[p + 2] = img.data[p + 1]!;
  }
  return out;
}

/** Deterministic RGBA of a given size: a screen-green field with a darker, redder blob and some noise. */
function pattern(width: number, height: number, seed: number, screen = true): Rgba {
  const img = createRgba(width, height);
  let s = seed >>> 0 || 1;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = 4 * (y * width + x);
      const inside = (x - width / 2) ** 2 / (width * width + 1) + (y - height / 2) ** 2 / (height * height + 1) < 0.05;
      const [r, g, b] = !screen ? [120, 110, 100] : inside ? [180, 120, 90] : [40, 190, 60];
      img.data[p] = r + rand() * 20;
      img.data[p + 1] = g + rand() * 20;
      img.data[p + 2] = b + rand() * 20;
      img.data[p + 3] = 255;
    }
  }
  return img;
}

async function* inputs(): AsyncGenerator<[string, Rgba, Partial<KeyOptions>?]> {
  for (const spec of [...PHONE, ...SYNTHETIC]) {
    const img = await decodePhoto(await makePhoto(spec));
    yield [`${spec.label} -> ${img.width}x${img.height}`, img];
    if (spec === PHONE[0]) {
      yield [`${spec.label} blue`, swapGreenBlue(img)];
      yield [`${spec.label} spill 0.5, 16 cells`, img, { spillSuppression: 0.5, plateCells: 16 }];
    }
  }
  for (const seed of [...TUNING_SEEDS, ...HELD_OUT_SEEDS]) {
    yield [`scene ${seed}`, (await generateScene(sceneFor(seed))).observed];
  }
  for (const hard of HARD_SCENES) yield [`hard ${hard.name}`, (await generateScene(hard.spec)).observed];
  const samples = join(__dirname, "..", "assets", "samples");
  for (const file of readdirSync(samples).filter((f) => f.endsWith(".jpg"))) {
    const img = await decodePhoto(readFileSync(join(samples, file)));
    yield [`sample ${file}`, img];
    yield [`sample ${file} blue`, swapGreenBlue(img)];
  }
  yield ["no screen 800x600", pattern(800, 600, 7, false)];
  for (const [w, h] of [
    [1, 1],
    [3, 500],
    [500, 3],
    [2049, 7],
    [7, 2049],
    [9, 9],
    [17, 33],
    [1000, 1],
  ] as const) {
    yield [`pattern ${w}x${h}`, pattern(w, h, w * 31 + h)];
  }
}

function same(a: KeyResult, b: KeyResult): string | null {
  const x = a.image.data;
  const y = b.image.data;
  if (a.image.width !== b.image.width || a.image.height !== b.image.height || x.length !== y.length) return "size";
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `byte ${i} (pixel ${i >> 2}): ${x[i]} vs ${y[i]}`;
  for (const k of ["screen", "extent", "hint"] as const) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      return `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`;
  }
  return null;
}

async function main(): Promise<void> {
  const [oldRoot, newRoot] = process.argv.slice(2);
  if (!oldRoot || !newRoot) throw new Error("usage: keyer-identity.ts OLD_ROOT NEW_ROOT");
  const keyOld = await loadKeyer(oldRoot);
  const keyNew = await loadKeyer(newRoot);
  let count = 0;
  let failed = 0;
  for await (const [label, img, options] of inputs()) {
    count++;
    const diff = same(keyOld(img, options), keyNew(img, options));
    if (diff) failed++;
    console.log(`${diff ? "DIFF" : "same"}  ${label}${diff ? `: ${diff}` : ""}`);
  }
  console.log(`${count - failed} of ${count} inputs identical`);
  if (failed) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
