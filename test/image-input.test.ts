import { expect } from "chai";
import * as fs from "node:fs";
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
  patchJpegSize,
  pixel,
  pngChunk,
  quadrants,
  storeForOrientation,
  withExif,
  type Rgb,
} from "./support/images";

const FIXTURES = path.join(__dirname, "fixtures");

// ---- tests --------------------------------------------------------------------------

describe("image input", () => {
  let patternJpeg: Buffer;
  before(async () => {
    patternJpeg = await encodeJpeg(quadrants(48, 32), 95);
  });

  describe("readImageHeader", () => {
    it("reads JPEG and PNG sizes from their headers", async () => {
      expect(await readImageHeader(patternJpeg)).to.deep.equal({
        format: "jpeg",
        width: 48,
        height: 32,
        orientation: 1,
      });
      const png = await encodePng(quadrants(30, 20));
      expect(await readImageHeader(png)).to.deep.equal({ format: "png", width: 30, height: 20, orientation: 1 });
    });

    it("reads the EXIF orientation in both byte orders, before or after JFIF", async () => {
      for (let o = 1; o <= 8; o++) {
        expect((await readImageHeader(withExif(patternJpeg, o, true))).orientation).to.equal(o);
        expect((await readImageHeader(withExif(patternJpeg, o, false, true))).orientation).to.equal(o);
      }
    });

    it("treats damaged or out-of-range orientation metadata as upright", async () => {
      expect((await readImageHeader(withExif(patternJpeg, 9, true))).orientation).to.equal(1);
      const broken = withExif(patternJpeg, 6, true);
      broken[2 + 4 + 6 + 4] = 0xff; // IFD0 offset now points outside the segment
      expect((await readImageHeader(broken)).orientation).to.equal(1);
    });

    it("reads progressive and greyscale JPEGs", async () => {
      expect(await readImageHeader(fs.readFileSync(path.join(FIXTURES, "progressive.jpg")))).to.include({
        width: 64,
        height: 48,
      });
      expect(await readImageHeader(fs.readFileSync(path.join(FIXTURES, "greyscale.jpg")))).to.include({
        width: 64,
        height: 48,
      });
    });
  });

  describe("decodePhoto", () => {
    for (let o = 1; o <= 8; o++) {
      it(`turns EXIF orientation ${o} upright`, async () => {
        const upright = quadrants(48, 32);
        const stored = await encodeJpeg(storeForOrientation(upright, o), 95);
        for (const little of [true, false]) {
          const img = await decodePhoto(withExif(stored, o, little, !little));
          expect([img.width, img.height]).to.deep.equal([48, 32]);
          expectUprightQuadrants(img, 24, `orientation ${o}`);
        }
      });
    }

    it("decodes a progressive JPEG", async () => {
      const img = await decodePhoto(fs.readFileSync(path.join(FIXTURES, "progressive.jpg")));
      expect([img.width, img.height]).to.deep.equal([64, 48]);
      expectUprightQuadrants(img);
    });

    it("decodes a greyscale JPEG to grey RGBA", async () => {
      const img = await decodePhoto(fs.readFileSync(path.join(FIXTURES, "greyscale.jpg")));
      expect([img.width, img.height]).to.deep.equal([64, 48]);
      const [r, g, b, a] = pixel(img, 16, 12);
      expect(r).to.equal(g);
      expect(g).to.equal(b);
      expect(a).to.equal(255);
      // luma of the red quadrant (224,32,32) is about 89; of the yellow one about 210
      expect(r).to.be.within(75, 105);
      expect(pixel(img, 48, 36)[0]).to.be.within(195, 225);
    });

    it("decodes RGB, RGBA, palette and 16-bit PNGs", async () => {
      const w = 4;
      const rgb = makePng(w, 2, 2, 8, [Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]), Buffer.alloc(12, 200)]);
      let img = await decodePhoto(rgb);
      expect(pixel(img, 0, 0)).to.deep.equal([255, 0, 0, 255]);
      expect(pixel(img, 2, 0)).to.deep.equal([0, 0, 255, 255]);
      expect(pixel(img, 3, 1)).to.deep.equal([200, 200, 200, 255]);

      const rgba = makePng(2, 1, 6, 8, [Buffer.from([10, 20, 30, 255, 200, 100, 50, 0])]);
      img = await decodePhoto(rgba);
      expect(pixel(img, 0, 0)).to.deep.equal([10, 20, 30, 255]);
      expect(pixel(img, 1, 0)[3]).to.equal(0);

      const palette = pngChunk("PLTE", Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
      const trns = pngChunk("tRNS", Buffer.from([255, 255, 0]));
      const indexed = makePng(3, 1, 3, 8, [Buffer.from([0, 1, 2])], [palette, trns]);
      img = await decodePhoto(indexed);
      expect(pixel(img, 0, 0)).to.deep.equal([255, 0, 0, 255]);
      expect(pixel(img, 1, 0)).to.deep.equal([0, 255, 0, 255]);
      expect(pixel(img, 2, 0)[3]).to.equal(0);

      const deep = makePng(1, 1, 2, 16, [Buffer.from([0xff, 0xff, 0x80, 0x00, 0x00, 0x00])]);
      img = await decodePhoto(deep);
      expectColour(img, 0, 0, [255, 128, 0], 1);
    });

    it("scales down so the long side fits, keeping the aspect and the picture", async () => {
      const wide = await encodeJpeg(quadrants(3000, 1000), 90);
      let img = await decodePhoto(wide);
      expect([img.width, img.height]).to.deep.equal([2048, 683]);
      expectUprightQuadrants(img, 8);
      img = await decodePhoto(wide, { maxSide: 300 });
      expect([img.width, img.height]).to.deep.equal([300, 100]);
      expectUprightQuadrants(img, 8);
      // a turned photo is scaled by its upright long side
      const turned = withExif(await encodeJpeg(storeForOrientation(quadrants(600, 200), 6), 90), 6, true);
      img = await decodePhoto(turned, { maxSide: 300 });
      expect([img.width, img.height]).to.deep.equal([300, 100]);
      expectUprightQuadrants(img, 12);
    });

    it("converts a Display P3 photo to sRGB: it comes out as its sRGB twin", async () => {
      // Saturated primaries, where P3 and sRGB numbers differ most, and a skin tone.
      const colours: Rgb[] = [
        [0, 255, 0],
        [255, 0, 0],
        [32, 192, 64],
        [224, 172, 140],
      ];
      const img = createRgba(64, 16);
      for (let i = 0; i < img.data.length / 4; i++) img.data.set([...colours[Math.floor((i % 64) / 16)], 255], i * 4);
      const raw = { raw: { width: 64, height: 16, channels: 4 as const } };
      const twin = await sharp(Buffer.from(img.data), raw).jpeg({ quality: 95 }).toBuffer();
      const p3 = await sharp(Buffer.from(img.data), raw).withIccProfile("p3").jpeg({ quality: 95 }).toBuffer();
      // The P3 file stores other numbers: sRGB's pure green is (117, 251, 76) in Display P3, its red (234, 51, 35).
      const stored = await sharp(p3).keepIccProfile().raw().toBuffer();
      expect([...stored.subarray(8 * 3, 8 * 3 + 3)].map((v, k) => Math.abs(v - [117, 251, 76][k]))).to.satisfy(
        (d: number[]) => d.every((v) => v <= 4),
      );
      expect([...stored.subarray(24 * 3, 24 * 3 + 3)].map((v, k) => Math.abs(v - [234, 51, 35][k]))).to.satisfy(
        (d: number[]) => d.every((v) => v <= 4),
      );
      const [fromP3, fromTwin] = [await decodePhoto(p3), await decodePhoto(twin)];
      for (const [index, colour] of colours.entries()) {
        expectColour(fromP3, index * 16 + 8, 8, colour, 4, "P3");
        expectColour(fromP3, index * 16 + 8, 8, pixel(fromTwin, index * 16 + 8, 8).slice(0, 3) as Rgb, 3, "twin");
      }
    });

    it("turns a Display P3 photo upright too", async () => {
      const stored = storeForOrientation(quadrants(48, 32), 6);
      const raw = { raw: { width: stored.width, height: stored.height, channels: 4 as const } };
      const p3 = await sharp(Buffer.from(stored.data), raw)
        .withIccProfile("p3")
        .withMetadata({ orientation: 6 })
        .jpeg({ quality: 95 })
        .toBuffer();
      const img = await decodePhoto(p3);
      expect([img.width, img.height]).to.deep.equal([48, 32]);
      expectUprightQuadrants(img, 24);
    });

    it("never enlarges a small photo", async () => {
      const img = await decodePhoto(patternJpeg);
      expect([img.width, img.height]).to.deep.equal([48, 32]);
    });
  });

  describe("bad input", () => {
    it("refuses an empty file", async () => {
      await expectPhotoError(() => decodePhoto(new Uint8Array(0)), /^the file is empty$/);
    });

    it("refuses random bytes, text, GIF and WebP files as not an image", async () => {
      let seed = 1;
      const random = Buffer.alloc(4096).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
      const gif = Buffer.concat([Buffer.from("GIF89a", "latin1"), Buffer.from([1, 0, 1, 0, 0, 0, 0, 0x3b])]);
      const webp = Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8 ", "latin1");
      for (const bytes of [random, Buffer.from("hello, this is a text file\n"), gif, webp]) {
        await expectPhotoError(() => decodePhoto(bytes), /^not a JPEG or PNG image$/);
      }
    });

    it("refuses truncated and damaged JPEGs", async () => {
      const photo = await encodeJpeg(quadrants(200, 150), 90);
      for (const cut of [3, 20, Math.floor(photo.length * 0.6), photo.length - 2]) {
        await expectPhotoError(() => decodePhoto(photo.subarray(0, cut)), /^image is corrupt or truncated$/);
      }
      // no frame header at all: SOI, then EOI
      await expectPhotoError(() => decodePhoto(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), /corrupt or truncated/);
    });

    it("refuses truncated PNGs and PNGs whose data fails its checksum", async () => {
      const png = await encodePng(quadrants(64, 64));
      // Cuts that lose image data: the last IDAT chunk (with its CRC) ends where the 12-byte IEND begins.
      for (const cut of [8, 20, Math.floor(png.length * 0.6), png.length - 14]) {
        await expectPhotoError(() => decodePhoto(png.subarray(0, cut)), /^image is corrupt or truncated$/);
      }
      const damaged = Buffer.from(png);
      damaged[png.indexOf("IDAT") + 10] ^= 0x55;
      await expectPhotoError(() => decodePhoto(damaged), /^image is corrupt or truncated$/);
    });

    it("decodes a PNG cut only in its end marker, as browsers do: every pixel is there", async () => {
      const img = quadrants(64, 64);
      const png = await encodePng(img);
      const back = await decodePhoto(png.subarray(0, png.length - 4));
      expect(Buffer.from(back.data)).to.deep.equal(Buffer.from(img.data));
    });

    it("refuses a decompression bomb from its header, without allocating the pixels", async () => {
      const jpegBomb = patchJpegSize(patternJpeg, 60000, 60000);
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(60000, 0);
      ihdr.writeUInt32BE(60000, 4);
      ihdr[8] = 8;
      ihdr[9] = 2;
      const pngBomb = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        pngChunk("IHDR", ihdr),
        pngChunk("IDAT", zlib.deflateSync(Buffer.alloc(1 << 20))),
        pngChunk("IEND", Buffer.alloc(0)),
      ]);
      expect(pngBomb.length).to.be.below(5000);
      const before = process.memoryUsage().rss;
      for (const bomb of [jpegBomb, pngBomb]) {
        await expectPhotoError(async () => readImageHeader(bomb), /^image is too large \(60000x60000\)$/);
        await expectPhotoError(() => decodePhoto(bomb), /^image is too large \(60000x60000\)$/);
      }
      // 60000x60000 RGBA would be 14 GB; refusing from the header costs next to nothing
      expect(process.memoryUsage().rss - before).to.be.below(64 * 1024 * 1024);
    });

    it("refuses a strip whose short side falls under minSide once its long side is scaled to fit", async () => {
      const tooNarrow = /^image is too long and narrow \(200x4200\) for a souvenir$/;
      // 200 px passes minSide at full size, but fitting 4200 into 2048 leaves 98: the guest would be a sliver
      const strip = await encodeJpeg(quadrants(200, 4200), 80);
      await expectPhotoError(() => decodePhoto(strip, { minSide: 200 }), tooNarrow);
      // judged as it stands upright
      const lying = withExif(await encodeJpeg(storeForOrientation(quadrants(200, 4200), 6), 80), 6, true);
      await expectPhotoError(() => decodePhoto(lying, { minSide: 200 }), tooNarrow);
      // from the header: 200x250000 passes maxPixels and would decode to a 2x2048 line
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(200, 0);
      ihdr.writeUInt32BE(250000, 4);
      ihdr[8] = 8;
      ihdr[9] = 2;
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        pngChunk("IHDR", ihdr),
        pngChunk("IDAT", zlib.deflateSync(Buffer.alloc(601))),
        pngChunk("IEND", Buffer.alloc(0)),
      ]);
      await expectPhotoError(
        () => decodePhoto(png, { minSide: 200 }),
        /^image is too long and narrow \(200x250000\) for a souvenir$/,
      );
      // the narrowest that still scales to minSide is taken
      const img = await decodePhoto(await encodeJpeg(quadrants(410, 4200), 80), { minSide: 200 });
      expect([img.width, img.height]).to.deep.equal([200, 2048]);
    });

    it("honours a lower maxPixels", async () => {
      await expectPhotoError(() => decodePhoto(patternJpeg, { maxPixels: 1000 }), /^image is too large \(48x32\)$/);
      await expectPhotoError(
        async () => readImageHeader(patchJpegSize(patternJpeg, 40000, 10), 100_000),
        /too large \(40000x10\)/,
      );
    });
  });
});

describe("image output", () => {
  /** Minimal reader for the encoder's own output: 8-bit RGBA, Sub or None filters. */
  function readOwnPng(png: Buffer): Rgba {
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(png[24]).to.equal(8);
    expect(png[25]).to.equal(6);
    const chunks: Buffer[] = [];
    for (let pos = 8; pos < png.length;) {
      const len = png.readUInt32BE(pos);
      if (png.toString("latin1", pos + 4, pos + 8) === "IDAT") chunks.push(png.subarray(pos + 8, pos + 8 + len));
      pos += 12 + len;
    }
    const raw = zlib.inflateSync(Buffer.concat(chunks));
    const img = createRgba(width, height);
    const stride = width * 4;
    for (let y = 0; y < height; y++) {
      const filter = raw[y * (stride + 1)];
      expect(filter).to.be.oneOf([0, 1]);
      for (let i = 0; i < stride; i++) {
        const v = raw[y * (stride + 1) + 1 + i];
        const left = filter === 1 && i >= 4 ? img.data[y * stride + i - 4] : 0;
        img.data[y * stride + i] = (v + left) & 0xff;
      }
    }
    return img;
  }

  it("encodePng keeps straight alpha exactly, including colour under alpha 0 and 1", async () => {
    const img = createRgba(256, 3);
    for (let x = 0; x < 256; x++) {
      for (let y = 0; y < 3; y++) img.data.set([(x * 7 + y) & 255, 255 - x, (x * 13) & 255, x], (y * 256 + x) * 4);
    }
    const png = await encodePng(img);
    expect(Buffer.from(readOwnPng(png).data)).to.deep.equal(Buffer.from(img.data));
    expect(await readImageHeader(png)).to.deep.equal({ format: "png", width: 256, height: 3, orientation: 1 });
    // and a standard decoder reads it: opaque pixels come back exactly
    const back = await decodePhoto(png);
    expect(pixel(back, 255, 1)).to.deep.equal(pixel(img, 255, 1));
  });

  it("encodeJpeg writes a plain JPEG with no EXIF or XMP segment", async () => {
    const jpeg = await encodeJpeg(quadrants(40, 30));
    expect(await readImageHeader(jpeg)).to.deep.equal({ format: "jpeg", width: 40, height: 30, orientation: 1 });
    for (let pos = 2; jpeg[pos + 1] !== 0xda; pos += 2 + jpeg.readUInt16BE(pos + 2)) {
      expect(jpeg[pos + 1], `marker ff${jpeg[pos + 1].toString(16)}`).not.to.equal(0xe1);
    }
    expectUprightQuadrants(await decodePhoto(jpeg), 24);
  });

  it("rejects pixel buffers that do not match their size", async () => {
    const bad: Rgba = { width: 10, height: 10, data: new Uint8ClampedArray(10) };
    for (const encode of [encodePng, encodeJpeg]) {
      let caught: unknown;
      try {
        await encode(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(RangeError);
    }
  });
});
