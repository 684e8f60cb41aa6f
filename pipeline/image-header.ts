/**
 * What an upload claims to be, read from its bytes before any decoding: format, size and
 * EXIF orientation. Walking the whole container also catches truncated and damaged files,
 * which the decoder would otherwise render as a half-grey picture without complaint.
 */
import * as zlib from "node:zlib";
import { PhotoError } from "./errors";
import { orientationFromApp1 } from "./exif";

export interface ImageHeader {
  format: "jpeg" | "png";
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent); PNG is always 1. */
  orientation: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;
/** Skia refuses larger sides; telling the guest "too large" is clearer than "corrupt". */
const MAX_SIDE = 32_767;

const NOT_AN_IMAGE = "not a JPEG or PNG image";
const CORRUPT = "image is corrupt or truncated";

export function readImageHeader(buf: Uint8Array, maxPixels: number = DEFAULT_MAX_PIXELS): ImageHeader {
  if (buf.length === 0) throw new PhotoError("the file is empty");
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return readJpeg(bytes, maxPixels);
  }
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return readPng(bytes, maxPixels);
  throw new PhotoError(NOT_AN_IMAGE);
}

function checkSize(width: number, height: number, maxPixels: number): void {
  if (width === 0 || height === 0) throw new PhotoError(CORRUPT);
  if (width * height > maxPixels || width > MAX_SIDE || height > MAX_SIDE) {
    throw new PhotoError(`image is too large (${width}x${height})`);
  }
}

// ---- JPEG ---------------------------------------------------------------------------

function isSof(marker: number): boolean {
  // C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but are not frame headers.
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function readJpeg(b: Buffer, maxPixels: number): ImageHeader {
  let pos = 2;
  let size: { width: number; height: number } | undefined;
  let orientation: number | undefined;
  let scans = 0;
  for (;;) {
    if (pos + 1 >= b.length) throw new PhotoError(CORRUPT);
    if (b[pos] !== 0xff) throw new PhotoError(CORRUPT);
    while (b[pos + 1] === 0xff && pos + 2 < b.length) pos++; // fill bytes
    const marker = b[pos + 1];
    if (marker === 0xd9) break; // EOI
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (pos + 4 > b.length) throw new PhotoError(CORRUPT);
    const length = b.readUInt16BE(pos + 2);
    const end = pos + 2 + length;
    if (length < 2 || end > b.length) throw new PhotoError(CORRUPT);
    const body = b.subarray(pos + 4, end);
    if (marker === 0xe1 && orientation === undefined && body.length >= 6 && body.toString("latin1", 0, 4) === "Exif") {
      orientation = orientationFromApp1(body);
    } else if (isSof(marker) && size === undefined) {
      if (body.length < 6) throw new PhotoError(CORRUPT);
      size = { height: body.readUInt16BE(1), width: body.readUInt16BE(3) };
      checkSize(size.width, size.height, maxPixels);
    } else if (marker === 0xda) {
      if (size === undefined) throw new PhotoError(CORRUPT);
      scans++;
      pos = endOfEntropyData(b, end);
      continue;
    }
    pos = end;
  }
  if (size === undefined || scans === 0) throw new PhotoError(CORRUPT);
  return { format: "jpeg", width: size.width, height: size.height, orientation: orientation ?? 1 };
}

/** Entropy-coded data ends at the first marker that is not a stuffed 0xFF00 or a restart marker. */
function endOfEntropyData(b: Buffer, from: number): number {
  let pos = from;
  for (;;) {
    const ff = b.indexOf(0xff, pos);
    if (ff < 0 || ff + 1 >= b.length) throw new PhotoError(CORRUPT);
    const next = b[ff + 1];
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
      pos = next === 0xff ? ff + 1 : ff + 2;
      continue;
    }
    return ff;
  }
}

// ---- PNG ----------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const VALID_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function readPng(b: Buffer, maxPixels: number): ImageHeader {
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let sawPalette = false;
  let sawData = false;
  for (let index = 0; ; index++) {
    if (pos + 12 > b.length) throw new PhotoError(CORRUPT);
    const length = b.readUInt32BE(pos);
    const type = b.toString("latin1", pos + 4, pos + 8);
    const end = pos + 12 + length;
    if (length > 0x7fffffff || end > b.length) throw new PhotoError(CORRUPT);
    const critical = (b[pos + 4] & 0x20) === 0;
    if (critical && zlib.crc32(b.subarray(pos + 4, pos + 8 + length)) !== b.readUInt32BE(pos + 8 + length)) {
      throw new PhotoError(CORRUPT);
    }
    if (index === 0) {
      if (type !== "IHDR" || length !== 13) throw new PhotoError(CORRUPT);
      width = b.readUInt32BE(pos + 8);
      height = b.readUInt32BE(pos + 12);
      const depth = b[pos + 16];
      colorType = b[pos + 17];
      if (!(VALID_DEPTHS[colorType] ?? []).includes(depth) || b[pos + 20] > 1) throw new PhotoError(CORRUPT);
      checkSize(width, height, maxPixels);
    } else if (type === "PLTE") {
      sawPalette = true;
    } else if (type === "IDAT") {
      if (colorType === 3 && !sawPalette) throw new PhotoError(CORRUPT);
      sawData = true;
    } else if (type === "IEND") {
      break;
    }
    pos = end;
  }
  if (!sawData) throw new PhotoError(CORRUPT);
  return { format: "png", width, height, orientation: 1 };
}
