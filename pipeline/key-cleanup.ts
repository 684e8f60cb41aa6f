import { blockDistance, neighbour, type BlockStats } from "./key-blocks";
import type { EdgePixels } from "./key-unmix";

/**
 * Clean-up of the raw matte away from the guest. Narrow creases and hard shadow edges on the screen
 * read as faint foreground, and so do dark strands of hair: both are darker than the plate, and only
 * a strand shifts the pixel's chroma, which the raw matte measured (`shade`). Next to the guest's solid
 * parts, where strands and fringes live, the raw matte is trusted; beyond that, a pixel of the screen's
 * own chroma is screen, however dark.
 */

/** A block is solid when this share of its pixels is opaque. */
const SOLID_SHARE = 0.25;
/** Distance (share of the long side) from solid blocks within which the raw matte is trusted as is. */
const TRUSTED = 0.04;

/** Zone bit: dark pixels of the plate's own chroma are screen (a crease or a hard shadow). */
export const CREASE_DARK = 1;
/** Zone bit: brighter pixels of the plate's hue, less saturated, are screen (a washed-out hot spot). */
export const CREASE_BRIGHT = 2;

/**
 * A hot spot fades into the screen with no outline: its raw alpha rises no faster than from 0 to 1 over
 * this share of the long side. A spill-lit white shirt reads as the same colour, but has an edge.
 */
const HOT_SPOT_RAMP = 0.05;
/** Bare screen a hot spot is grown from spans at least this share of the photo: a clear glass's inside never does. */
const HOT_SPOT_SEED = 0.02;

/**
 * Per block: which crease tests pass 1 applies to fractional pixels (CREASE_DARK far from anything solid,
 * CREASE_BRIGHT where the matte grows smoothly out of bare screen), 0 for none. Blocks of a spill-lit
 * core (`cores`, optional) count as solid. Pure.
 */
export function creaseZone(blocks: BlockStats, width: number, height: number, cores: Float32Array | null): Uint8Array {
  const { cols, rows, solid, total } = blocks;
  const isSolid = new Uint8Array(cols * rows);
  for (let b = 0; b < isSolid.length; b++) {
    isSolid[b] = solid[b]! >= SOLID_SHARE * total[b]! || (cores !== null && cores[b]! > 0) ? 1 : 0;
  }
  const dist = blockDistance(isSolid, cols, rows);
  const trusted = Math.ceil((TRUSTED * Math.max(width, height)) / blocks.size);
  const zone = new Uint8Array(cols * rows);
  for (let b = 0; b < zone.length; b++) zone[b] = dist[b]! > trusted ? CREASE_DARK : 0;
  markHotSpots(blocks, Math.max(width, height), zone);
  return zone;
}

/**
 * Marks CREASE_BRIGHT on the dark-zone blocks reached from bare screen through blocks with nothing opaque
 * whose mean raw alpha rises no faster than a hot spot's ramp: neither from bare screen (a shirt's edge,
 * even where it runs at a slant across the blocks) nor against any of the four blocks around (a glass's
 * walls, and the highlight along them). Anything in front of the screen has a rim.
 */
function markHotSpots(blocks: BlockStats, longSide: number, zone: Uint8Array): void {
  const { cols, rows, total, bare, solid, partSum } = blocks;
  const n = cols * rows;
  const isBare = new Uint8Array(n);
  const level = new Float32Array(n);
  for (let b = 0; b < n; b++) {
    isBare[b] = total[b]! > 0 && bare[b] === total[b] ? 1 : 0;
    level[b] = total[b]! > 0 ? partSum[b]! / total[b]! : 0;
  }
  const depth = blockDistance(isBare, cols, rows);
  const step = blocks.size / (HOT_SPOT_RAMP * longSide);
  const smooth = (b: number): boolean => {
    const x = b % cols;
    const v = level[b]!;
    if (v > step * depth[b]! || solid[b]! > 0) return false;
    for (let k = 0; k < 4; k++) {
      const c = neighbour(b, x, k, cols, n);
      if (c < 0) continue;
      const d = level[c]! - v;
      if (d > step || d < -step) return false;
    }
    return true;
  };
  const queue = new Int32Array(n);
  let tail = 0;
  // Seeds: wide stretches of bare screen, not the clear patches inside a glass.
  const seen = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    if (!isBare[s] || seen[s]) continue;
    const start = tail;
    seen[s] = 1;
    queue[tail++] = s;
    for (let head = start; head < tail; head++) {
      const b = queue[head]!;
      const x = b % cols;
      for (let k = 0; k < 4; k++) {
        const c = neighbour(b, x, k, cols, n);
        if (c < 0 || !isBare[c] || seen[c]) continue;
        seen[c] = 1;
        queue[tail++] = c;
      }
    }
    if (tail - start < HOT_SPOT_SEED * n) tail = start;
  }
  let kept = 0;
  for (let h = 0; h < tail; h++) {
    const b = queue[h]!;
    if (zone[b] !== CREASE_DARK) continue;
    zone[b]! |= CREASE_BRIGHT;
    queue[kept++] = b;
  }
  tail = kept;
  for (let head = 0; head < tail; head++) {
    const b = queue[head]!;
    const x = b % cols;
    for (let k = 0; k < 4; k++) {
      const c = neighbour(b, x, k, cols, n);
      if (c < 0 || zone[c] !== CREASE_DARK || !smooth(c)) continue;
      zone[c]! |= CREASE_BRIGHT;
      queue[tail++] = c;
    }
  }
}

/** Marks of `clearCreaseRuns`: a pixel the crease zone keyed out as screen, and one next to the guest that would pass. */
export const CREASE_SEED = 2;
export const CREASE_CANDIDATE = 1;

/**
 * Folds and a hard shadow's rim run on from the open screen up to the guest, where the raw matte is
 * trusted because a dark strand reads the same. A candidate (a pixel next to the guest that passes the
 * crease test) joined, 8-connected through candidates, to a pixel the crease zone already keyed out is
 * part of the same fold: it becomes screen too (its mark turns CREASE_SEED). Strands grow out of the guest,
 * not out of a fold. `marked` lists the marked pixels in scan order when the caller has them (pass 1 does: a
 * few thousand, where finding them means scanning every pixel). Returns how many candidates became screen.
 * Pure but for `marks`, updated in place.
 */
export function clearCreaseRuns(
  marks: Uint8Array,
  width: number,
  height: number,
  marked: ArrayLike<number> = markedPixels(marks),
): number {
  let seeds = 0;
  for (let k = 0; k < marked.length; k++) if (marks[marked[k]!] === CREASE_SEED) seeds++;
  if (seeds === 0 || seeds === marked.length) return 0;
  // Each marked pixel is queued at most once.
  const q = new Int32Array(marked.length);
  let queued = 0;
  for (let k = 0; k < marked.length; k++) if (marks[marked[k]!] === CREASE_SEED) q[queued++] = marked[k]!;
  for (let head = 0; head < queued; head++) {
    const i = q[head]!;
    const x = i % width;
    const y = (i - x) / width;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= width) continue;
        const j = yy * width + xx;
        if (marks[j] !== CREASE_CANDIDATE) continue;
        marks[j] = CREASE_SEED;
        q[queued++] = j;
      }
    }
  }
  return queued - seeds;
}

/** Indices of the marked (non-zero) pixels, in scan order. */
function markedPixels(marks: Uint8Array): number[] {
  const marked: number[] = [];
  for (let i = 0; i < marks.length; i++) if (marks[i] !== 0) marked.push(i);
  return marked;
}

/**
 * Takes the pixels a crease run reached (marked CREASE_SEED) off pass 2's list, which is in scan order: they are
 * screen. `marked` lists the marked pixels in scan order, as for clearCreaseRuns. Each is looked up on the list
 * by bisection: a handful of pixels on a list of up to a third of the photo. In place.
 */
export function dropCreasePixels(
  edges: EdgePixels,
  marks: Uint8Array,
  marked: ArrayLike<number> = markedPixels(marks),
): void {
  const { index, raw, alpha, count } = edges;
  let kept = 0;
  let from = 0;
  for (let m = 0; m < marked.length; m++) {
    const i = marked[m]!;
    if (marks[i] !== CREASE_SEED) continue;
    const k = firstAtLeast(index, from, count, i);
    if (k === count || index[k] !== i) continue;
    // The stretch before it moves down in one copy.
    if (kept !== from) {
      index.copyWithin(kept, from, k);
      raw.copyWithin(kept, from, k);
      alpha.copyWithin(kept, from, k);
    }
    kept += k - from;
    from = k + 1;
  }
  if (kept !== from) {
    index.copyWithin(kept, from, count);
    raw.copyWithin(kept, from, count);
    alpha.copyWithin(kept, from, count);
  }
  edges.count = kept + count - from;
}

/** The first position in sorted[lo..hi) holding a value of at least v (hi if none). */
function firstAtLeast(sorted: Int32Array, lo: number, hi: number, v: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
