/** Test images built by hand or by sharp: coloured quadrants, EXIF orientations, PNG chunks, and checks on decoded pixels. */
import { expect } from "chai";
import * as zlib from "node:zlib";
import { PhotoError } from "../../pipeline/errors";
import { createRgba, type Rgba } from "../../pipeline/rgba";

export type Rgb = [number, number, number];
export const RED: Rgb = [224, 32, 32];
export const GREEN: Rgb = [32, 192, 64];
export const BLUE: Rgb = [32, 64, 224];
export const YELLOW: Rgb = [240, 224, 32];

/** Four quadrants of different colours: any flip or turn moves at least two of them. */
export function quadrants(width: number, height: number): Rgba {
  const img = createRgba(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : YELLOW;
      img.data.set([...c, 255], (y * width + x) * 4);
    }
  }
  return img;
}

/** The stored pixels that a viewer honouring EXIF `orientation` shows as `upright` (EXIF 2.3, tag 0x0112). */
export function storeForOrientation(upright: Rgba, orientation: number): Rgba {
  const W = upright.width;
  const H = upright.height;
  const swap = orientation >= 5;
  const stored = createRgba(swap ? H : W, swap ? W : H);
  const sw = stored.width;
  const sh = stored.height;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      // display (x, y) comes from stored (sx, sy)
      const [sx, sy] = (
        {
          1: [x, y],
          2: [sw - 1 - x, y],
          3: [sw - 1 - x, sh - 1 - y],
          4: [x, sh - 1 - y],
          5: [y, x],
          6: [y, sh - 1 - x],
          7: [sw - 1 - y, sh - 1 - x],
          8: [sw - 1 - y, x],
        } as Record<number, [number, number]>
      )[orientation];
      stored.data.set(upright.data.subarray((y * W + x) * 4, (y * W + x) * 4 + 4), (sy * sw + sx) * 4);
    }
  }
  return stored;
}

export function exifApp1(orientation: number, littleEndian: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 2 * 12 + 4);
  const u16 = (v: number, at: number) => (littleEndian ? tiff.writeUInt16LE(v, at) : tiff.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (littleEndian ? tiff.writeUInt32LE(v, at) : tiff.writeUInt32BE(v, at));
  tiff.write(littleEndian ? "II" : "MM", 0, "latin1");
  u16(42, 2);
  u32(8, 4);
  u16(2, 8); // two entries: another tag first, so the parser has to look past it
  u16(0x010f, 10); // Make, ASCII, 4 bytes inline
  u16(2, 12);
  u32(4, 14);
  tiff.write("Cam", 18, "latin1");
  u16(0x0112, 22);
  u16(3, 24);
  u32(1, 26);
  u16(orientation, 30);
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** Inserts an APP1 Exif segment after SOI, or after the JFIF APP0 segment when asked. */
export function withExif(jpeg: Buffer, orientation: number, littleEndian: boolean, afterApp0 = false): Buffer {
  let at = 2;
  if (afterApp0 && jpeg[3] === 0xe0) at = 4 + jpeg.readUInt16BE(4);
  return Buffer.concat([jpeg.subarray(0, at), exifApp1(orientation, littleEndian), jpeg.subarray(at)]);
}

/** One PNG chunk: length, type, data and the CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG from unfiltered scanlines (filter byte 0 added here). */
export function makePng(
  width: number,
  height: number,
  colorType: number,
  depth: number,
  rows: Buffer[],
  extra: Buffer[] = [],
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  const raw = Buffer.concat(rows.map((r) => Buffer.concat([Buffer.from([0]), r])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    ...extra,
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

export function pixel(img: Rgba, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return Array.from(img.data.subarray(i, i + 4));
}

export function expectColour(img: Rgba, x: number, y: number, want: Rgb, tolerance: number, label = ""): void {
  const got = pixel(img, x, y);
  for (let k = 0; k < 3; k++) {
    expect(Math.abs(got[k] - want[k]), `${label} pixel (${x},${y}) = ${got} want ${want}`).to.be.at.most(tolerance);
  }
}

/** The quadrant colours at the centres of the four quadrants. */
export function expectUprightQuadrants(img: Rgba, tolerance = 24, label = ""): void {
  const qx = [Math.floor(img.width / 4), Math.floor((3 * img.width) / 4)];
  const qy = [Math.floor(img.height / 4), Math.floor((3 * img.height) / 4)];
  expectColour(img, qx[0], qy[0], RED, tolerance, label);
  expectColour(img, qx[1], qy[0], GREEN, tolerance, label);
  expectColour(img, qx[0], qy[1], BLUE, tolerance, label);
  expectColour(img, qx[1], qy[1], YELLOW, tolerance, label);
}

export async function expectPhotoError(work: () => Promise<unknown> | unknown, reason: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await work();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a PhotoError").to.be.instanceOf(PhotoError);
  expect((caught as PhotoError).reason).to.match(reason);
  expect((caught as PhotoError).reason).not.to.include("\n");
}

/** Sets the SOF0 frame size of a baseline JPEG. */
export function patchJpegSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}
