/**
 * RGBA -> file bytes, encoded by libvips (sharp). Both start from bare pixels, so no EXIF, GPS or other metadata
 * of the upload can reach the guest's souvenir.
 *
 * The encoders were chosen by measured time and size (one run, a keyed 1536x2048 P3 phone photo; a 1080x1350
 * souvenir):
 * - PNG, the Processing bucket's keyed cut-out: no row filter, deflate level 2. Encoded in 39 ms, decoded by the
 *   next stage in 15, 2.5 MB; our own zlib writer (Sub filter, run-length deflate) took 71 + 29 ms for the same
 *   size; level 1 is 11 ms faster to write but 30% larger, which the S3 write and read pay back. The bytes are
 *   stored straight (not premultiplied), so the cut-out's soft edges keep their exact colour.
 * - JPEG, the souvenir: standard Huffman tables: 5 ms against 15 for the canvas's encoder and 10 with optimised
 *   tables, for a file 5% larger.
 */
import sharp from "sharp";
import type { Rgba } from "./rgba";

export const DEFAULT_JPEG_QUALITY = 88;

const PNG_OPTIONS: sharp.PngOptions = { compressionLevel: 2, adaptiveFiltering: false };

function checkImage(img: Rgba): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new RangeError(`bad image size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 4) {
    throw new RangeError(
      `image data holds ${img.data.length} bytes, ${img.width}x${img.height} RGBA needs ${img.width * img.height * 4}`,
    );
  }
}

function pixels(img: Rgba): sharp.Sharp {
  checkImage(img);
  const data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return sharp(data, { raw: { width: img.width, height: img.height, channels: 4 } });
}

/** 8-bit RGBA PNG holding exactly the given straight-alpha bytes. */
export async function encodePng(img: Rgba): Promise<Buffer> {
  return pixels(img).png(PNG_OPTIONS).toBuffer();
}

/** Baseline JPEG, 4:2:0; alpha is dropped (callers pass opaque images). */
export async function encodeJpeg(img: Rgba, quality: number = DEFAULT_JPEG_QUALITY): Promise<Buffer> {
  if (!(quality >= 1 && quality <= 100)) throw new RangeError(`JPEG quality must be 1..100, got ${quality}`);
  return pixels(img)
    .removeAlpha()
    .jpeg({ quality: Math.round(quality), chromaSubsampling: "4:2:0", optimiseCoding: false })
    .toBuffer();
}
