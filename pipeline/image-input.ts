/**
 * Uploaded photo bytes -> upright RGBA at working size. The header is checked before the
 * decoder sees the bytes, so a decompression bomb costs a few bytes of reading, not gigabytes.
 */
import { createCanvas, loadImage, type Image } from "@napi-rs/canvas";
import { PhotoError } from "./errors";
import { DEFAULT_MAX_PIXELS, readImageHeader, type ImageHeader } from "./image-header";
import type { Rgba } from "./rgba";

export { readImageHeader, DEFAULT_MAX_PIXELS, type ImageHeader };

export const DEFAULT_MAX_SIDE = 2048;

export interface DecodeOptions {
  /** Refuse images whose header claims more pixels than this (default 50 MP). */
  maxPixels?: number;
  /** Scale down so the long side is at most this (default 2048). */
  maxSide?: number;
}

/** Orientations 5..8 turn the picture a quarter, so width and height trade places. */
export function uprightSize(header: ImageHeader): { width: number; height: number } {
  return header.orientation >= 5
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}

/** The working size: long side at most `maxSide`, aspect kept, never enlarged. */
export function workingSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

export async function decodePhoto(buf: Uint8Array, opts: DecodeOptions = {}): Promise<Rgba> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = opts.maxSide ?? DEFAULT_MAX_SIDE;
  if (!(maxSide >= 1) || !(maxPixels >= 1)) throw new RangeError("maxSide and maxPixels must be at least 1");
  const header = readImageHeader(buf, maxPixels);

  let image: Image;
  try {
    image = await loadImage(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch {
    throw new PhotoError("image is corrupt or truncated");
  }
  // Skia's decoder already turns JPEGs upright from their EXIF orientation (the tests pin
  // all eight cases), so the pixels are only scaled here; turning them again would be wrong.
  const upright = uprightSize(header);
  if (image.width !== upright.width || image.height !== upright.height) {
    throw new Error(
      `decoder gave ${image.width}x${image.height}, header says ${upright.width}x${upright.height} (orientation ${header.orientation})`,
    );
  }

  // One full-size copy (the decoded Image) and one at working size: scale in a single draw.
  const size = workingSize(upright.width, upright.height, maxSide);
  const canvas = createCanvas(size.width, size.height);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, size.width, size.height);
  const pixels = ctx.getImageData(0, 0, size.width, size.height);
  return { width: size.width, height: size.height, data: pixels.data };
}
