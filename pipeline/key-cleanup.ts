import { blockDistance, type BlockStats } from "./key-blocks";

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

/**
 * Per block: 1 where pass 1 scales raw alpha by the pixel's `shade` (far from anything solid), else 0.
 * Blocks of a spill-lit core (`cores`, optional) count as solid. Pure.
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
  for (let b = 0; b < zone.length; b++) zone[b] = dist[b]! > trusted ? 1 : 0;
  return zone;
}
