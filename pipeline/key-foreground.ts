/**
 * A coarse map of the subject's own colour, spread outwards from its opaque pixels: the colour a
 * semi-transparent edge pixel (hair, motion blur) most likely has, so its alpha can be solved
 * against both the screen and the foreground instead of assuming a neutral foreground.
 */
export interface ForegroundMap {
  readonly cols: number;
  readonly rows: number;
  readonly cell: number;
  /** Accumulated weight, then after `spread` the local share of opaque pixels (0..1). */
  readonly weight: Float32Array;
  /** Premultiplied sums, then after `spread` the mean colour (r, g, b interleaved). */
  readonly rgb: Float32Array;
  /** Count of all opaque pixels, then after `spread` their local share (0..1). */
  readonly solid: Float32Array;
}

export function createForegroundMap(width: number, height: number, cell: number): ForegroundMap {
  const cols = Math.ceil(width / cell);
  const rows = Math.ceil(height / cell);
  return {
    cols,
    rows,
    cell,
    weight: new Float32Array(cols * rows),
    rgb: new Float32Array(cols * rows * 3),
    solid: new Float32Array(cols * rows),
  };
}

/** Blurs the sums over `radius` cells (three box passes) and normalises them to mean colours. */
export function spread(map: ForegroundMap, radius: number): void {
  const { cols, rows, cell, weight, rgb, solid } = map;
  const area = cell * cell;
  const planes = [
    weight,
    solid,
    new Float32Array(cols * rows),
    new Float32Array(cols * rows),
    new Float32Array(cols * rows),
  ];
  for (let c = 0; c < cols * rows; c++) {
    for (let k = 0; k < 3; k++) planes[k + 2]![c] = rgb[3 * c + k]!;
  }
  const tmp = new Float32Array(cols * rows);
  const sums = new Float64Array(cols);
  for (const plane of planes) {
    for (let pass = 0; pass < 3; pass++) {
      boxRows(plane, tmp, cols, rows, radius);
      boxColumns(tmp, plane, cols, rows, radius, sums);
    }
  }
  for (let c = 0; c < cols * rows; c++) {
    const w = weight[c]!;
    for (let k = 0; k < 3; k++) rgb[3 * c + k] = w > 0 ? planes[k + 2]![c]! / w : 0;
    weight[c] = w / area;
    solid[c] = solid[c]! / area;
  }
}

/** One box pass of radius r along each row: a running sum, the border sample repeated beyond the ends. */
function boxRows(src: Float32Array, dst: Float32Array, cols: number, rows: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < rows; y++) {
    const base = y * cols;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[base + clampIndex(k, cols)]!;
    // Clamped at either end only: the middle of the row needs no index clamping.
    const inner = Math.min(cols, Math.max(r, cols - r - 1));
    let x = 0;
    for (; x < r && x < cols; x++) {
      dst[base + x] = sum * norm;
      sum += src[base + clampIndex(x + r + 1, cols)]! - src[base + clampIndex(x - r, cols)]!;
    }
    for (; x < inner; x++) {
      dst[base + x] = sum * norm;
      sum += src[base + x + r + 1]! - src[base + x - r]!;
    }
    for (; x < cols; x++) {
      dst[base + x] = sum * norm;
      sum += src[base + clampIndex(x + r + 1, cols)]! - src[base + clampIndex(x - r, cols)]!;
    }
  }
}

/**
 * The same pass down each column, all columns at once (a running sum per column in `sums`) so memory is read
 * row by row; each column's sum takes the same steps in the same order as a pass down it alone would.
 */
function boxColumns(
  src: Float32Array,
  dst: Float32Array,
  cols: number,
  rows: number,
  r: number,
  sums: Float64Array,
): void {
  const norm = 1 / (2 * r + 1);
  sums.fill(0);
  for (let k = -r; k <= r; k++) {
    const row = clampIndex(k, rows) * cols;
    for (let x = 0; x < cols; x++) sums[x]! += src[row + x]!;
  }
  for (let y = 0; y < rows; y++) {
    const out = y * cols;
    const add = clampIndex(y + r + 1, rows) * cols;
    const drop = clampIndex(y - r, rows) * cols;
    for (let x = 0; x < cols; x++) {
      const sum = sums[x]!;
      dst[out + x] = sum * norm;
      sums[x] = sum + (src[add + x]! - src[drop + x]!);
    }
  }
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** Cell of the map along each pixel column: pixel (x, y) lies in cell `row(y) + column[x]`, its nearest. */
export function cellColumns(map: ForegroundMap, width: number): Int32Array {
  const column = new Int32Array(width);
  for (let x = 0; x < width; x++) column[x] = Math.floor(x / map.cell);
  return column;
}

/** First cell of the map's row holding pixel row y. */
export function cellRow(map: ForegroundMap, y: number): number {
  return Math.floor(y / map.cell) * map.cols;
}

/** The local share of opaque pixels in a cell. */
export function solidShare(map: ForegroundMap, cell: number): number {
  return map.solid[cell]!;
}

/**
 * The subject's colour in a cell into out[0..2] (the map is already smooth); returns the share of
 * subject-colour evidence there, 0 when there is none.
 */
export function sampleForeground(map: ForegroundMap, cell: number, out: Float32Array): number {
  const w = map.weight[cell]!;
  if (w <= 0) return 0;
  out[0] = map.rgb[3 * cell]!;
  out[1] = map.rgb[3 * cell + 1]!;
  out[2] = map.rgb[3 * cell + 2]!;
  return w;
}

/**
 * Push-pull fill: every cell gets the colour of the nearest subject-colour evidence, however far
 * (a strand that leaves the hair by a hand's width still takes the hair's colour). Pyramid of
 * 2x2 sums of confidence-weighted colour, then pulled back down where a cell's confidence is short.
 */
export function fillForeground(map: ForegroundMap, full: number): Float32Array {
  let cols = map.cols;
  let rows = map.rows;
  // Level 0: premultiplied colour and confidence (weight over `full`, capped at 1).
  let w = new Float32Array(cols * rows);
  let c = new Float32Array(cols * rows * 3);
  for (let i = 0; i < cols * rows; i++) {
    const v = map.weight[i]! / full;
    const k = v > 1 ? 1 : v;
    w[i] = k;
    c[3 * i] = k * map.rgb[3 * i]!;
    c[3 * i + 1] = k * map.rgb[3 * i + 1]!;
    c[3 * i + 2] = k * map.rgb[3 * i + 2]!;
  }
  const levels: { w: Float32Array; c: Float32Array; cols: number; rows: number }[] = [{ w, c, cols, rows }];
  while (cols > 1 || rows > 1) {
    const nc = (cols + 1) >> 1;
    const nr = (rows + 1) >> 1;
    const nw = new Float32Array(nc * nr);
    const ncol = new Float32Array(nc * nr * 3);
    for (let y = 0; y < rows; y++) {
      const dy = (y >> 1) * nc;
      for (let x = 0; x < cols; x++) {
        const s = y * cols + x;
        const d = dy + (x >> 1);
        nw[d]! += w[s]!;
        ncol[3 * d]! += c[3 * s]!;
        ncol[3 * d + 1]! += c[3 * s + 1]!;
        ncol[3 * d + 2]! += c[3 * s + 2]!;
      }
    }
    // Confidence saturates at 1: one sure cell of four is enough to speak for the coarser cell.
    for (let d = 0; d < nc * nr; d++) {
      const v = nw[d]!;
      if (v > 1) {
        const s = 1 / v;
        nw[d] = 1;
        ncol[3 * d]! *= s;
        ncol[3 * d + 1]! *= s;
        ncol[3 * d + 2]! *= s;
      }
    }
    cols = nc;
    rows = nr;
    w = nw;
    c = ncol;
    levels.push({ w, c, cols, rows });
  }
  for (let l = levels.length - 2; l >= 0; l--) {
    const fine = levels[l]!;
    const coarse = levels[l + 1]!;
    for (let y = 0; y < fine.rows; y++) {
      const cy = (y >> 1) * coarse.cols;
      for (let x = 0; x < fine.cols; x++) {
        const s = y * fine.cols + x;
        const missing = 1 - fine.w[s]!;
        if (missing <= 0) continue;
        const d = cy + (x >> 1);
        const cw = coarse.w[d]!;
        fine.w[s]! += missing * cw;
        fine.c[3 * s]! += missing * coarse.c[3 * d]!;
        fine.c[3 * s + 1]! += missing * coarse.c[3 * d + 1]!;
        fine.c[3 * s + 2]! += missing * coarse.c[3 * d + 2]!;
      }
    }
  }
  const top = levels[0]!;
  const out = new Float32Array(top.cols * top.rows * 3);
  for (let i = 0; i < top.cols * top.rows; i++) {
    const v = top.w[i]!;
    if (v <= 0) continue;
    out[3 * i] = top.c[3 * i]! / v;
    out[3 * i + 1] = top.c[3 * i + 1]! / v;
    out[3 * i + 2] = top.c[3 * i + 2]! / v;
  }
  return out;
}

/** The filled subject colour (from `fillForeground`) of a cell into out[0..2]. */
export function sampleFill(fill: Float32Array, cell: number, out: Float32Array): void {
  const c = 3 * cell;
  out[0] = fill[c]!;
  out[1] = fill[c + 1]!;
  out[2] = fill[c + 2]!;
}
