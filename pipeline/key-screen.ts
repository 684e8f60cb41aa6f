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
  /**
   * Fraction of the photo lit by the screen's channel but not of the screen's chroma: clothes or things
   * close to the screen's colour (a bright green shirt), which the key takes away with the screen.
   */
  readonly screenLike: number;
}

const BINS = 256;
/** Chroma histogram cells per axis for finding the screen's own colour among everything screen-like. */
const MODE_BINS = 32;
/** Share of the photo's height (top) and width (upper sides) where samples weigh more in finding the screen. */
const BORDER_BAND = 0.25;
const BORDER_WEIGHT = 4;
/** Chroma distance (ratio units) within which screen-like pixels count as the screen itself. */
const SCREEN_SPREAD = 0.12;
/** A pixel "looks like screen" when its key channel exceeds both others by this share of itself. */
const CANDIDATE_EXCESS = 0.3;
const MIN_LEVEL = 32;

/**
 * Finds a green or blue screen from the photo itself (on a sparse sample of pixels). Returns null
 * when less than `minFraction` of the photo looks like either.
 */
export function detectScreen(img: Rgba, colour: "auto" | "green" | "blue", minFraction: number): Screen | null {
  const { width, height, data } = img;
  const step = Math.max(1, Math.floor(Math.sqrt((width * height) / 250_000)));
  const capacity = Math.ceil(width / step) * Math.ceil(height / step);
  // One pass over the samples: the chroma and prior weight of each screen-like one, tagged green or blue.
  const c0s = new Float32Array(capacity);
  const c1s = new Float32Array(capacity);
  const tags = new Uint8Array(capacity);
  let sampled = 0;
  const counts = { green: 0, blue: 0 };
  for (let y = step >> 1; y < height; y += step) {
    for (let x = step >> 1; x < width; x += step) {
      const o = 4 * (y * width + x);
      const r = data[o]!;
      const g = data[o + 1]!;
      const b = data[o + 2]!;
      const j = sampled++;
      if (g >= MIN_LEVEL && g - (r > b ? r : b) > CANDIDATE_EXCESS * g) {
        c0s[j] = r / g;
        c1s[j] = b / g;
        tags[j] = GREEN | (isBorder(x, y, width, height) ? BORDER : 0);
        counts.green++;
      } else if (b >= MIN_LEVEL && b - (r > g ? r : g) > CANDIDATE_EXCESS * b) {
        c0s[j] = r / b;
        c1s[j] = g / b;
        tags[j] = BLUE | (isBorder(x, y, width, height) ? BORDER : 0);
        counts.blue++;
      }
    }
  }
  const chosen = colour === "auto" ? (counts.green >= counts.blue ? "green" : "blue") : colour;
  const coverage = counts[chosen] / Math.max(1, sampled);
  if (coverage < minFraction) return null;

  const key = chosen === "green" ? 1 : 2;
  const others: [number, number] = chosen === "green" ? [0, 2] : [0, 1];
  const want = chosen === "green" ? GREEN : BLUE;
  // The screen is the largest cluster of screen-like chroma (weighted towards the photo's top and
  // sides), not their overall median: a big green shirt would drag that towards its own colour and
  // leave the real screen half keyed.
  const mode = new Uint32Array(MODE_BINS * MODE_BINS);
  const bin = (v: number): number => Math.min(MODE_BINS - 1, Math.floor(v * MODE_BINS));
  for (let j = 0; j < sampled; j++) {
    const t = tags[j]!;
    if (t & want) mode[bin(c0s[j]!) * MODE_BINS + bin(c1s[j]!)]! += t & BORDER ? BORDER_WEIGHT : 1;
  }
  const [m0, m1] = peak(mode);
  const hist0 = new Uint32Array(BINS);
  const hist1 = new Uint32Array(BINS);
  let total = 0;
  for (let j = 0; j < sampled; j++) {
    if (!(tags[j]! & want)) continue;
    const c0 = c0s[j]!;
    const c1 = c1s[j]!;
    if (Math.abs(c0 - m0) > SCREEN_SPREAD || Math.abs(c1 - m1) > SCREEN_SPREAD) continue;
    hist0[Math.min(BINS - 1, Math.floor(c0 * BINS))]!++;
    hist1[Math.min(BINS - 1, Math.floor(c1 * BINS))]!++;
    total++;
  }
  const ratios: [number, number] = [median(hist0, total), median(hist1, total)];
  let other = 0;
  for (let j = 0; j < sampled; j++) {
    if (!(tags[j]! & want)) continue;
    if (Math.abs(c0s[j]! - ratios[0]) > SCREEN_SPREAD || Math.abs(c1s[j]! - ratios[1]) > SCREEN_SPREAD) other++;
  }
  return { key, others, ratios, coverage, screenLike: other / Math.max(1, sampled) };
}

/** Centre (in ratio units) of the fullest 3x3 neighbourhood of the chroma histogram. */
function peak(hist: Uint32Array): [number, number] {
  let best = -1;
  let at = 0;
  for (let i = 0; i < MODE_BINS; i++) {
    for (let j = 0; j < MODE_BINS; j++) {
      let sum = 0;
      for (let di = -1; di <= 1; di++) {
        for (let dj = -1; dj <= 1; dj++) {
          const a = i + di;
          const b = j + dj;
          if (a >= 0 && a < MODE_BINS && b >= 0 && b < MODE_BINS) sum += hist[a * MODE_BINS + b]!;
        }
      }
      if (sum > best) {
        best = sum;
        at = i * MODE_BINS + j;
      }
    }
  }
  return [(Math.floor(at / MODE_BINS) + 0.5) / MODE_BINS, ((at % MODE_BINS) + 0.5) / MODE_BINS];
}

/**
 * Whether a sample weighs more in the search for the screen's colour: the top of the photo and the upper
 * sides show the screen around the guest's head, while clothes fill the middle and the bottom. So a shirt
 * larger than the visible screen still does not win.
 */
function isBorder(x: number, y: number, width: number, height: number): boolean {
  return y < BORDER_BAND * height || (y < 0.5 * height && (x < BORDER_BAND * width || x >= (1 - BORDER_BAND) * width));
}

/** Sample tags: screen-like in green or blue, and in the border band. */
const GREEN = 1;
const BLUE = 2;
const BORDER = 4;

function median(hist: Uint32Array, total: number): number {
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen * 2 >= total) return (i + 0.5) / hist.length;
  }
  return 0.5;
}

/**
 * Whether the pixel at byte offset `o` has the screen's chroma: each other channel's ratio to the screen's
 * channel within `tolerance` of the screen's own, with that channel at least `minLevel` (below it the ratios
 * are mostly noise). Pure: the plate and the screen's extent both find bare screen with it.
 */
export function hasScreenChroma(
  data: Uint8ClampedArray,
  o: number,
  screen: Screen,
  tolerance: number,
  minLevel: number,
): boolean {
  const k = data[o + screen.key]!;
  if (k < minLevel) return false;
  const inv = 1 / k;
  return (
    Math.abs(data[o + screen.others[0]]! * inv - screen.ratios[0]) <= tolerance &&
    Math.abs(data[o + screen.others[1]]! * inv - screen.ratios[1]) <= tolerance
  );
}
