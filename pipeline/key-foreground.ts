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
  for (const plane of planes) {
    for (let pass = 0; pass < 3; pass++) {
      boxLine(plane, tmp, cols, rows, 1, cols, radius);
      boxLine(tmp, plane, rows, cols, cols, 1, radius);
    }
  }
  for (let c = 0; c < cols * rows; c++) {
    const w = weight[c]!;
    for (let k = 0; k < 3; k++) rgb[3 * c + k] = w > 0 ? planes[k + 2]![c]! / w : 0;
    weight[c] = w / area;
    solid[c] = solid[c]! / area;
  }
}

/** One box pass along lines of `length` samples `step` apart; `lines` lines `lineStep` apart. */
function boxLine(
  src: Float32Array,
  dst: Float32Array,
  length: number,
  lines: number,
  step: number,
  lineStep: number,
  r: number,
): void {
  const norm = 1 / (2 * r + 1);
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[base + clampIndex(k, length) * step]!;
    for (let i = 0; i < length; i++) {
      dst[base + i * step] = sum * norm;
      sum += src[base + clampIndex(i + r + 1, length) * step]! - src[base + clampIndex(i - r, length) * step]!;
    }
  }
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** The local share of opaque pixels around pixel (x, y), nearest cell. */
export function solidShare(map: ForegroundMap, x: number, y: number): number {
  return map.solid[Math.floor(y / map.cell) * map.cols + Math.floor(x / map.cell)]!;
}

/**
 * The subject's colour near pixel (x, y) into out[0..2] (nearest cell: the map is already smooth);
 * returns the share of subject-colour evidence there, 0 when there is none.
 */
export function sampleForeground(map: ForegroundMap, x: number, y: number, out: Float32Array): number {
  const c = Math.floor(y / map.cell) * map.cols + Math.floor(x / map.cell);
  const w = map.weight[c]!;
  if (w <= 0) return 0;
  out[0] = map.rgb[3 * c]!;
  out[1] = map.rgb[3 * c + 1]!;
  out[2] = map.rgb[3 * c + 2]!;
  return w;
}
