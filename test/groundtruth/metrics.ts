import type { Rgba } from "../../pipeline/rgba";

/** The three keying figures (README: "Keying quality"): alpha error, composite RMSE and edge RMSE. */
export interface KeyScore {
  /** Mean |alpha_out - alpha_true|, percentage points. */
  alphaError: number;
  /** RMSE (0-255) of the new composite against the true composite, over the whole image. */
  compositeRmse: number;
  /** The same RMSE over edge pixels: 0 < alpha_true < 1, or within 2 px of the alpha = 0.5 boundary. */
  edgeRmse: number;
}

/** The fixed warm background keyed results are judged over: a smooth orange-to-brown gradient. */
export function warmBackground(x: number, y: number, width: number, height: number, out: Float32Array): void {
  const u = x / Math.max(1, width - 1);
  const v = y / Math.max(1, height - 1);
  const t = 0.6 * v + 0.4 * u;
  const glow = 0.15 * Math.sin(u * Math.PI) * Math.sin(v * Math.PI);
  out[0] = 218 - 96 * t + 30 * glow;
  out[1] = 134 - 70 * t + 20 * glow;
  out[2] = 64 - 34 * t + 10 * glow;
}

/** Pixels where the matte is fractional or the hard boundary is near (2 px, Chebyshev). */
export function edgeMask(alphaTrue: Float32Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const boundary = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = alphaTrue[i]! >= 0.5;
      if (
        (x + 1 < width && alphaTrue[i + 1]! >= 0.5 !== inside) ||
        (y + 1 < height && alphaTrue[i + width]! >= 0.5 !== inside)
      ) {
        boundary[i] = 1;
        if (x + 1 < width) boundary[i + 1] = 1;
        if (y + 1 < height) boundary[i + width] = 1;
      }
    }
  }
  const mask = new Uint8Array(n);
  const R = 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const a = alphaTrue[i]!;
      if (a > 1 / 512 && a < 1 - 1 / 512) {
        mask[i] = 1;
        continue;
      }
      search: for (let dy = -R; dy <= R; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -R; dx <= R; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width && boundary[yy * width + xx]) {
            mask[i] = 1;
            break search;
          }
        }
      }
    }
  }
  return mask;
}

/** Scores a keyed straight-alpha image against the truth it was made from. */
export function scoreKey(keyed: Rgba, alphaTrue: Float32Array, fgTrue: Rgba): KeyScore {
  const { width, height } = keyed;
  if (fgTrue.width !== width || fgTrue.height !== height || alphaTrue.length !== width * height) {
    throw new Error(`scoreKey: size mismatch ${width}x${height} vs ${fgTrue.width}x${fgTrue.height}`);
  }
  const edges = edgeMask(alphaTrue, width, height);
  const bg = new Float32Array(3);
  let alphaSum = 0;
  let sq = 0;
  let edgeSq = 0;
  let edgeCount = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const o = 4 * i;
      warmBackground(x, y, width, height, bg);
      const at = alphaTrue[i]!;
      const ak = keyed.data[o + 3]! / 255;
      alphaSum += Math.abs(ak - at);
      let e = 0;
      for (let k = 0; k < 3; k++) {
        const want = at * fgTrue.data[o + k]! + (1 - at) * bg[k]!;
        const got = ak * keyed.data[o + k]! + (1 - ak) * bg[k]!;
        e += (got - want) * (got - want);
      }
      sq += e;
      if (edges[i]) {
        edgeSq += e;
        edgeCount++;
      }
    }
  }
  const n = width * height;
  return {
    alphaError: (100 * alphaSum) / n,
    compositeRmse: Math.sqrt(sq / (3 * n)),
    edgeRmse: edgeCount > 0 ? Math.sqrt(edgeSq / (3 * edgeCount)) : 0,
  };
}

export function meanScore(scores: readonly KeyScore[]): KeyScore {
  const m = (f: (s: KeyScore) => number): number =>
    scores.reduce((acc, s) => acc + f(s), 0) / Math.max(1, scores.length);
  return {
    alphaError: m((s) => s.alphaError),
    compositeRmse: m((s) => s.compositeRmse),
    edgeRmse: m((s) => s.edgeRmse),
  };
}

/** Composites a straight-alpha image over the warm background (for looking at results). */
export function overWarm(img: Rgba): Rgba {
  const { width, height } = img;
  const data = new Uint8ClampedArray(img.data.length);
  const bg = new Float32Array(3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 4 * (y * width + x);
      warmBackground(x, y, width, height, bg);
      const a = img.data[o + 3]! / 255;
      for (let k = 0; k < 3; k++) data[o + k] = a * img.data[o + k]! + (1 - a) * bg[k]!;
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}
