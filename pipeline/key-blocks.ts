import { rawAlphaAt } from "./key-matte";
import { plateRow, plateSampler, type Plate } from "./key-plate";
import type { Screen } from "./key-screen";
import type { Rgba } from "./rgba";

/**
 * The raw matte summarised over a coarse grid of blocks, gathered while it is computed: the passes that
 * reason about regions (spill-lit cores, creases away from the guest) read these instead of the pixels.
 */
export interface BlockStats {
  /** Block edge in pixels. */
  readonly size: number;
  readonly cols: number;
  readonly rows: number;
  /** Per block: pixels counted in it, then those that are bare screen, fractional, or opaque (by clipBlack / clipWhite). */
  readonly total: Uint32Array;
  readonly bare: Uint32Array;
  readonly part: Uint32Array;
  readonly solid: Uint32Array;
  /** Sum of the fractional pixels' raw alpha. */
  readonly partSum: Float32Array;
  /** Block column of each pixel column. */
  readonly column: Int32Array;
}

// Local binding of the per-sample helper (see key-pass1.ts: a loader's getter would block inlining).
const rawAt = rawAlphaAt;

/** Block edge as a share of the photo's long side: 8 px at the working size. */
const BLOCK_SHARE = 1 / 256;

/**
 * Counts, per block, the pixels of the raw matte that are bare screen (below clipBlack), fractional, or
 * opaque (clipWhite and above), on a sparse grid: shares need no more, and the matte itself is made later,
 * row by row, in pass 1. Pure.
 */
export function blockStats(img: Rgba, screen: Screen, plate: Plate, clipBlack: number, clipWhite: number): BlockStats {
  const { width, height } = img;
  const size = Math.max(2, Math.round(Math.max(width, height) * BLOCK_SHARE));
  const cols = Math.ceil(width / size);
  const rows = Math.ceil(height / size);
  const n = cols * rows;
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) column[x] = Math.floor(x / size);
  const stats = {
    size,
    cols,
    rows,
    total: new Uint32Array(n),
    bare: new Uint32Array(n),
    part: new Uint32Array(n),
    solid: new Uint32Array(n),
    partSum: new Float32Array(n),
    column,
  };
  const { total, bare, part, solid, partSum } = stats;
  const sampler = plateSampler(plate, width);
  const line = new Float32Array(plate.cols * 3);
  const bg = new Float32Array(3 * width);
  const { data } = img;
  const { key } = screen;
  const [i0, i1] = screen.others;
  // Eight samples a block at the working size (two rows of four); every pixel of the tiny blocks of small photos.
  const rowStep = Math.max(1, (size >> 2) << 1);
  const colStep = Math.max(1, size >> 2);
  for (let y = 0; y < height; y += rowStep) {
    // The whole row's plate: cheaper than interpolating at each sample, even every other pixel.
    plateRow(plate, sampler, y, line, bg);
    const rowBlock = Math.floor(y / size) * cols;
    for (let x = 0; x < width; x += colStep) {
      const b = rowBlock + column[x]!;
      const r = rawAt(data, 4 * (y * width + x), bg, 3 * x, key, i0, i1);
      total[b]!++;
      if (r < clipBlack) bare[b]!++;
      else if (r < clipWhite) {
        part[b]!++;
        partSum[b]! += r;
      } else solid[b]!++;
    }
  }
  return stats;
}

/** Chamfer distance (in blocks, 8-connected) from every block to the nearest marked one. */
export function blockDistance(marked: Uint8Array, cols: number, rows: number): Uint16Array {
  const far = 0xffff;
  const d = new Uint16Array(cols * rows);
  for (let b = 0; b < d.length; b++) d[b] = marked[b] ? 0 : far;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const b = y * cols + x;
      let v = d[b]!;
      if (x > 0) v = Math.min(v, d[b - 1]! + 1);
      if (y > 0) {
        v = Math.min(v, d[b - cols]! + 1);
        if (x > 0) v = Math.min(v, d[b - cols - 1]! + 1);
        if (x < cols - 1) v = Math.min(v, d[b - cols + 1]! + 1);
      }
      d[b] = v;
    }
  }
  for (let y = rows - 1; y >= 0; y--) {
    for (let x = cols - 1; x >= 0; x--) {
      const b = y * cols + x;
      let v = d[b]!;
      if (x < cols - 1) v = Math.min(v, d[b + 1]! + 1);
      if (y < rows - 1) {
        v = Math.min(v, d[b + cols]! + 1);
        if (x < cols - 1) v = Math.min(v, d[b + cols + 1]! + 1);
        if (x > 0) v = Math.min(v, d[b + cols - 1]! + 1);
      }
      d[b] = v;
    }
  }
  return d;
}

/** The k-th (0..3: left, right, up, down) 4-neighbour of block b at column x, or -1 off the grid. */
export function neighbour(b: number, x: number, k: number, cols: number, n: number): number {
  const d = k === 0 ? (x > 0 ? b - 1 : -1) : k === 1 ? (x < cols - 1 ? b + 1 : -1) : k === 2 ? b - cols : b + cols;
  return d >= 0 && d < n ? d : -1;
}
