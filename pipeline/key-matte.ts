/** Below this key strength (screen channel over the others, 0-255) the plate is no screen at all. */
export const MIN_PLATE_KEY = 12;
/** Raw alpha given where the plate shows no screen: beyond any refinement. */
export const NO_SCREEN_RAW = 8;

/**
 * A pixel darker than the plate but of exactly its chroma (ratios of the other channels to the screen's,
 * within this) is screen in a crease or a hard shadow, not a dark strand: any foreground mixed in
 * shifts the chroma. Up to twice it, the raw alpha is faded in. (Applied by the clean-up pass, away from the
 * guest's solid parts, where dark strands of the same chroma live.)
 */
const SHADE_CHROMA = 0.05;
/** Levels (0-255) of a channel's deviation put down to noise and JPEG in the crease test. */
const SHADE_NOISE = 2;

/**
 * Raw alpha of the pixel at byte offset p against the plate colour at bg[q..q+2] (pure): the pixel's
 * colour difference (screen channel minus the larger other channel) relative to the plate's, as
 * 1 - ratio. 0 is bare screen, 1 the subject, and values past 1 are colours further from the screen than
 * anything opaque needs to be; in between is fractional, or spill. Small enough to be inlined in pass 1.
 */
export function rawAlphaAt(
  data: Uint8ClampedArray,
  p: number,
  bg: Float32Array,
  q: number,
  key: number,
  i0: number,
  i1: number,
): number {
  const b0 = bg[q + i0]!;
  const b1 = bg[q + i1]!;
  const plateKey = bg[q + key]! - (b0 > b1 ? b0 : b1);
  if (!(plateKey > MIN_PLATE_KEY)) return NO_SCREEN_RAW;
  const c0 = data[p + i0]!;
  const c1 = data[p + i1]!;
  return 1 - (data[p + key]! - (c0 > c1 ? c0 : c1)) / plateKey;
}

/**
 * How much (0..1) of a fractional pixel's raw alpha survives if it is screen in a crease, a hard shadow or
 * a washed-out hot spot: 0 when it is the plate scaled darker with exactly its chroma, or the plate less
 * saturated under added neutral light (brighter, the same hue); 1 when its chroma differs from either by
 * twice SHADE_CHROMA or more. Pure.
 */
export function creaseShade(
  data: Uint8ClampedArray,
  p: number,
  bg: Float32Array,
  q: number,
  key: number,
  i0: number,
  i1: number,
  zone: number,
): number {
  const ck = data[p + key]!;
  const bk = bg[q + key]!;
  if (!(ck > 0)) return 1;
  let d0: number;
  let d1: number;
  if (ck < bk) {
    if (!(zone & 1)) return 1;
    // Each other channel against the plate's scaled to the pixel's brightness, less the noise a dark
    // channel carries (JPEG smears chroma over thin folds), relative to the screen channel.
    const scale = ck / bk;
    d0 = data[p + i0]! - bg[q + i0]! * scale;
    d1 = data[p + i1]! - bg[q + i1]! * scale;
  } else {
    if (!(zone & 2)) return 1;
    // A hot spot: the plate's differences (screen channel over each other one) shrunk by one factor, as
    // added neutral light shrinks them; a light strand or fringe of another hue shrinks them unequally.
    const c0 = data[p + i0]!;
    const c1 = data[p + i1]!;
    const f0 = bk - bg[q + i0]!;
    const f1 = bk - bg[q + i1]!;
    const e0 = ck - c0;
    const e1 = ck - c1;
    const m = (e0 + e1) / (f0 + f1);
    if (!(m > 0 && m < 1) || c0 < bg[q + i0]! || c1 < bg[q + i1]!) return 1;
    d0 = e0 - m * f0;
    d1 = e1 - m * f1;
  }
  d0 = (d0 < 0 ? -d0 : d0) - SHADE_NOISE;
  d1 = (d1 < 0 ? -d1 : d1) - SHADE_NOISE;
  const d = (d0 > d1 ? d0 : d1) / ck;
  return d >= 2 * SHADE_CHROMA ? 1 : d <= SHADE_CHROMA ? 0 : (d - SHADE_CHROMA) / SHADE_CHROMA;
}
