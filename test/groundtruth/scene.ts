import { createRgba, type Rgba } from "../../pipeline/rgba";
import { boxBlur } from "./blur";
import { fromJpeg, toJpeg } from "./jpeg";
import { createMatte } from "./matte";
import { createPrng } from "./prng";
import { paintSubject, type SubjectOptions } from "./subject";

export type ScreenColour = "green" | "blue";

export interface SceneOptions extends SubjectOptions {
  seed: number;
  width: number;
  height: number;
  screen?: ScreenColour;
  /** JPEG quality of the "camera" (default 85). */
  jpegQuality?: number;
}

export interface GroundTruth {
  /** What the camera delivers: subject on the screen, spill, noise, JPEG. */
  observed: Rgba;
  /** The true alpha of the foreground, 0..1. */
  alphaTrue: Float32Array;
  /** The true foreground colour (no spill); its alpha channel is alphaTrue in bytes. */
  fgTrue: Rgba;
  /** The camera's JPEG file that `observed` was decoded from. */
  jpeg: Buffer;
}

/**
 * Renders a deterministic green- or blue-screen photo with a known matte.
 * The screen is unevenly lit (gradient, hot spot, vignette, colour drift, folds) and carries the
 * subject's soft shadow; the subject's edges pick up spill from the screen.
 */
export async function generateScene(opts: SceneOptions): Promise<GroundTruth> {
  const { width: W, height: H } = opts;
  const rng = createPrng(opts.seed);
  const s = Math.min(H, W * 1.25);
  const n = W * H;
  const fg = createMatte(W, H);
  paintSubject(fg, rng, { ...opts, screen: opts.screen ?? "green" });

  const blue = opts.screen === "blue";
  const base = blue
    ? [rng.range(20, 45), rng.range(70, 105), rng.range(175, 215)]
    : [rng.range(25, 55), rng.range(150, 185), rng.range(55, 90)];
  const basePeak = Math.max(base[0]!, base[1]!, base[2]!);
  const phi = rng.range(0, 2 * Math.PI);
  const gradient = rng.range(0.1, 0.3);
  const vignette = rng.range(0.15, 0.3);
  const spotX = rng.range(0.2, 0.8) * W;
  const spotY = rng.range(0.1, 0.6) * H;
  const spotSigma2 = 2 * (0.3 * Math.max(W, H)) ** 2;
  const drift = [rng.range(-0.3, 0.3), rng.range(-0.08, 0.08), rng.range(-0.3, 0.3)];
  const foldPeriod = rng.range(0.1, 0.2) * s;
  const foldAngle = rng.range(-0.5, 0.5);

  // The shadow is the matte itself, shifted away from the light and blurred.
  const shiftX = Math.round((rng.next() < 0.5 ? -1 : 1) * rng.range(0.03, 0.07) * s);
  const shiftY = Math.round(rng.range(0, 0.03) * s);
  const shifted = new Float32Array(n);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(H - 1, Math.max(0, y - shiftY));
    for (let x = 0; x < W; x++) {
      const sx = Math.min(W - 1, Math.max(0, x - shiftX));
      shifted[y * W + x] = fg.a[sy * W + sx]!;
    }
  }
  const shadow = boxBlur(shifted, W, H, 0.025 * s);
  const shadowStrength = rng.range(0.25, 0.45);

  // Spill grows with closeness to the screen: a blur of the screen's visibility.
  const seen = new Float32Array(n);
  for (let i = 0; i < n; i++) seen[i] = 1 - fg.a[i]!;
  const proximity = boxBlur(seen, W, H, 0.006 * s, 2);
  const spillMax = rng.range(0.15, 0.35);
  const noiseSigma = rng.range(1.5, 3);

  const observed = createRgba(W, H);
  const fgTrue = createRgba(W, H);
  const alphaTrue = new Float32Array(n);
  const screen = new Float32Array(3);
  for (let y = 0; y < H; y++) {
    const v = y / H - 0.5;
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const u = x / W - 0.5;
      const light =
        (0.85 +
          gradient * (u * Math.cos(phi) + v * Math.sin(phi)) +
          0.15 * Math.exp(-((x - spotX) ** 2 + (y - spotY) ** 2) / spotSigma2)) *
        (1 - vignette * 2 * (u * u + v * v)) *
        (1 + 0.03 * Math.sin(((x * Math.cos(foldAngle) + y * Math.sin(foldAngle)) / foldPeriod) * 2 * Math.PI)) *
        (1 - shadowStrength * shadow[i]!);
      for (let k = 0; k < 3; k++) screen[k] = base[k]! * light * (1 + drift[k]! * u);
      const a = fg.a[i]!;
      alphaTrue[i] = a;
      const o = 4 * i;
      const spill = spillMax * proximity[i]!;
      const channels = [fg.r[i]!, fg.g[i]!, fg.b[i]!];
      for (let k = 0; k < 3; k++) {
        const f = a > 1e-6 ? channels[k]! / a : 0;
        fgTrue.data[o + k] = f;
        // Spill is screen-coloured light reflected by the subject's own colour: as bright as the screen is.
        const spilled = Math.min(255, f * (1 + (spill * screen[k]!) / basePeak));
        observed.data[o + k] = a * spilled + (1 - a) * screen[k]! + noiseSigma * rng.gauss();
      }
      fgTrue.data[o + 3] = a * 255;
      observed.data[o + 3] = 255;
    }
  }
  const jpeg = await toJpeg(observed, opts.jpegQuality ?? 85);
  return { observed: await fromJpeg(jpeg), alphaTrue, fgTrue, jpeg };
}
