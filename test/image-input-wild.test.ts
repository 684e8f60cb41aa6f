/**
 * Photos as phones, cameras, editors and attackers really make them: other colour spaces and profiles, metadata
 * in odd places, data after the image, other formats under a .jpg name, and decompression bombs in metadata.
 * Each either decodes to what a browser shows, or is refused with one short reason.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import sharp from "sharp";
import { decodePhoto, readImageHeader } from "../pipeline/image-input";
import { encodeJpeg, encodePng } from "../pipeline/image-output";
import { createRgba, type Rgba } from "../pipeline/rgba";
import {
  expectColour,
  expectPhotoError,
  expectUprightQuadrants,
  makePng,
  pixel,
  pngChunk,
  quadrants,
  storeForOrientation,
  type Rgb,
} from "./support/images";

// ---- builders -----------------------------------------------------------------------

/** Saturated primaries (where wide gamuts and sRGB differ most), a skin tone and a grey: 16 px columns. */
const SWATCHES: Rgb[] = [
  [0, 255, 0],
  [255, 0, 0],
  [32, 192, 64],
  [224, 172, 140],
  [128, 128, 128],
];

function swatches(height = 16): { data: Buffer; raw: { raw: { width: number; height: number; channels: 3 } } } {
  const width = 16 * SWATCHES.length;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(SWATCHES[Math.floor((i % width) / 16)], i * 3);
  return { data, raw: { raw: { width, height, channels: 3 } } };
}

function expectSwatches(img: Rgba, want: (index: number) => Rgb, tolerance: number, label: string): void {
  for (let k = 0; k < SWATCHES.length; k++) expectColour(img, k * 16 + 8, 8, want(k), tolerance, label);
}

/**
 * A minimal ICC v2 matrix/TRC display profile with Adobe RGB (1998)'s primaries (D50-adapted, as in Adobe's own
 * profile) and its 2.2 gamma: what a camera set to Adobe RGB embeds. Built here: libvips ships no such profile.
 */
function adobeRgbProfile(): Buffer {
  const s15 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(Math.round(v * 65536));
    return b;
  };
  const xyz = (x: number, y: number, z: number) => Buffer.concat([Buffer.from("XYZ \0\0\0\0"), s15(x), s15(y), s15(z)]);
  const name = Buffer.from("Adobe RGB test\0", "latin1");
  const descCount = Buffer.alloc(4);
  descCount.writeUInt32BE(name.length);
  const desc = Buffer.concat([Buffer.from("desc\0\0\0\0"), descCount, name, Buffer.alloc(4 + 4 + 2 + 1 + 67)]);
  const curve = Buffer.from([...Buffer.from("curv\0\0\0\0"), 0, 0, 0, 1, 0x02, 0x33, 0, 0]);
  const tags: [string, Buffer][] = [
    ["desc", desc],
    ["wtpt", xyz(0.9642, 1, 0.8249)],
    ["rXYZ", xyz(0.60974, 0.31111, 0.01947)],
    ["gXYZ", xyz(0.20528, 0.62567, 0.06087)],
    ["bXYZ", xyz(0.14919, 0.06322, 0.74457)],
    ["rTRC", curve],
    ["gTRC", curve],
    ["bTRC", curve],
    ["cprt", Buffer.from("text\0\0\0\0none\0\0\0\0")],
  ];
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length);
  const bodies: Buffer[] = [];
  let offset = 128 + table.length;
  tags.forEach(([sig, body], i) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    table.write(sig, 4 + i * 12, "latin1");
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(body.length, 12 + i * 12);
    bodies.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write("mntrRGB XYZ ", 12, "latin1");
  header.write("acsp", 36, "latin1");
  s15(0.9642).copy(header, 68);
  s15(1).copy(header, 72);
  s15(0.8249).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}

/**
 * A zlib stream inflating to `megabytes` MB of zeros, about 1 KB per MB, built without holding the zeros: one
 * sync-flushed deflate block of 1 MB repeated (its matches reach back only over zeros), then the end and Adler-32.
 */
function zerosDeflated(megabytes: number): Buffer {
  const mb = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((((megabytes * (1 << 20)) % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(megabytes).fill(mb), Buffer.from([3, 0]), adler]);
}

function withPngChunksAfterIhdr(png: Buffer, chunks: Buffer[]): Buffer {
  const end = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, end), ...chunks, png.subarray(end)]);
}

/** A big-endian TIFF block holding IFD0 with one Orientation entry, as EXIF and PNG's eXIf carry it. */
function orientationTiff(orientation: number): Buffer {
  const t = Buffer.alloc(8 + 2 + 12 + 4);
  t.write("MM", 0, "latin1");
  t.writeUInt16BE(42, 2);
  t.writeUInt32BE(8, 4);
  t.writeUInt16BE(1, 8);
  t.writeUInt16BE(0x0112, 10);
  t.writeUInt16BE(3, 12);
  t.writeUInt32BE(1, 14);
  t.writeUInt16BE(orientation, 18);
  return t;
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

function peakRssGrowthMb(before: number): number {
  return (process.resourceUsage().maxRSS - before) / 1024;
}

// ---- tests --------------------------------------------------------------------------

describe("image input from the wild", () => {
  describe("colour", () => {
    it("converts an Adobe RGB photo (a camera's setting) to sRGB: it comes out as its sRGB twin", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-icc-"));
      const profile = path.join(dir, "adobe-rgb.icc");
      fs.writeFileSync(profile, adobeRgbProfile());
      try {
        const { data, raw } = swatches();
        const twin = await sharp(data, raw).jpeg({ quality: 95 }).toBuffer();
        const adobe = await sharp(data, raw).withIccProfile(profile).jpeg({ quality: 95 }).toBuffer();
        // The file stores other numbers: sRGB's pure green is about (144, 255, 60) in Adobe RGB.
        const stored = await sharp(adobe, { ignoreIcc: true }).raw().toBuffer();
        expect(stored[8 * 3], "Adobe RGB red of sRGB green").to.be.within(130, 160);
        const [fromAdobe, fromTwin] = [await decodePhoto(adobe), await decodePhoto(twin)];
        expectSwatches(fromAdobe, (k) => SWATCHES[k], 5, "Adobe RGB");
        expectSwatches(fromAdobe, (k) => pixel(fromTwin, k * 16 + 8, 8).slice(0, 3) as Rgb, 4, "twin");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("converts a 16-bit PNG with a Display P3 profile to 8-bit sRGB, as its sRGB twin", async () => {
      const { data, raw } = swatches();
      const twin = await decodePhoto(await sharp(data, raw).png().toBuffer());
      const deep = await sharp(data, raw).toColourspace("rgb16").withIccProfile("p3").png().toBuffer();
      expect((await sharp(deep).metadata()).depth).to.equal("ushort");
      const img = await decodePhoto(deep);
      expectSwatches(img, (k) => pixel(twin, k * 16 + 8, 8).slice(0, 3) as Rgb, 3, "16-bit P3");
    });

    it("decodes a CMYK JPEG (print software), with or without a profile, in its own colours: not inverted", async () => {
      // Ink colours CMYK can print: the round trip through ink is lossy, but skin stays skin and grey stays grey.
      const inks: Rgb[] = [
        [128, 128, 128],
        [224, 172, 140],
        [80, 110, 150],
        [190, 90, 70],
      ];
      const img = createRgba(16 * inks.length, 16);
      for (let i = 0; i < img.data.length / 4; i++)
        img.data.set([...inks[Math.floor((i % img.width) / 16)], 255], i * 4);
      const raw = { raw: { width: img.width, height: img.height, channels: 4 as const } };
      const rgb = sharp(Buffer.from(img.data), raw).removeAlpha();
      const withProfile = await rgb
        .clone()
        .withIccProfile("cmyk")
        .toColourspace("cmyk")
        .jpeg({ quality: 95 })
        .toBuffer();
      const bare = await rgb.clone().toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer();
      for (const [label, jpeg] of [
        ["with profile", withProfile],
        ["without profile", bare],
      ] as const) {
        const meta = await sharp(jpeg).metadata();
        expect([meta.space, meta.icc !== undefined], label).to.deep.equal(["cmyk", label === "with profile"]);
        const back = await decodePhoto(jpeg);
        inks.forEach((ink, k) => expectColour(back, k * 16 + 8, 8, ink, 25, `CMYK ${label}`));
      }
    });

    it("ignores a broken colour profile, as browsers do: the stored numbers are shown as sRGB", async () => {
      const { data, raw } = swatches();
      const p3 = await sharp(data, raw).withIccProfile("p3").jpeg({ quality: 95 }).toBuffer();
      const storedAsIs = await decodePhoto(await sharp(p3, { ignoreIcc: true }).jpeg({ quality: 100 }).toBuffer());
      const icc = p3.indexOf(Buffer.from("ICC_PROFILE\0", "latin1")) + 14;
      const wrongSpace = Buffer.from(p3);
      wrongSpace.write("GRAY", icc + 16, "latin1"); // a greyscale profile on an RGB photo
      const garbled = Buffer.from(p3);
      garbled.fill(0x5a, icc + 128, icc + 400); // its tag table overwritten
      for (const [label, jpeg] of [
        ["wrong colour space", wrongSpace],
        ["garbled", garbled],
      ] as const) {
        const img = await decodePhoto(jpeg);
        expectSwatches(img, (k) => pixel(storedAsIs, k * 16 + 8, 8).slice(0, 3) as Rgb, 3, label);
      }
    });

    it("decodes an Ultra HDR JPEG (a gain map, as Pixel phones write) as its SDR picture, as a browser shows it", async () => {
      const photo = await encodeJpeg(quadrants(96, 64), 95);
      // sharp 0.35's gain map output is experimental and not in its type declarations yet
      const withGainMap = sharp(photo) as sharp.Sharp & { withGainMap(): sharp.Sharp };
      const hdr = await withGainMap.withGainMap().jpeg({ quality: 95 }).toBuffer();
      expect((await sharp(hdr).metadata()).gainMap, "a gain map was written").to.not.equal(undefined);
      // The SDR picture is the first JPEG in the file; the gain map is a second one after its end.
      const sdrEnd = hdr.indexOf(Buffer.from([0xff, 0xd9, 0xff, 0xd8])) + 2;
      expect(sdrEnd).to.be.above(2);
      const sdr = await decodePhoto(hdr.subarray(0, sdrEnd));
      expect(Buffer.from((await decodePhoto(hdr)).data)).to.deep.equal(Buffer.from(sdr.data));
      // sharp tone-maps the SDR picture it writes, so only its hues are checked: the red quadrant is still red
      const [r, g, b] = pixel(sdr, 24, 16);
      expect(r, `${[r, g, b]}`).to.be.above(2 * Math.max(g, b));
    });

    it("decodes grey+alpha PNGs (8 and 16 bit) and an interlaced (Adam7) PNG", async () => {
      const greyAlpha = makePng(2, 1, 4, 8, [Buffer.from([90, 255, 200, 0])]);
      let img = await decodePhoto(greyAlpha);
      expect(pixel(img, 0, 0)).to.deep.equal([90, 90, 90, 255]);
      expect(pixel(img, 1, 0)[3]).to.equal(0);
      const deep = makePng(1, 1, 4, 16, [Buffer.from([0x80, 0x00, 0xff, 0xff])]);
      img = await decodePhoto(deep);
      expectColour(img, 0, 0, [128, 128, 128], 1);
      expect(pixel(img, 0, 0)[3]).to.equal(255);

      const photo = quadrants(61, 47); // odd sizes: Adam7's passes do not divide them evenly
      const plain = await encodePng(photo);
      const interlaced = await sharp(plain).png({ progressive: true }).toBuffer();
      expect(interlaced[8 + 8 + 12], "IHDR interlace method").to.equal(1);
      expect(Buffer.from((await decodePhoto(interlaced)).data)).to.deep.equal(Buffer.from(photo.data));
    });
  });

  describe("metadata", () => {
    it("turns a PNG upright from its eXIf orientation, as browsers do", async () => {
      const stored = await encodePng(storeForOrientation(quadrants(48, 32), 6));
      const png = withPngChunksAfterIhdr(stored, [pngChunk("eXIf", orientationTiff(6))]);
      expect(await readImageHeader(png)).to.deep.equal({ format: "png", width: 32, height: 48, orientation: 6 });
      const img = await decodePhoto(png);
      expect([img.width, img.height]).to.deep.equal([48, 32]);
      expectUprightQuadrants(img, 0);
    });

    it("survives hostile EXIF: 5000 entries in an IFD that links back to itself, and a 60 KB thumbnail", async () => {
      const photo = await encodeJpeg(storeForOrientation(quadrants(48, 32), 6), 95);
      const n = 5000;
      const tiff = Buffer.alloc(8 + 2 + n * 12 + 4);
      tiff.write("II", 0, "latin1");
      tiff.writeUInt16LE(42, 2);
      tiff.writeUInt32LE(8, 4);
      tiff.writeUInt16LE(n, 8);
      for (let i = 0; i < n; i++) {
        const last = i === n - 1;
        tiff.writeUInt16LE(last ? 0x0112 : 0x9000 + (i % 100), 10 + i * 12);
        tiff.writeUInt16LE(3, 12 + i * 12);
        tiff.writeUInt32LE(1, 14 + i * 12);
        tiff.writeUInt16LE(last ? 6 : 1, 18 + i * 12);
      }
      tiff.writeUInt32LE(8, 10 + n * 12); // the next IFD is this one again
      const looped = Buffer.concat([
        photo.subarray(0, 2),
        jpegSegment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff])),
        photo.subarray(2),
      ]);
      let img = await decodePhoto(looped);
      expect([img.width, img.height]).to.deep.equal([48, 32]);
      expectUprightQuadrants(img, 24, "looped IFD");

      // IFD1 pointing at a thumbnail that fills the rest of the 64 KB segment
      const thumb = Buffer.alloc(60000, 0x41);
      const ifds = Buffer.alloc(8 + 2 + 12 + 4 + 2 + 2 * 12 + 4);
      ifds.write("II", 0, "latin1");
      ifds.writeUInt16LE(42, 2);
      ifds.writeUInt32LE(8, 4);
      ifds.writeUInt16LE(1, 8);
      ifds.writeUInt16LE(0x0112, 10);
      ifds.writeUInt16LE(3, 12);
      ifds.writeUInt32LE(1, 14);
      ifds.writeUInt16LE(6, 18);
      ifds.writeUInt32LE(26, 22);
      ifds.writeUInt16LE(2, 26);
      for (const [i, tag, value] of [
        [0, 0x0201, ifds.length],
        [1, 0x0202, thumb.length],
      ]) {
        ifds.writeUInt16LE(tag, 28 + i * 12);
        ifds.writeUInt16LE(4, 30 + i * 12);
        ifds.writeUInt32LE(1, 32 + i * 12);
        ifds.writeUInt32LE(value, 36 + i * 12);
      }
      const thumbed = Buffer.concat([
        photo.subarray(0, 2),
        jpegSegment(0xe1, Buffer.concat([Buffer.from("Exif\0\0", "latin1"), ifds, thumb])),
        photo.subarray(2),
      ]);
      img = await decodePhoto(thumbed);
      expect([img.width, img.height]).to.deep.equal([48, 32]);
      expectUprightQuadrants(img, 24, "huge thumbnail");
    });

    it("decodes a JPEG with data after its end (a motion photo's video, a second JPEG) as the JPEG alone", async () => {
      const photo = await encodeJpeg(quadrants(48, 32), 95);
      const alone = Buffer.from((await decodePhoto(photo)).data);
      const video = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypmp42"), Buffer.alloc(1 << 20, 7)]);
      for (const trailer of [video, photo]) {
        expect(Buffer.from((await decodePhoto(Buffer.concat([photo, trailer]))).data)).to.deep.equal(alone);
      }
    });

    it("reads PNG text and profile chunks that inflate to gigabytes without inflating them", async () => {
      const photo = await encodePng(quadrants(64, 48));
      const bomb = zerosDeflated(1024); // 1 GB of zeros in about 1 MB
      expect(bomb.length).to.be.below(2 << 20);
      const chunks = [
        pngChunk("iCCP", Buffer.concat([Buffer.from("icc\0\0", "latin1"), bomb])),
        pngChunk("zTXt", Buffer.concat([Buffer.from("Comment\0\0", "latin1"), bomb])),
        pngChunk("iTXt", Buffer.concat([Buffer.from("XML:com.adobe.xmp\0\x01\0\0\0", "latin1"), bomb])),
      ];
      const before = process.resourceUsage().maxRSS;
      for (const chunk of chunks) {
        const img = await decodePhoto(withPngChunksAfterIhdr(photo, [chunk]));
        expectUprightQuadrants(img, 0);
      }
      expect(peakRssGrowthMb(before)).to.be.below(128);
    });
  });

  describe("not a photo we take", () => {
    it("refuses real AVIF, WebP, TIFF, GIF, HEIC, SVG and BMP files, whatever they are named", async () => {
      const { data, raw } = swatches();
      const files = [
        await sharp(data, raw).avif().toBuffer(),
        await sharp(data, raw).webp().toBuffer(),
        await sharp(data, raw).tiff().toBuffer(),
        await sharp(data, raw).gif().toBuffer(),
        Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheicmif1heic"), Buffer.alloc(64)]),
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="600"><rect width="480" height="600"/></svg>',
        ),
        Buffer.concat([Buffer.from("BM"), Buffer.alloc(100)]),
      ];
      for (const file of files) await expectPhotoError(() => decodePhoto(file), /^not a JPEG or PNG image$/);
    });

    it("refuses a JPEG's first bytes followed by another format as corrupt", async () => {
      const { data, raw } = swatches();
      for (const rest of [await sharp(data, raw).png().toBuffer(), await sharp(data, raw).tiff().toBuffer()]) {
        const polyglot = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), rest]);
        await expectPhotoError(() => decodePhoto(polyglot), /^image is corrupt or truncated$/);
      }
    });

    it("refuses PNGs with an empty or missing IDAT, and JPEGs damaged mid-scan, as corrupt", async () => {
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(480, 0);
      ihdr.writeUInt32BE(600, 4);
      ihdr[8] = 8;
      ihdr[9] = 2;
      const start = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        pngChunk("IHDR", ihdr),
      ]);
      const end = pngChunk("IEND", Buffer.alloc(0));
      for (const png of [Buffer.concat([start, pngChunk("IDAT", Buffer.alloc(0)), end]), Buffer.concat([start, end])]) {
        await expectPhotoError(() => decodePhoto(png), /^image is corrupt or truncated$/);
      }
      const photo = await encodeJpeg(quadrants(320, 240), 90);
      const mid = Math.floor(photo.length / 2);
      const fakeRestarts = Buffer.from(photo);
      for (let i = mid; i < mid + 40; i += 2) fakeRestarts.set([0xff, 0xd3], i);
      const smeared = Buffer.from(photo).fill(0xff, mid, mid + 200);
      for (const jpeg of [fakeRestarts, smeared]) {
        await expectPhotoError(() => decodePhoto(jpeg), /^image is corrupt or truncated$/);
      }
    });

    it("refuses headers claiming 65500x65500, 1x100000000 and 100000x100000 at once", async () => {
      const photo = await encodeJpeg(quadrants(48, 32), 90);
      const sof = photo.indexOf(Buffer.from([0xff, 0xc0]));
      const jpeg = Buffer.from(photo);
      jpeg.writeUInt16BE(65500, sof + 5);
      jpeg.writeUInt16BE(65500, sof + 7);
      await expectPhotoError(() => decodePhoto(jpeg), /^image is too large \(65500x65500\)$/);
      for (const [w, h] of [
        [1, 100_000_000],
        [100_000, 100_000],
      ]) {
        const ihdr = Buffer.alloc(13);
        ihdr.writeUInt32BE(w, 0);
        ihdr.writeUInt32BE(h, 4);
        ihdr[8] = 8;
        ihdr[9] = 2;
        const png = Buffer.concat([
          Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
          pngChunk("IHDR", ihdr),
          pngChunk("IDAT", zlib.deflateSync(Buffer.alloc(1 << 16))),
          pngChunk("IEND", Buffer.alloc(0)),
        ]);
        await expectPhotoError(() => decodePhoto(png), new RegExp(`^image is too large \\(${w}x${h}\\)$`));
      }
    });
  });
});
