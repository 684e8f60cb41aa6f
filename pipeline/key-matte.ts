import type { Screen } from "./key-screen";
import { plateRow, plateSampler, type Plate } from "./key-plate";
import type { Rgba } from "./rgba";

/** Below this key strength (screen channel over the others, 0-255) the plate is no screen at all. */
export const MIN_PLATE_KEY = 12;
/** Raw alpha given where the plate shows no screen: beyond any refinement. */
export const NO_SCREEN_RAW = 8;

/**
 * The raw matte (pure): each pixel's colour difference (screen channel minus the larger other channel)
 * relative to the local plate's, as 1 - ratio. 0 is bare screen, 1 the subject, and values past 1 are
 * colours further from the screen than anything opaque needs to be; in between is fractional, or spill.
 */
export function rawMatte(img: Rgba, screen: Screen, plate: Plate): Float32Array {
  const { width, height, data } = img;
  const raw = new Float32Array(width * height);
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
      raw[i] = plateKey > MIN_PLATE_KEY ? 1 - (data[p + key]! - (c0 > c1 ? c0 : c1)) / plateKey : NO_SCREEN_RAW;
    }
  }
  return raw;
}
