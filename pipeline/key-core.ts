import { blockDistance, neighbour, type BlockStats } from "./key-blocks";

/**
 * Spill is not transparency. A white shirt lit green by the screen reads, pixel by pixel, exactly like
 * white glass half over the screen: both come out of the raw matte at 0.4 to 0.7. What tells them
 * apart is their extent: glass, a strand or a blurred hand is a small part of the guest, while a
 * spill-lit shirt is a large region lying well inside the guest, away from any bare screen. Such a
 * region (its "core") is the guest, solid; its raw level is where opaque lies for it, so the band
 * between the core and the screen is rescaled by that level and keeps a clean, sharp edge.
 */

/** A core lies at least this far (share of the long side) from bare screen: strands and fringes never do. */
const CORE_DEPTH = 0.012;
/**
 * A core must cover this share of the guest's area (every block not bare screen). A held glass or
 * bottle covers 3-8 %, a shirt 30-60 %: the line sits well between them.
 */
const CORE_SHARE = 0.15;
/**
 * ... and this share of the whole photo: when clothes of the screen's colour key away, what is left of
 * the guest is small, and a held glass would pass the share above.
 */
const CORE_PHOTO_SHARE = 0.06;
/** Below this median raw alpha a region is mostly screen showing through (netting, a sheer veil): left fractional. */
const CORE_MIN_RAW = 0.3;
/** Opaque is set a little below the core's typical (median) raw level, so its own shading does not blotch it. */
const CORE_LEVEL = 0.85;
/** Blocks of a core reading below this share of its median are not part of it. */
const CORE_BLOCK_SHARE = 0.75;

/**
 * Per block of `blocks`, the raw level at which a pixel there is opaque (0: no core, keep the raw
 * matte). Large fractional regions deep inside the subject, and the band from them out to the screen,
 * get their own level; pass 1 divides raw alpha by it (bare screen excepted). Pure.
 */
export function coreLevels(blocks: BlockStats, width: number, height: number): Float32Array | null {
  const { cols, rows, total, bare, part, partSum } = blocks;
  const n = cols * rows;
  // Blocks: bare screen, mostly fractional, or neither (opaque subject).
  let subject = 0;
  const isBare = new Uint8Array(n);
  const isPart = new Uint8Array(n);
  for (let b = 0; b < n; b++) {
    if (2 * bare[b]! >= total[b]!) isBare[b] = 1;
    else {
      subject++;
      if (2 * part[b]! >= total[b]!) isPart[b] = 1;
    }
  }
  if (subject === 0) return null;
  const depth = Math.max(1, Math.ceil((CORE_DEPTH * Math.max(width, height)) / blocks.size));
  const dist = blockDistance(isBare, cols, rows);

  // Connected fractional blocks deep inside the subject; large ones are cores.
  const level = new Float32Array(n);
  const label = new Uint8Array(n);
  const stack: number[] = [];
  const members: number[] = [];
  let found = false;
  for (let start = 0; start < n; start++) {
    if (!isPart[start] || dist[start]! < depth || label[start]) continue;
    members.length = 0;
    stack.push(start);
    label[start] = 1;
    while (stack.length) {
      const b = stack.pop()!;
      members.push(b);
      const x = b % cols;
      for (let k = 0; k < 4; k++) {
        const d = neighbour(b, x, k, cols, n);
        if (d < 0 || label[d] || !isPart[d] || dist[d]! < depth) continue;
        label[d] = 1;
        stack.push(d);
      }
    }
    if (members.length < CORE_SHARE * subject || members.length < CORE_PHOTO_SHARE * n) continue;
    const means = members.map((b) => partSum[b]! / Math.max(1, part[b]!)).sort((a, b) => a - b);
    const median = means[means.length >> 1]!;
    if (median < CORE_MIN_RAW) continue;
    found = true;
    // Blocks well below the core's level are something else it touches (a glass held against the shirt).
    for (const b of members) {
      level[b] = partSum[b]! / Math.max(1, part[b]!) >= CORE_BLOCK_SHARE * median ? CORE_LEVEL * median : -1;
    }
  }
  if (!found) return null;
  // The band out to the bare screen takes the lowest level of the core beside it.
  for (let step = 0; step <= depth; step++) {
    const next = Float32Array.from(level);
    for (let b = 0; b < n; b++) {
      if (level[b]! < 0) continue;
      const x = b % cols;
      let low = level[b]! || Infinity;
      for (let k = 0; k < 4; k++) {
        const d = neighbour(b, x, k, cols, n);
        if (d >= 0 && level[d]! > 0 && level[d]! < low) low = level[d]!;
      }
      if (low < Infinity) next[b] = low;
    }
    level.set(next);
  }
  for (let b = 0; b < n; b++) if (level[b]! < 0) level[b] = 0;
  return level;
}
