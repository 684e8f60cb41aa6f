import { hasScreenChroma, type Screen } from "./key-screen";
import type { Rgba } from "./rgba";

/**
 * The clean-plate estimate: the screen's colour behind every pixel, as a coarse grid of cell
 * averages (following gradients, vignetting and the subject's shadow) that is bilinearly upsampled.
 */
export interface Plate {
  readonly cols: number;
  readonly rows: number;
  /** Cell edge in pixels. */
  readonly cell: number;
  /** r, g, b per cell, row-major. */
  readonly rgb: Float32Array;
}

/** A cell needs this share of bare-screen pixels to be trusted; the rest are filled from neighbours. */
const MIN_CELL_SHARE = 0.12;
const MIN_LEVEL = 24;
const RELAX_ITERATIONS = 40;

/** Returns null when no cell shows enough bare screen to trust (a tiny or nearly screen-free photo). */
export function estimatePlate(img: Rgba, screen: Screen, cellsOnLongSide: number, tolerance: number): Plate | null {
  const { width, height, data } = img;
  const cell = Math.max(4, Math.ceil(Math.max(width, height) / cellsOnLongSide));
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const sums = new Float64Array(cols * rows * 3);
  const counts = new Uint32Array(cols * rows);
  const totals = new Uint32Array(cols * rows);
  // Every other pixel each way: a cell still averages hundreds of samples.
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) column[x] = Math.floor(x / cell);
  for (let y = 0; y < height; y += 2) {
    const rowCell = Math.floor(y / cell) * cols;
    for (let x = 0; x < width; x += 2) {
      const c = rowCell + column[x]!;
      totals[c]!++;
      const o = 4 * (y * width + x);
      if (!hasScreenChroma(data, o, screen, tolerance, MIN_LEVEL)) continue;
      counts[c]!++;
      sums[3 * c] += data[o]!;
      sums[3 * c + 1] += data[o + 1]!;
      sums[3 * c + 2] += data[o + 2]!;
    }
  }
  const rgb = new Float32Array(cols * rows * 3);
  const known = new Uint8Array(cols * rows);
  let anyKnown = false;
  for (let c = 0; c < cols * rows; c++) {
    if (counts[c]! < Math.max(3, MIN_CELL_SHARE * totals[c]!)) continue;
    known[c] = 1;
    anyKnown = true;
    for (let k = 0; k < 3; k++) rgb[3 * c + k] = sums[3 * c + k]! / counts[c]!;
  }
  if (!anyKnown) return null;
  fillHoles(rgb, known, cols, rows);
  return { cols, rows, cell, rgb };
}

/**
 * Cells under the subject get the screen colour by growing inwards from known cells, then a
 * relaxation (Laplace) so the filled surface is smooth and meets the known cells without seams.
 */
function fillHoles(rgb: Float32Array, known: Uint8Array, cols: number, rows: number): void {
  const filled = Uint8Array.from(known);
  let pending = true;
  while (pending) {
    pending = false;
    const next = Uint8Array.from(filled);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const c = y * cols + x;
        if (filled[c]) continue;
        let n = 0;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= rows || xx < 0 || xx >= cols) continue;
            const d = yy * cols + xx;
            if (!filled[d]) continue;
            n++;
            r += rgb[3 * d]!;
            g += rgb[3 * d + 1]!;
            b += rgb[3 * d + 2]!;
          }
        }
        if (n === 0) {
          pending = true;
          continue;
        }
        rgb[3 * c] = r / n;
        rgb[3 * c + 1] = g / n;
        rgb[3 * c + 2] = b / n;
        next[c] = 1;
      }
    }
    filled.set(next);
  }
  for (let it = 0; it < RELAX_ITERATIONS; it++) {
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const c = y * cols + x;
        if (known[c]) continue;
        const l = x > 0 ? c - 1 : c;
        const r = x < cols - 1 ? c + 1 : c;
        const u = y > 0 ? c - cols : c;
        const d = y < rows - 1 ? c + cols : c;
        for (let k = 0; k < 3; k++) {
          rgb[3 * c + k] = 0.25 * (rgb[3 * l + k]! + rgb[3 * r + k]! + rgb[3 * u + k]! + rgb[3 * d + k]!);
        }
      }
    }
  }
}

/** Per-column interpolation weights of the plate grid, computed once per image. */
export interface PlateSampler {
  readonly left: Int32Array;
  readonly t: Float32Array;
}

export function plateSampler(plate: Plate, width: number): PlateSampler {
  const left = new Int32Array(width);
  const t = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = Math.min(plate.cols - 1, Math.max(0, (x + 0.5) / plate.cell - 0.5));
    const i = Math.min(plate.cols - 2, Math.floor(gx));
    left[x] = Math.max(0, i);
    t[x] = plate.cols > 1 ? gx - Math.max(0, i) : 0;
  }
  return { left, t };
}

/** Fills `line` with the plate grid interpolated vertically at row y (3 values per grid column). */
export function plateLine(plate: Plate, y: number, line: Float32Array): void {
  const { cols, rows, cell, rgb } = plate;
  const gy = Math.min(rows - 1, Math.max(0, (y + 0.5) / cell - 0.5));
  const top = Math.min(Math.max(0, rows - 2), Math.floor(gy));
  const bottom = Math.min(rows - 1, top + 1);
  const v = gy - top;
  for (let c = 0; c < cols * 3; c++) {
    line[c] = rgb[top * cols * 3 + c]! * (1 - v) + rgb[bottom * cols * 3 + c]! * v;
  }
}

/** Writes the plate at column x of the row in `line` into out[0..2]. */
export function plateAt(plate: Plate, sampler: PlateSampler, line: Float32Array, x: number, out: Float32Array): void {
  const l = 3 * sampler.left[x]!;
  const r = plate.cols === 1 ? l : l + 3;
  const w = sampler.t[x]!;
  out[0] = line[l]! + (line[r]! - line[l]!) * w;
  out[1] = line[l + 1]! + (line[r + 1]! - line[l + 1]!) * w;
  out[2] = line[l + 2]! + (line[r + 2]! - line[l + 2]!) * w;
}

/** Fills `out` (r, g, b interleaved, 3 per pixel) with the plate along row y. */
export function plateRow(plate: Plate, sampler: PlateSampler, y: number, line: Float32Array, out: Float32Array): void {
  plateLine(plate, y, line);
  const { cols } = plate;
  const { left, t } = sampler;
  const width = left.length;
  // plateAt's interpolation, with the two grid values read once for each stretch of columns between them.
  for (let x = 0; x < width;) {
    const l = 3 * left[x]!;
    const r = cols === 1 ? l : l + 3;
    const r0 = line[l]!;
    const g0 = line[l + 1]!;
    const b0 = line[l + 2]!;
    const dr = line[r]! - r0;
    const dg = line[r + 1]! - g0;
    const db = line[r + 2]! - b0;
    const stretch = left[x];
    for (let o = 3 * x; x < width && left[x] === stretch; x++, o += 3) {
      const w = t[x]!;
      out[o] = r0 + dr * w;
      out[o + 1] = g0 + dg * w;
      out[o + 2] = b0 + db * w;
    }
  }
}
