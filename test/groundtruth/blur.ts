/** Separable box blur of a float plane, edges clamped; three passes approximate a Gaussian. */
export function boxBlur(src: Float32Array, width: number, height: number, radius: number, passes = 3): Float32Array {
  let a = Float32Array.from(src);
  let b = new Float32Array(src.length);
  const r = Math.max(0, Math.round(radius));
  if (r === 0) return a;
  for (let p = 0; p < passes; p++) {
    blurRows(a, b, width, height, r);
    blurColumns(b, a, width, height, r);
  }
  return a;
}

/** Horizontal box blur of one plane into another. */
export function blurRows(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[row + clampIndex(k, width)]!;
    for (let x = 0; x < width; x++) {
      dst[row + x] = sum * norm;
      sum += src[row + clampIndex(x + r + 1, width)]! - src[row + clampIndex(x - r, width)]!;
    }
  }
}

function blurColumns(src: Float32Array, dst: Float32Array, width: number, height: number, r: number): void {
  const norm = 1 / (2 * r + 1);
  for (let x = 0; x < width; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[clampIndex(k, height) * width + x]!;
    for (let y = 0; y < height; y++) {
      dst[y * width + x] = sum * norm;
      sum += src[clampIndex(y + r + 1, height) * width + x]! - src[clampIndex(y - r, height) * width + x]!;
    }
  }
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}
