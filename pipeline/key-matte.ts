import type { Screen } from "./key-screen";
import { plateRow, plateSampler, type Plate } from "./key-plate";
import type { Rgba } from "./rgba";

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
const SHADE_CHROMA = 0.035;

/**
 * The raw matte (pure): each pixel's colour difference (screen channel minus the larger other channel)
 * relative to the local plate's, as 1 - ratio. 0 is bare screen, 1 the subject, and values past 1 are
 * colours further from the screen than anything opaque needs to be; in between is fractional, or spill.
 */
export interface RawMatte {
  raw: Float32Array;
  /** Per pixel, 0-255: how much of its raw alpha survives if it is screen in a crease or shadow (255: all). */
  shade: Uint8Array;
}

export function rawMatte(img: Rgba, screen: Screen, plate: Plate): RawMatte {
  const { width, height, data } = img;
  const raw = new Float32Array(width * height);
  const shade = new Uint8Array(width * height).fill(255);
  const sampler = plateSampler(plate, width);
  const line = new Float32Array(plate.cols * 3);
  const bg = new Float32Array(width * 3);
  const { key } = screen;
  const [i0, i1] = screen.others;
  for (let y = 0; y < height; y++) {
    plateRow(plate, sampler, y, line, bg);
    for (let x = 0, i = y * width, p = 4 * i, q = 0; x < width; x++, i++, p += 4, q += 3) {
      const b0 = bg[q + i0]!;
      const b1 = bg[q + i1]!;
      const plateKey = bg[q + key]! - (b0 > b1 ? b0 : b1);
      const c0 = data[p + i0]!;
      const c1 = data[p + i1]!;
      if (!(plateKey > MIN_PLATE_KEY)) {
        raw[i] = NO_SCREEN_RAW;
        continue;
      }
      const ck = data[p + key]!;
      const r = 1 - (ck - (c0 > c1 ? c0 : c1)) / plateKey;
      if (r > 0 && r < 1 && ck > 0 && ck < bg[q + key]!) {
        const pk = 1 / bg[q + key]!;
        const inv = 1 / ck;
        const d0 = c0 * inv - b0 * pk;
        const d1 = c1 * inv - b1 * pk;
        const d = (d0 < 0 ? -d0 : d0) > (d1 < 0 ? -d1 : d1) ? (d0 < 0 ? -d0 : d0) : d1 < 0 ? -d1 : d1;
        if (d < 2 * SHADE_CHROMA) shade[i] = d <= SHADE_CHROMA ? 0 : (255 * (d - SHADE_CHROMA)) / SHADE_CHROMA;
      }
      raw[i] = r;
    }
  }
  return { raw, shade };
}
