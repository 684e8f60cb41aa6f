/** Window radius (pixels) in which an edge pixel looks for the plate and the subject on either side. */
const EDGE_RADIUS = 3;
/** Alpha (0-255) at or below which a neighbour counts as plate, and at or above 255 minus it as subject. */
const CLEAR = 5;
/** Least luma difference (0-255) between subject and plate for luma to place the edge. */
const MIN_LUMA_CONTRAST = 16;
/** Most luma spread (standard deviation, 0-255) of the plate side; the subject side may have twice it. */
const MAX_LUMA_SPREAD = 6;
/** Edge of the blocks (pixels, at least EDGE_RADIUS) in which both sides of an edge are looked for first. */
const BLOCK_SHIFT = 2;
const BLOCK = 1 << BLOCK_SHIFT;

/**
 * Re-solves the alpha of fractional pixels at a hard edge from luma alone. JPEG keeps luma at full
 * resolution but halves chroma, so the colour difference bleeds a pixel across the edge (a halo
 * outside, a dent inside); where plate and subject differ in brightness, the pixel's luma between
 * theirs (from clear pixels nearby) places it exactly. The colour becomes the nearby subject's.
 * `out` is the keyed straight-alpha RGBA, refined in place; `src` the photo it was keyed from.
 */
export function refineEdges(
  out: Uint8ClampedArray,
  src: Uint8ClampedArray,
  width: number,
  height: number,
  rowHasEdge: Uint8Array,
): void {
  const r = EDGE_RADIUS;
  if (width <= 2 * r || height <= 2 * r) return;
  const near = candidateBlocks(out, width, height, rowHasEdge);
  const bcols = Math.ceil(width / BLOCK);
  // Results are written after the scan, so every window sees the alpha of the key, not of this pass.
  const changed: number[] = [];
  const maxSpread0 = MAX_LUMA_SPREAD * MAX_LUMA_SPREAD;
  const maxSpread1 = 4 * maxSpread0;
  for (let y = r; y < height - r; y++) {
    if (!rowHasEdge[y]) continue;
    const brow = (y >> BLOCK_SHIFT) * bcols;
    for (let x = r; x < width - r; x++) {
      if (!near[brow + (x >> BLOCK_SHIFT)]) {
        x |= BLOCK - 1;
        continue;
      }
      const i = y * width + x;
      const a = out[4 * i + 3]!;
      if (a <= CLEAR || a >= 255 - CLEAR) continue;
      let n0 = 0;
      let s0 = 0;
      let q0 = 0;
      let n1 = 0;
      let s1 = 0;
      let q1 = 0;
      let fr = 0;
      let fg = 0;
      let fb = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = i + dy * width;
        for (let j = row - r; j <= row + r; j++) {
          const q = 4 * j;
          const aj = out[q + 3]!;
          if (aj <= CLEAR) {
            const v = 0.299 * src[q]! + 0.587 * src[q + 1]! + 0.114 * src[q + 2]!;
            n0++;
            s0 += v;
            q0 += v * v;
          } else if (aj >= 255 - CLEAR) {
            const v = 0.299 * src[q]! + 0.587 * src[q + 1]! + 0.114 * src[q + 2]!;
            n1++;
            s1 += v;
            q1 += v * v;
            fr += out[q]!;
            fg += out[q + 1]!;
            fb += out[q + 2]!;
          }
        }
      }
      if (n0 < 2 || n1 < 2) continue;
      const m0 = s0 / n0;
      const m1 = s1 / n1;
      const contrast = m1 - m0;
      if (contrast < MIN_LUMA_CONTRAST && contrast > -MIN_LUMA_CONTRAST) continue;
      if (q0 / n0 - m0 * m0 > maxSpread0 || q1 / n1 - m1 * m1 > maxSpread1) continue;
      const p = 4 * i;
      let u = (0.299 * src[p]! + 0.587 * src[p + 1]! + 0.114 * src[p + 2]! - m0) / contrast;
      u = u < 0 ? 0 : u > 1 ? 1 : u;
      changed.push(p, u * 255 + 0.5, fr / n1, fg / n1, fb / n1);
    }
  }
  for (let k = 0; k < changed.length; k += 5) {
    const p = changed[k]!;
    out[p + 3] = changed[k + 1]!;
    out[p] = changed[k + 2]!;
    out[p + 1] = changed[k + 3]!;
    out[p + 2] = changed[k + 4]!;
  }
}

/**
 * Blocks of BLOCK x BLOCK pixels whose neighbourhood (the block and the eight around it, which
 * covers any window of EDGE_RADIUS) holds both clear plate and clear subject: only there can a
 * window find both sides of an edge. Saves the full window scan on hair, glass and blur.
 */
function candidateBlocks(out: Uint8ClampedArray, width: number, height: number, rowHasEdge: Uint8Array): Uint8Array {
  const bcols = Math.ceil(width / BLOCK);
  const brows = Math.ceil(height / BLOCK);
  const flags = new Uint8Array(bcols * brows);
  for (let y = 0; y < height; y++) {
    if (!nearEdgeRow(rowHasEdge, y, EDGE_RADIUS)) continue;
    const brow = (y >> BLOCK_SHIFT) * bcols;
    // A block's row of pixels is gathered before its flags are touched: one store per block, not per pixel.
    for (let x = 0, p = 4 * y * width + 3, b = brow; x < width; b++) {
      const end = Math.min(width, x + BLOCK);
      let f = 0;
      for (; x < end; x++, p += 4) {
        const a = out[p]!;
        if (a <= CLEAR) f |= 1;
        else if (a >= 255 - CLEAR) f |= 2;
      }
      flags[b] |= f;
    }
  }
  // The 3 x 3 neighbourhood's flags, one axis at a time (OR does not mind the grouping).
  const across = new Uint8Array(bcols * brows);
  for (let by = 0; by < brows; by++) {
    const row = by * bcols;
    for (let bx = 0; bx < bcols; bx++) {
      const b = row + bx;
      across[b] = flags[b]! | (bx > 0 ? flags[b - 1]! : 0) | (bx < bcols - 1 ? flags[b + 1]! : 0);
    }
  }
  const near = new Uint8Array(bcols * brows);
  for (let b = 0; b < near.length; b++) {
    const f = across[b]! | (b >= bcols ? across[b - bcols]! : 0) | (b + bcols < near.length ? across[b + bcols]! : 0);
    near[b] = f === 3 ? 1 : 0;
  }
  return near;
}

function nearEdgeRow(rowHasEdge: Uint8Array, y: number, r: number): boolean {
  for (let k = Math.max(0, y - r); k <= Math.min(rowHasEdge.length - 1, y + r); k++) if (rowHasEdge[k]) return true;
  return false;
}
