import type { Rgba } from "./rgba";

/** The screen found in a photo: which channel it lights, and its colour as ratios to that channel. */
export interface Screen {
  /** Index of the screen's channel in RGBA: 1 green, 2 blue. */
  readonly key: 1 | 2;
  /** Indices of the two other colour channels. */
  readonly others: readonly [number, number];
  /** Median of other[0] / key and other[1] / key over screen-like pixels: the screen's chroma. */
  readonly ratios: readonly [number, number];
  /** Fraction of the photo that looks like screen. */
  readonly coverage: number;
}

const BINS = 256;
/** A pixel "looks like screen" when its key channel exceeds both others by this share of itself. */
const CANDIDATE_EXCESS = 0.3;
const MIN_LEVEL = 32;

/**
 * Finds a green or blue screen from the photo itself (on a sparse sample of pixels). Returns null
 * when less than `minFraction` of the photo looks like either.
 */
export function detectScreen(img: Rgba, colour: "auto" | "green" | "blue", minFraction: number): Screen | null {
  const step = Math.max(1, Math.floor(Math.sqrt((img.width * img.height) / 250_000)));
  const counts = { green: 0, blue: 0 };
  let sampled = 0;
  forSample(img, step, (r, g, b) => {
    sampled++;
    if (g >= MIN_LEVEL && g - Math.max(r, b) > CANDIDATE_EXCESS * g) counts.green++;
    else if (b >= MIN_LEVEL && b - Math.max(r, g) > CANDIDATE_EXCESS * b) counts.blue++;
  });
  const chosen = colour === "auto" ? (counts.green >= counts.blue ? "green" : "blue") : colour;
  const coverage = counts[chosen] / Math.max(1, sampled);
  if (coverage < minFraction) return null;

  const key = chosen === "green" ? 1 : 2;
  const others: [number, number] = chosen === "green" ? [0, 2] : [0, 1];
  const hist0 = new Uint32Array(BINS);
  const hist1 = new Uint32Array(BINS);
  let total = 0;
  forSample(img, step, (r, g, b) => {
    const k = key === 1 ? g : b;
    const o0 = r;
    const o1 = key === 1 ? b : g;
    if (k < MIN_LEVEL || k - Math.max(o0, o1) <= CANDIDATE_EXCESS * k) return;
    hist0[Math.min(BINS - 1, Math.floor((o0 / k) * BINS))]!++;
    hist1[Math.min(BINS - 1, Math.floor((o1 / k) * BINS))]!++;
    total++;
  });
  return { key, others, ratios: [median(hist0, total), median(hist1, total)], coverage };
}

function forSample(img: Rgba, step: number, visit: (r: number, g: number, b: number) => void): void {
  const { width, height, data } = img;
  for (let y = step >> 1; y < height; y += step) {
    for (let x = step >> 1; x < width; x += step) {
      const o = 4 * (y * width + x);
      visit(data[o]!, data[o + 1]!, data[o + 2]!);
    }
  }
}

function median(hist: Uint32Array, total: number): number {
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen * 2 >= total) return (i + 0.5) / hist.length;
  }
  return 0.5;
}
