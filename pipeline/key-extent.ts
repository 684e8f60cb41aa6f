import { hasScreenChroma, type Screen } from "./key-screen";
import { createRgba, type Rgba } from "./rgba";

/**
 * Where the screen is in the photo: a rectangle from x0 to x1 (exclusive) and from y0 down to the
 * photo's bottom edge, which is never cut (guests run off it). Outside it is the room: a wall, the
 * ceiling, the screen's frame or stand, all of which the keyer makes transparent.
 */
export interface ScreenExtent {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
}

/** Grid cells along the photo's long side for finding the screen's edges. */
const EXTENT_CELLS = 96;
/** A cell is screen when this share of its pixels is bare screen. */
const SCREEN_CELL_SHARE = 0.5;
/**
 * A side is cut only when this share of the rows (columns, for the top) that see the screen at all
 * see its edge at the same place: the room's boundary is straight, a guest's outline is not, so a guest
 * filling the side of the photo is never mistaken for a wall.
 */
const STRAIGHT_SHARE = 0.3;
/** Quantile of the per-row first screen cell taken as the edge: the guest only ever hides the screen. */
const EDGE_QUANTILE = 0.1;

/**
 * Finds the screen's extent from where bare screen shows (pure). A side of the photo where the screen
 * reaches the border is not cut; nor is the bottom.
 */
export function findScreenExtent(img: Rgba, screen: Screen, tolerance: number): ScreenExtent {
  const { width, height } = img;
  const full: ScreenExtent = { x0: 0, x1: width, y0: 0 };
  if (width < 8 || height < 8) return full;
  const cell = Math.max(2, Math.ceil(Math.max(width, height) / EXTENT_CELLS));
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  const isScreen = screenCells(img, screen, tolerance, cell, cols, rows);

  const left: number[] = [];
  const right: number[] = [];
  const top: number[] = [];
  for (let r = 0; r < rows; r++) {
    let first = -1;
    let last = -1;
    for (let c = 0; c < cols; c++) {
      if (!isScreen[r * cols + c]) continue;
      if (first < 0) first = c;
      last = c;
    }
    if (first >= 0) {
      left.push(first);
      right.push(last);
    }
  }
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      if (isScreen[r * cols + c]) {
        top.push(r);
        break;
      }
    }
  }
  if (left.length === 0) return full;
  const c0 = straightEdge(left, "low");
  const c1 = straightEdge(right, "high");
  const r0 = straightEdge(top, "low");
  const bare = bareTest(img, screen, tolerance);
  return {
    x0: c0 > 0 ? refineEdge(bare, width, height, c0 * cell - cell, c0 * cell + cell, "x", 1) : 0,
    x1:
      c1 !== undefined && c1 < cols - 1
        ? refineEdge(bare, width, height, (c1 + 2) * cell, (c1 - 1) * cell, "x", -1)
        : width,
    y0: r0 > 0 ? refineEdge(bare, width, height, r0 * cell - cell, r0 * cell + cell, "y", 1) : 0,
  };
}

/** Cells (row-major) where at least SCREEN_CELL_SHARE of the pixels are bare screen. */
function screenCells(
  img: Rgba,
  screen: Screen,
  tolerance: number,
  cell: number,
  cols: number,
  rows: number,
): Uint8Array {
  const { width, height } = img;
  const counts = new Uint32Array(cols * rows);
  const totals = new Uint32Array(cols * rows);
  const bare = bareTest(img, screen, tolerance);
  const step = Math.max(1, cell >> 2);
  for (let y = 0; y < height; y += step) {
    const rowCell = Math.floor(y / cell) * cols;
    for (let x = 0; x < width; x += step) {
      const c = rowCell + Math.floor(x / cell);
      totals[c]!++;
      if (bare(y * width + x)) counts[c]!++;
    }
  }
  const out = new Uint8Array(cols * rows);
  for (let c = 0; c < out.length; c++) out[c] = counts[c]! > 0 && counts[c]! >= SCREEN_CELL_SHARE * totals[c]! ? 1 : 0;
  return out;
}

/** Least screen-channel level at which a pixel's chroma is read for the extent (dimmer than the plate's). */
const MIN_LEVEL = 16;

/** Whether a pixel (by index) is bare screen: the plate's chroma test, down to MIN_LEVEL. */
function bareTest(img: Rgba, screen: Screen, tolerance: number): (i: number) => boolean {
  const { data } = img;
  return (i) => hasScreenChroma(data, 4 * i, screen, tolerance, MIN_LEVEL);
}

/**
 * The edge (in cells) that a straight boundary explains: the low (or high) quantile of the first screen
 * cells, accepted only if enough lines see the screen start right there. Returns 0 (or undefined for
 * "high") when the side is not cut.
 */
function straightEdge(firsts: number[], side: "low"): number;
function straightEdge(firsts: number[], side: "high"): number | undefined;
function straightEdge(firsts: number[], side: "low" | "high"): number | undefined {
  const sorted = [...firsts].sort((a, b) => a - b);
  const q = side === "low" ? EDGE_QUANTILE : 1 - EDGE_QUANTILE;
  const edge = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const near = firsts.filter((f) => Math.abs(f - edge) <= 1).length;
  if (near < STRAIGHT_SHARE * firsts.length) return side === "low" ? 0 : undefined;
  return edge;
}

/**
 * The first pixel line (column for "x", row for "y") between `from` and `to`, stepping by `dir`, where
 * most of the line's pixels are bare screen, measured over the part of the photo that shows it.
 */
function refineEdge(
  bare: (i: number) => boolean,
  width: number,
  height: number,
  from: number,
  to: number,
  axis: "x" | "y",
  dir: 1 | -1,
): number {
  const limit = axis === "x" ? width : height;
  const a = Math.max(0, Math.min(limit - 1, from));
  const b = Math.max(0, Math.min(limit - 1, to));
  // The lines' screen shares, then the first line past half of the best share.
  const shares: number[] = [];
  let best = 0;
  for (let v = a; dir > 0 ? v <= b : v >= b; v += dir) {
    let n = 0;
    let hit = 0;
    const span = axis === "x" ? height : width;
    for (let u = 0; u < span; u += 2) {
      const i = axis === "x" ? u * width + v : v * width + u;
      n++;
      if (bare(i)) hit++;
    }
    const s = hit / Math.max(1, n);
    shares.push(s);
    if (s > best) best = s;
  }
  for (let k = 0; k < shares.length; k++) {
    if (shares[k]! >= 0.5 * best) {
      const v = a + dir * k;
      return dir > 0 ? v : v + 1;
    }
  }
  return dir > 0 ? b : b + 1;
}

/**
 * The keyed photo cut to the screen's extent (pure): what lay beyond the screen is gone, so a guest
 * whose arm crossed onto the wall now touches the picture's side, and the souvenir treats it as an arm
 * running off the photo's edge.
 */
export function cropToExtent(img: Rgba, extent: ScreenExtent): Rgba {
  const { x0, x1, y0 } = extent;
  if (x0 <= 0 && x1 >= img.width && y0 <= 0) return img;
  const out = createRgba(x1 - x0, img.height - y0);
  const rowBytes = 4 * out.width;
  for (let y = 0; y < out.height; y++) {
    const from = 4 * ((y0 + y) * img.width + x0);
    out.data.set(img.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return out;
}
