/**
 * Uploaded photo bytes -> upright sRGB RGBA at working size, decoded by libvips (sharp).
 *
 * What an upload claims is read from its header before any pixel is decoded, so a decompression bomb costs a
 * few bytes of reading, not gigabytes. libvips then decodes, turns the photo upright from its EXIF orientation,
 * converts its colour profile (a phone's Display P3) to sRGB and scales it, in one pass that never holds more
 * than a few rows at full size; JPEGs shrink inside the decoder when the reduction allows. Any decoder warning
 * (a truncated file, damaged data) refuses the photo: the guest is told, rather than shown a half-grey picture.
 */
import sharp from "sharp";
import { PhotoError } from "./errors";
import type { Rgba } from "./rgba";

export const DEFAULT_MAX_PIXELS = 50_000_000;
export const DEFAULT_MAX_SIDE = 2048;

// A Lambda process handles one photo at a time: caching operations would only hold memory.
sharp.cache(false);

const NOT_AN_IMAGE = "not a JPEG or PNG image";
const CORRUPT = "image is corrupt or truncated";
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface ImageHeader {
  format: "jpeg" | "png";
  /** As stored, before the orientation is applied. */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent or out of range). */
  orientation: number;
}

export interface DecodeOptions {
  /** Refuse images whose header claims more pixels than this (default 50 MP). */
  maxPixels?: number;
  /** Scale down so the long side is at most this (default 2048). */
  maxSide?: number;
  /**
   * Refuse images, as they stand upright, whose short side is under this (default 1: any size), at full size or
   * once scaled to `maxSide`.
   */
  minSide?: number;
}

/** Only these two reach the decoder: libvips reads many more formats than a camera app uploads. */
function sniffFormat(buf: Uint8Array): ImageHeader["format"] | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return "jpeg";
  if (buf.length >= 8 && PNG_SIGNATURE.every((byte, i) => buf[i] === byte)) return "png";
  return undefined;
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

interface Probe {
  header: ImageHeader;
  /** An embedded colour profile (a phone's Display P3, a camera's Adobe RGB, or sRGB itself). */
  hasProfile: boolean;
  /** 8-bit sRGB channels already (else greyscale, CMYK or 16-bit, converted on decoding). */
  isSrgb8: boolean;
}

async function probe(buf: Uint8Array, maxPixels: number): Promise<Probe> {
  if (buf.length === 0) throw new PhotoError("the file is empty");
  const format = sniffFormat(buf);
  if (!format) throw new PhotoError(NOT_AN_IMAGE);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(asBuffer(buf), { limitInputPixels: false }).metadata();
  } catch {
    throw new PhotoError(CORRUPT);
  }
  const { width, height } = meta;
  if (meta.format !== format || !width || !height) throw new PhotoError(CORRUPT);
  if (width * height > maxPixels) throw new PhotoError(`image is too large (${width}x${height})`);
  const orientation =
    meta.orientation !== undefined && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  return {
    header: { format, width, height, orientation },
    hasProfile: meta.icc !== undefined,
    isSrgb8: meta.space === "srgb" && meta.depth === "uchar",
  };
}

/** Format, stored size and orientation from the header alone; refuses what is not a JPEG or PNG, or too large. */
export async function readImageHeader(buf: Uint8Array, maxPixels: number = DEFAULT_MAX_PIXELS): Promise<ImageHeader> {
  return (await probe(buf, maxPixels)).header;
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
  const minSide = opts.minSide ?? 1;
  if (!(maxSide >= 1) || !(maxPixels >= 1) || !(minSide >= 1)) {
    throw new RangeError("maxSide, maxPixels and minSide must be at least 1");
  }
  const { header, hasProfile, isSrgb8 } = await probe(buf, maxPixels);
  const upright = uprightSize(header);
  if (Math.min(upright.width, upright.height) < minSide) {
    throw new PhotoError(
      `image is too small (${upright.width}x${upright.height}): a souvenir needs at least ${minSide} pixels on each side`,
    );
  }
  const size = workingSize(upright.width, upright.height, maxSide);
  // Fitting a strip's long side shrinks its short side too: 200x250000 would reach the keyer as a 2x2048 line.
  if (Math.min(size.width, size.height) < minSide) {
    throw new PhotoError(`image is too long and narrow (${upright.width}x${upright.height}) for a souvenir`);
  }

  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    // sharp applies an embedded profile before scaling, at full size (12 MP for a phone photo); scaling first and
    // converting the working-size pixels in a second pass costs half as much, for the same picture (the two
    // differ by rounding: mean 0.2 levels on a P3 phone photo).
    let image = sharp(asBuffer(buf), {
      limitInputPixels: maxPixels, // the header was checked; this holds the decoder to it as well
      failOn: "warning",
      autoOrient: true,
      sequentialRead: true,
      ignoreIcc: true,
    });
    if (size.width !== upright.width || size.height !== upright.height) {
      image = image.resize(size.width, size.height, { fit: "fill" });
    }
    if (hasProfile) {
      const scaled = await image.keepIccProfile().tiff({ compression: "none" }).toBuffer();
      image = sharp(scaled, { limitInputPixels: false }).toColourspace("srgb");
    } else if (!isSrgb8) {
      image = image.toColourspace("srgb");
    }
    decoded = await image.ensureAlpha().raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  } catch {
    throw new PhotoError(CORRUPT);
  }
  const { data, info } = decoded;
  if (info.width !== size.width || info.height !== size.height || info.channels !== 4) {
    throw new Error(
      `decoder gave ${info.width}x${info.height}x${info.channels}, expected ${size.width}x${size.height}x4 (orientation ${header.orientation})`,
    );
  }
  return {
    width: info.width,
    height: info.height,
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
  };
}
