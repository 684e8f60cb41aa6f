import { blockDistance } from "./key-blocks";

/**
 * Spill is not transparency. A white shirt lit green by the screen reads, pixel by pixel, exactly like
 * white glass half over the screen: both come out of the raw matte at 0.4 to 0.7. What tells them
 * apart is their extent: glass, a strand or a blurred hand is a small part of the guest, while a
 * spill-lit shirt is a large region lying well inside the guest, away from any bare screen. Such a
 * region (its "core") is the guest, solid; its raw level is where opaque lies for it, so the band
 * between the core and the screen is rescaled by that level and keeps a clean, sharp edge.
 */

/** Block edge for the region analysis, as a share of the photo's long side. */
const BLOCK_SHARE = 1 / 256;
/** A core lies at least this far (share of the long side) from bare screen: strands and fringes never do. */
const CORE_DEPTH = 0.012;
/**
 * A core must cover this share of the guest's area (every block not bare screen). A held glass or
 * bottle covers 3-8 %, a shirt 30-60 %: the line sits well between them.
 */
const CORE_SHARE = 0.15;
/** Below this median raw alpha a region is mostly screen showing through (netting, a sheer veil): left fractional. */
const CORE_MIN_RAW = 0.3;
/** Opaque is set a little below the core's typical (median) raw level, so its own shading does not blotch it. */
const CORE_LEVEL = 0.85;
/** Blocks of a core reading below this share of its median are not part of it. */
const CORE_BLOCK_SHARE = 0.75;

/**
 * Rescales the raw matte (in place) in large fractional regions deep inside the subject, and in the
 * band around them, so that they read opaque. `clipBlack`/`clipWhite` are the keyer's thresholds:
 * below the first a pixel is bare screen, above the second already opaque. Pure apart from `raw`.
 */
export function solidifyCores(
  raw: Float32Array,
  width: number,
  height: number,
  clipBlack: number,
  clipWhite: number,
): void {
  const block = Math.max(2, Math.round(Math.max(width, height) * BLOCK_SHARE));
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const n = cols * rows;
  const bare = new Uint32Array(n);
  const part = new Uint32Array(n);
  const total = new Uint32Array(n);
  const partSum = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    const rowBlock = Math.floor(y / block) * cols;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const b = rowBlock + Math.floor(x / block);
      const r = raw[i]!;
      total[b]!++;
      if (r < clipBlack) bare[b]!++;
      else if (r < clipWhite) {
        part[b]!++;
        partSum[b]! += r;
      }
    }
  }
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
  if (subject === 0) return;
  const depth = Math.max(1, Math.ceil((CORE_DEPTH * Math.max(width, height)) / block));
  const dist = blockDistance(isBare, cols, rows);

  // Connected fractional blocks deep inside the subject; large ones are cores.
  const level = new Float32Array(n);
  const label = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const members: number[] = [];
  for (let start = 0; start < n; start++) {
    if (!isPart[start] || dist[start]! < depth || label[start]! >= 0) continue;
    members.length = 0;
    stack.push(start);
    label[start] = start;
    while (stack.length) {
      const b = stack.pop()!;
      members.push(b);
      const x = b % cols;
      for (const d of [x > 0 ? b - 1 : -1, x < cols - 1 ? b + 1 : -1, b - cols, b + cols]) {
        if (d < 0 || d >= n || label[d]! >= 0 || !isPart[d] || dist[d]! < depth) continue;
        label[d] = start;
        stack.push(d);
      }
    }
    if (members.length < CORE_SHARE * subject) continue;
    const means = members.map((b) => partSum[b]! / Math.max(1, part[b]!)).sort((a, b) => a - b);
    const median = means[means.length >> 1]!;
    if (median < CORE_MIN_RAW) continue;
    // Blocks well below the core's level are something else it touches (a glass held against the shirt).
    for (const b of members) {
      if (partSum[b]! / Math.max(1, part[b]!) >= CORE_BLOCK_SHARE * median) level[b] = CORE_LEVEL * median;
      else level[b] = -1;
    }
  }
  // The band out to the bare screen takes the lowest level of the core beside it.
  for (let step = 0; step <= depth; step++) {
    const next = Float32Array.from(level);
    for (let b = 0; b < n; b++) {
      const x = b % cols;
      if (level[b]! < 0) continue;
      let low = level[b]! || Infinity;
      for (const d of [x > 0 ? b - 1 : -1, x < cols - 1 ? b + 1 : -1, b - cols, b + cols]) {
        if (d >= 0 && d < n && level[d]! > 0 && level[d]! < low) low = level[d]!;
      }
      if (low < Infinity) next[b] = low;
    }
    level.set(next);
  }
  for (let y = 0; y < height; y++) {
    const rowBlock = Math.floor(y / block) * cols;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const l = level[rowBlock + Math.floor(x / block)]!;
      // Bare screen stays bare: only the guest's own fractional pixels are rescaled.
      if (l > 0 && raw[i]! >= clipBlack && raw[i]! < clipWhite / l) raw[i] = raw[i]! / l;
    }
  }
}
