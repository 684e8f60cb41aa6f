import { blockDistance } from "./key-blocks";

/**
 * Clean-up of the raw matte away from the guest. Narrow creases and hard shadow edges on the screen
 * read as faint foreground, and so do dark strands of hair: both are darker than the plate, and only
 * a strand shifts the pixel's chroma, which the raw matte measured (`shade`). Next to the guest's solid
 * parts, where strands and fringes live, the raw matte is trusted; beyond that, a pixel of the screen's
 * own chroma is screen, however dark.
 */

/** Block edge as a share of the photo's long side. */
const BLOCK_SHARE = 1 / 128;
/** A block is solid when this share of its pixels is opaque. */
const SOLID_SHARE = 0.25;
/** Distance (share of the long side) from solid blocks within which the raw matte is trusted as is. */
const TRUSTED = 0.04;

/** Scales raw alpha by `shade` (0-255) in place, farther than TRUSTED from any solid block. */
export function clearCreases(
  raw: Float32Array,
  shade: Uint8Array,
  width: number,
  height: number,
  clipWhite: number,
): void {
  const long = Math.max(width, height);
  const block = Math.max(2, Math.round(long * BLOCK_SHARE));
  const cols = Math.ceil(width / block);
  const rows = Math.ceil(height / block);
  const solid = new Uint32Array(cols * rows);
  const total = new Uint32Array(cols * rows);
  for (let y = 0; y < height; y++) {
    const rowBlock = Math.floor(y / block) * cols;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const b = rowBlock + Math.floor(x / block);
      total[b]!++;
      if (raw[i]! >= clipWhite) solid[b]!++;
    }
  }
  const isSolid = new Uint8Array(cols * rows);
  for (let b = 0; b < isSolid.length; b++) isSolid[b] = solid[b]! >= SOLID_SHARE * total[b]! ? 1 : 0;
  const dist = blockDistance(isSolid, cols, rows);
  const trusted = Math.ceil((TRUSTED * long) / block);
  for (let y = 0; y < height; y++) {
    const rowBlock = Math.floor(y / block) * cols;
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const s = shade[i]!;
      if (s < 255 && dist[rowBlock + Math.floor(x / block)]! > trusted) raw[i] = (raw[i]! * s) / 255;
    }
  }
}
