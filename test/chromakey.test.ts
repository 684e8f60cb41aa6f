import { expect } from "chai";
import { chromakey, DEFAULT_KEY_OPTIONS, keyPhoto } from "../pipeline/chromakey";
import { isPhotoError, type PhotoError } from "../pipeline/errors";
import { decodePhoto } from "../pipeline/image-input";
import { encodeJpeg } from "../pipeline/image-output";
import { alphaBounds } from "../pipeline/layout";
import { chromakeyPhoto, NO_SCREEN_REASON } from "../pipeline/stages";
import type { BlockStats } from "../pipeline/key-blocks";
import {
  clearCreaseRuns,
  dropCreasePixels,
  CREASE_BRIGHT,
  CREASE_CANDIDATE,
  CREASE_DARK,
  CREASE_SEED,
  creaseZone,
} from "../pipeline/key-cleanup";
import { coreLevels } from "../pipeline/key-core";
import { creaseShade, rawAlphaAt } from "../pipeline/key-matte";
import { addEdgePixel, clipAlpha, createEdgePixels, writeDespilled } from "../pipeline/key-unmix";
import { createForegroundMap } from "../pipeline/key-foreground";
import { mattePass } from "../pipeline/key-pass1";
import type { Plate } from "../pipeline/key-plate";
import { createRgba, type Rgba } from "../pipeline/rgba";
import { generateScene, type GroundTruth } from "./groundtruth/scene";
import { scoreKey } from "./groundtruth/metrics";
import type { ClothesColour } from "./groundtruth/subject";

const small = (
  seed: number,
  screen: "green" | "blue",
  clothes?: readonly [ClothesColour, ClothesColour, ClothesColour],
) => generateScene({ seed, width: 320, height: 400, screen, ...(clothes ? { clothes, striped: false } : {}) });

function alphaAt(img: Rgba, i: number): number {
  return img.data[4 * i + 3]! / 255;
}

/** An image filled by a function of (x, y) returning [r, g, b]. */
function paintImage(
  width: number,
  height: number,
  colour: (x: number, y: number) => readonly [number, number, number],
): Rgba {
  const img = createRgba(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colour(x, y);
      const o = 4 * (y * width + x);
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
      img.data[o + 3] = 255;
    }
  }
  return img;
}

describe("chromakey", function () {
  this.timeout(20_000);
  let green: GroundTruth;
  let blue: GroundTruth;
  let teal: GroundTruth;
  let olive: GroundTruth;

  before(async () => {
    green = await small(11, "green");
    blue = await small(12, "blue");
    teal = await small(13, "green", ["teal", "yellow", "olive"]);
    olive = await small(14, "green", ["olive", "yellow", "teal"]);
  });

  it("is pure and keeps the size", () => {
    const before = Uint8ClampedArray.from(green.observed.data);
    const out = chromakey(green.observed);
    expect(Buffer.from(green.observed.data).equals(Buffer.from(before))).to.equal(true);
    expect(out.width).to.equal(green.observed.width);
    expect(out.height).to.equal(green.observed.height);
    expect(out.data).to.not.equal(green.observed.data);
    expect(out.data.length).to.equal(green.observed.data.length);
  });

  it("gives a soft matte: hair, glass and motion blur get fractional alpha", () => {
    const out = chromakey(green.observed);
    let fractional = 0;
    for (let i = 0; i < green.alphaTrue.length; i++) {
      const a = alphaAt(out, i);
      if (a > 0.1 && a < 0.9) fractional++;
    }
    expect(fractional / green.alphaTrue.length).to.be.above(0.02);
  });

  for (const [name, scene] of [
    ["teal and yellow", () => teal],
    ["olive and yellow", () => olive],
  ] as const) {
    it(`keeps ${name} clothes whole`, () => {
      expectSolidTorso(scene());
    });
  }

  function expectSolidTorso(clothes: GroundTruth): void {
    const out = chromakey(clothes.observed);
    const { width, height } = out;
    let inside = 0;
    let solid = 0;
    // Torso pixels past the spill band at the edge (true alpha 1 over a 13x13 neighbourhood).
    for (let y = Math.floor(height * 0.65); y < height - 6; y++) {
      for (let x = 6; x < width - 6; x++) {
        let interior = true;
        for (let dy = -6; dy <= 6 && interior; dy += 3) {
          for (let dx = -6; dx <= 6 && interior; dx += 3)
            interior = clothes.alphaTrue[(y + dy) * width + x + dx]! >= 1 - 1e-6;
        }
        if (!interior) continue;
        inside++;
        if (alphaAt(out, y * width + x) >= 254 / 255) solid++;
      }
    }
    expect(inside).to.be.above(4000);
    expect(solid / inside).to.be.at.least(0.995);
  }

  it("keys a blue screen too", () => {
    const score = scoreKey(chromakey(blue.observed), blue.alphaTrue, blue.fgTrue);
    expect(score.alphaError).to.be.below(4);
    const forced = scoreKey(chromakey(blue.observed, { screen: "green" }), blue.alphaTrue, blue.fgTrue);
    expect(forced.alphaError).to.be.above(10);
  });

  it("leaves no screen colour on semi-transparent pixels (hair, glass) or anywhere else", () => {
    for (const [scene, key, others] of [
      [green, 1, [0, 2]],
      [blue, 2, [0, 1]],
    ] as const) {
      const out = chromakey(scene.observed);
      let excess = 0;
      let count = 0;
      for (let i = 0; i < scene.alphaTrue.length; i++) {
        const a = alphaAt(out, i);
        if (a <= 0.05) continue;
        const o = 4 * i;
        excess += Math.max(0, out.data[o + key]! - Math.max(out.data[o + others[0]]!, out.data[o + others[1]]!));
        count++;
      }
      expect(count).to.be.above(1000);
      expect(excess / count).to.be.below(0.5);
    }
  });

  it("removes unevenly lit and shadowed screen completely", () => {
    // A screen from bright to dim, with a dark shadow blob, and a grey card in the middle.
    const w = 300;
    const h = 200;
    const img = paintImage(w, h, (x, y) => {
      if (x >= 130 && x < 170 && y >= 70 && y < 130) return [128, 128, 128];
      const light = (1.1 - 0.6 * (x / w)) * (1 - 0.45 * Math.exp(-((x - 220) ** 2 + (y - 100) ** 2) / 1200));
      return [40 * light, 175 * light, 70 * light];
    });
    const out = chromakey(img);
    let leaked = 0;
    let screen = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (x >= 126 && x < 174 && y >= 66 && y < 134) continue;
        screen++;
        if (alphaAt(out, y * w + x) > 0) leaked++;
      }
    }
    expect(leaked / screen).to.be.below(0.002);
    expect(alphaAt(out, 100 * w + 150)).to.equal(1);
    // The shadow's centre, which is darker than the card's neighbourhood.
    expect(alphaAt(out, 100 * w + 220)).to.equal(0);
  });

  it("returns a photo with no screen unchanged and fully opaque", () => {
    const img = paintImage(120, 90, (x, y) => [220 - x / 2, 150 - y / 2, 90 + ((x * y) % 50)]);
    const out = chromakey(img);
    expect(Buffer.from(out.data).equals(Buffer.from(img.data))).to.equal(true);
  });

  it("copes with a tiny image", () => {
    const one = paintImage(1, 1, () => [20, 200, 40]);
    expect(chromakey(one).data.length).to.equal(4);
    expect(chromakey(createRgba(0, 0)).data.length).to.equal(0);
  });

  it("responds to its options", () => {
    const count = (img: Rgba, test: (a: number) => boolean) => {
      let n = 0;
      for (let i = 3; i < img.data.length; i += 4) if (test(img.data[i]! / 255)) n++;
      return n;
    };
    const base = chromakey(green.observed);
    const harder = chromakey(green.observed, { clipWhite: 0.6 });
    expect(count(harder, (a) => a >= 1)).to.be.above(count(base, (a) => a >= 1));
    const eaten = chromakey(green.observed, { clipBlack: 0.5 });
    expect(count(eaten, (a) => a > 0)).to.be.below(count(base, (a) => a > 0));
    const spilled = chromakey(green.observed, { spillSuppression: 0 });
    let excess = 0;
    for (let o = 0; o < spilled.data.length; o += 4) {
      if (spilled.data[o + 3]! > 13)
        excess += Math.max(0, spilled.data[o + 1]! - Math.max(spilled.data[o]!, spilled.data[o + 2]!));
    }
    expect(excess).to.be.above(0);
    expect(
      chromakey(green.observed, { minScreenFraction: 0.99 }).data.every((v, i) => i % 4 !== 3 || v === 255),
    ).to.equal(true);
  });

  it("refuses invalid options with a one-line message", () => {
    expect(() => chromakey(green.observed, { clipBlack: 0.9, clipWhite: 0.5 })).to.throw(/clipBlack/);
    expect(() => chromakey(green.observed, { screen: "red" as "green" })).to.throw(/screen/);
    expect(() => chromakey(green.observed, { plateCells: 0 })).to.throw(/plateCells/);
    expect(DEFAULT_KEY_OPTIONS.clipBlack).to.be.below(DEFAULT_KEY_OPTIONS.clipWhite);
  });
});

describe("chromakey: the screen's extent", function () {
  this.timeout(20_000);

  it("finds a screen that stops short of the frame on three sides, to within a few pixels", async () => {
    const truth = await generateScene({
      seed: 21,
      width: 320,
      height: 400,
      room: { left: 0.15, right: 0.1, top: 0.2 },
    });
    const { extent } = keyPhoto(truth.observed);
    expect(extent.x0).to.be.closeTo(Math.round(0.15 * 320), 3);
    expect(extent.x1).to.be.closeTo(320 - Math.round(0.1 * 320), 3);
    expect(extent.y0).to.be.closeTo(Math.round(0.2 * 400), 3);
  });

  it("cuts nothing when the screen fills the frame, nor beside a guest who fills one side", async () => {
    expect(keyPhoto((await small(15, "green")).observed).extent).to.deep.equal({ x0: 0, x1: 320, y0: 0 });
    // A guest standing at the left edge, their outline curved: no straight boundary, no wall.
    const img = paintImage(200, 260, (x, y) => (x < 60 + 25 * Math.sin(y / 30) ? [200, 150, 120] : [40, 170, 70]));
    expect(keyPhoto(img).extent).to.deep.equal({ x0: 0, x1: 200, y0: 0 });
  });

  it("the stage cuts the PNG to the screen: an arm crossing onto the wall then touches the picture's side", async () => {
    const truth = await generateScene({
      seed: 22,
      width: 320,
      height: 400,
      room: { left: 0.15, right: 0.1, top: 0.1 },
      reach: "left",
    });
    const png = await chromakeyPhoto(truth.jpeg);
    const keyed = await decodePhoto(png);
    expect(keyed.width).to.be.closeTo(320 - 48 - 32, 4);
    expect(keyed.height).to.be.closeTo(360, 4);
    expect(alphaBounds(keyed)!.x).to.equal(0);
  });

  it("the stage refuses an ordinary selfie with no screen, with a reason the guest can act on", async () => {
    const selfie = paintImage(300, 400, (x, y) =>
      (x - 150) ** 2 / 80 ** 2 + (y - 180) ** 2 / 100 ** 2 < 1 ? [224, 172, 135] : [200 - y / 8, 190 - y / 8, 170],
    );
    const err = await chromakeyPhoto(await encodeJpeg(selfie)).then(
      () => expect.fail("a photo with no screen should be refused"),
      (e: unknown) => e,
    );
    expect(isPhotoError(err)).to.equal(true);
    expect((err as PhotoError).reason)
      .to.equal(NO_SCREEN_REASON)
      .and.match(/screen/);
  });
});

describe("chromakey: clothes of the screen's colour", function () {
  this.timeout(20_000);
  // A bright green shirt covering more of the photo than the screen itself does.
  const shirt = (x: number, y: number): boolean => (x - 100) ** 2 / 100 ** 2 + (y - 290) ** 2 / 220 ** 2 < 1;
  const photo = paintImage(200, 260, (x, y) => {
    const n = ((x * 7 + y * 13) % 9) - 4;
    return shirt(x, y) ? [96 + n, 214 + n, 58 + n] : [40 + n, 165 + n, 70 + n];
  });

  it("takes the screen's colour from the screen, so the background keys clean whatever the guest wears", () => {
    const out = chromakey(photo);
    let sum = 0;
    let n = 0;
    for (let y = 0; y < 260; y++) {
      for (let x = 0; x < 200; x++) {
        if (shirt(x, y) || y > 60) continue;
        sum += alphaAt(out, y * 200 + x);
        n++;
      }
    }
    expect(sum / n).to.be.at.most(0.01);
  });

  it("gives the guest a hint when their clothes keyed out with the screen, and none otherwise", async () => {
    expect(keyPhoto(photo).hint)
      .to.match(/green screen/)
      .and.match(/wear something that isn't green/);
    expect(keyPhoto((await small(16, "green")).observed).hint).to.equal(undefined);
    expect(keyPhoto((await small(17, "blue")).observed).hint).to.equal(undefined);
  });
});

describe("chromakey passes, one by one", () => {
  const plateGreen = Float32Array.from([40, 165, 70]);
  const pixel = (r: number, g: number, b: number) => Uint8ClampedArray.from([r, g, b, 255]);

  it("raw matte: 0 on the plate's colour, 1 or more on a colour far from it, fractional on a mix", () => {
    expect(rawAlphaAt(pixel(40, 165, 70), 0, plateGreen, 0, 1, 0, 2)).to.be.closeTo(0, 1e-6);
    expect(rawAlphaAt(pixel(200, 150, 120), 0, plateGreen, 0, 1, 0, 2)).to.be.at.least(1);
    const half = rawAlphaAt(pixel(120, 158, 95), 0, plateGreen, 0, 1, 0, 2);
    expect(half).to.be.within(0.3, 0.7);
  });

  it("crease test: a darker pixel of the plate's own chroma is screen; a dark strand's mix is not", () => {
    expect(creaseShade(pixel(20, 82, 35), 0, plateGreen, 0, 1, 0, 2, CREASE_DARK)).to.equal(0);
    // Strands of dark-brown hair over the screen shift the chroma towards the hair's: a half-transparent
    // one keeps most of its alpha, a denser one all of it.
    const strand = (h: number) =>
      [26, 21, 18].map((c, k) => Math.round(h * c + (1 - h) * plateGreen[k]!)) as [number, number, number];
    expect(creaseShade(pixel(...strand(0.5)), 0, plateGreen, 0, 1, 0, 2, CREASE_DARK)).to.be.at.least(0.5);
    expect(creaseShade(pixel(...strand(0.6)), 0, plateGreen, 0, 1, 0, 2, CREASE_DARK)).to.equal(1);
    // Brighter than the plate: never a crease.
    expect(creaseShade(pixel(60, 200, 90), 0, plateGreen, 0, 1, 0, 2, CREASE_DARK)).to.equal(1);
  });

  it("hot-spot test: the plate washed out by neutral light is screen; a light strand's mix, or a more saturated screen, is not", () => {
    const both = CREASE_DARK | CREASE_BRIGHT;
    const mix = (w: number, over: readonly number[]) =>
      over.map((c, k) => Math.round(w * c + (1 - w) * plateGreen[k]!)) as [number, number, number];
    expect(creaseShade(pixel(...mix(0.5, [240, 240, 240])), 0, plateGreen, 0, 1, 0, 2, both)).to.equal(0);
    expect(creaseShade(pixel(...mix(0.2, [250, 250, 250])), 0, plateGreen, 0, 1, 0, 2, both)).to.equal(0);
    // Only where the clean-up found a hot spot's smooth rise.
    expect(creaseShade(pixel(...mix(0.5, [240, 240, 240])), 0, plateGreen, 0, 1, 0, 2, CREASE_DARK)).to.equal(1);
    // Blond hair or skin half over the screen shifts the hue.
    expect(creaseShade(pixel(...mix(0.5, [230, 190, 120])), 0, plateGreen, 0, 1, 0, 2, both)).to.equal(1);
    expect(creaseShade(pixel(...mix(0.5, [225, 170, 140])), 0, plateGreen, 0, 1, 0, 2, both)).to.equal(1);
    // Brighter and more saturated than the plate: not washed out.
    expect(creaseShade(pixel(45, 200, 75), 0, plateGreen, 0, 1, 0, 2, both)).to.equal(1);
  });

  /** Block statistics of a raw matte painted by a function of the block's position (every block uniform). */
  function statsOf(cols: number, rows: number, raw: (c: number, r: number) => number): BlockStats {
    const n = cols * rows;
    const stats = {
      size: 8,
      cols,
      rows,
      total: new Uint32Array(n).fill(16),
      bare: new Uint32Array(n),
      part: new Uint32Array(n),
      solid: new Uint32Array(n),
      partSum: new Float32Array(n),
      column: new Int32Array(cols * 8).map((_, x) => Math.floor(x / 8)),
    };
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const b = r * cols + c;
        const v = raw(c, r);
        if (v < 0.08) stats.bare[b] = 16;
        else if (v < 0.87) {
          stats.part[b] = 16;
          stats.partSum[b] = 16 * v;
        } else stats.solid[b] = 16;
      }
    }
    return stats;
  }

  it("spill cores: a large fractional region deep inside the guest gets its opaque level; a small one does not", () => {
    // 64 x 64 blocks of 8 px (512 px): screen around a 40 x 40-block guest reading 0.5 (a spill-lit shirt).
    const inside = (c: number, r: number) => c >= 12 && c < 52 && r >= 24;
    const shirt = coreLevels(
      statsOf(64, 64, (c, r) => (inside(c, r) ? 0.5 : 0)),
      512,
      512,
    )!;
    expect(shirt[40 * 64 + 32]).to.be.closeTo(0.85 * 0.5, 1e-6);
    // A solid guest holding a 6 x 10-block glass reading 0.4: no core.
    const glass = (c: number, r: number) => c >= 40 && c < 46 && r >= 30 && r < 40;
    const held = statsOf(64, 64, (c, r) => (glass(c, r) ? 0.4 : inside(c, r) ? 1.2 : 0));
    expect(coreLevels(held, 512, 512)).to.equal(null);
  });

  it("pass 1: bare screen stays empty, opaque pixels are written and teach the subject map, fractional ones are listed for un-mixing", () => {
    // 24 x 8 px over a uniform plate: screen, a half mix, and an opaque orange patch, each a third of the row.
    const width = 24;
    const height = 8;
    const img = createRgba(width, height);
    const colours = [
      [40, 165, 70],
      [120, 158, 95],
      [200, 150, 120],
    ];
    for (let i = 0; i < width * height; i++) img.data.set([...colours[Math.floor((i % width) / 8)]!, 255], 4 * i);
    const plate: Plate = { cols: 1, rows: 1, cell: 32, rgb: Float32Array.from([40, 165, 70]) };
    const blocks = statsOf(3, 1, () => 0);
    const out = createRgba(width, height);
    const fgMap = createForegroundMap(width, height, 8);
    const { edges, rowHasEdge } = mattePass({
      ...{ img, out, key: 1, i0: 0, i1: 2, plate, blocks, cores: null, creases: new Uint8Array(3) },
      ...{ clipBlack: 0.08, clipWhite: 0.87, spill: 1, fgMap },
    });
    const at = (x: number, y: number) => [...out.data.subarray(4 * (y * width + x), 4 * (y * width + x) + 4)];
    expect(at(3, 4)).to.deep.equal([0, 0, 0, 0]);
    expect(at(20, 4)).to.deep.equal([200, 150, 120, 255]);
    expect([...fgMap.solid]).to.deep.equal([0, 0, 64]);
    expect(fgMap.weight[2]).to.be.above(0);
    // The mix (columns 8-15) is listed in scan order, with its raw alpha and alpha.
    expect(edges.count).to.equal(8 * 8);
    expect([...edges.index.subarray(0, 3)]).to.deep.equal([8, 9, 10]);
    expect(edges.raw[0]).to.be.within(0.3, 0.7);
    expect(edges.alpha[0]).to.equal(Math.fround(clipAlpha(edges.raw[0]!, 0.08, 0.87)));
    expect([...rowHasEdge]).to.deep.equal(new Array(height).fill(1));
  });

  it("edge list: grows past its first capacity and keeps the order", () => {
    const list = createEdgePixels(2);
    for (let i = 0; i < 5; i++) addEdgePixel(list, 10 * i, i / 10, i / 20);
    expect(list.count).to.equal(5);
    expect([...list.index.subarray(0, 5)]).to.deep.equal([0, 10, 20, 30, 40]);
    expect(list.raw[4]).to.be.closeTo(0.4, 1e-6);
    expect(list.alpha[4]).to.be.closeTo(0.2, 1e-6);
  });

  it("crease zone: only blocks well away from anything solid", () => {
    const stats = statsOf(64, 64, (c, r) => (c >= 24 && c < 40 && r >= 32 ? 1.2 : 0));
    const zone = creaseZone(stats, 512, 512, null);
    expect(zone[10 * 64 + 2]! & CREASE_DARK).to.equal(CREASE_DARK);
    expect(zone[40 * 64 + 30]).to.equal(0);
    expect(zone[40 * 64 + 22]).to.equal(0);
  });

  it("crease runs: a fold running on from the open screen to the guest is cleared; a strand of the guest is not", () => {
    // 40 x 10: a diagonal fold keyed out on the left (seeds) running on as candidates up to x = 30; a
    // separate strand of candidates (x 34-38) touching nothing keyed out.
    const width = 40;
    const height = 10;
    const marks = new Uint8Array(width * height);
    for (let x = 0; x <= 30; x++) marks[(x >> 2) * width + x] = x < 10 ? CREASE_SEED : CREASE_CANDIDATE;
    for (let x = 34; x <= 38; x++) marks[5 * width + x] = CREASE_CANDIDATE;
    clearCreaseRuns(marks, width, height);
    expect(marks[7 * width + 30]).to.equal(CREASE_SEED);
    expect(marks[(20 >> 2) * width + 20]).to.equal(CREASE_SEED);
    expect(marks[5 * width + 36]).to.equal(CREASE_CANDIDATE);
    expect(marks[0]).to.equal(CREASE_SEED);
    expect(marks[9 * width]).to.equal(0);

    // Pass 2 then leaves the cleared pixels alone: they come off its list.
    const edges = createEdgePixels(4);
    for (const i of [5 * width + 36, 7 * width + 30, 9 * width]) addEdgePixel(edges, i, 0.3, 0.3);
    dropCreasePixels(edges, marks);
    expect(Array.from(edges.index.subarray(0, edges.count))).to.deep.equal([5 * width + 36, 9 * width]);
  });

  it("hot-spot zone: a smooth rise out of bare screen; not a shirt's edge, nor the inside of a glass", () => {
    // 128 x 128 blocks of 8 px (1024 px). A washed-out spot peaking at 0.6 (sigma 60 px) top left; a
    // fractional shirt (0.5, spill-lit) bottom left; a glass (walls 0.5, inside 0.12 with clear patches) right.
    const spot = (c: number, r: number) => 0.6 * Math.exp(-((c - 30) ** 2 + (r - 30) ** 2) / (2 * 7.5 ** 2));
    const shirt = (c: number, r: number) => c >= 10 && c < 50 && r >= 80;
    const glass = (c: number, r: number) => c >= 90 && c < 110 && r >= 40 && r < 100;
    const inGlass = (c: number, r: number) => c >= 92 && c < 108 && r >= 42 && r < 98;
    const stats = statsOf(128, 128, (c, r) =>
      shirt(c, r) ? 0.5 : inGlass(c, r) ? ((c + r) % 5 === 0 ? 0 : 0.12) : glass(c, r) ? 0.5 : spot(c, r),
    );
    const zone = creaseZone(stats, 1024, 1024, null);
    const bright = (c: number, r: number) => zone[r * 128 + c]! & CREASE_BRIGHT;
    expect(bright(30, 30), "the spot's peak").to.equal(CREASE_BRIGHT);
    expect(bright(38, 30), "its flank").to.equal(CREASE_BRIGHT);
    expect(bright(30, 100), "the shirt").to.equal(0);
    expect(bright(10, 100), "the shirt's edge").to.equal(0);
    expect(bright(100, 70), "the glass").to.equal(0);
  });
});

describe("chromakey: un-mixing helpers", () => {
  it("clipAlpha: nothing below clipBlack, everything above clipWhite, rising in between", () => {
    expect(clipAlpha(0.05, 0.08, 0.87)).to.equal(0);
    expect(clipAlpha(0.9, 0.08, 0.87)).to.equal(1);
    let last = 0;
    for (let raw = 0.08; raw <= 0.87; raw += 0.01) {
      const a = clipAlpha(raw, 0.08, 0.87);
      expect(a).to.be.at.least(last);
      last = a;
    }
    expect(clipAlpha(0.5, 0.08, 0.87)).to.be.closeTo(0.5, 0.05);
  });

  it("writeDespilled: the screen channel no higher than the others allow, more so the fainter the pixel", () => {
    const out = new Uint8ClampedArray(4);
    writeDespilled(out, 0, 200, 240, 180, 1, 0, 2, 1, 1);
    expect(Array.from(out.subarray(0, 3))).to.deep.equal([200, 200, 180]);
    writeDespilled(out, 0, 200, 240, 180, 1, 0, 2, 1, 0);
    expect(Array.from(out.subarray(0, 3))).to.deep.equal([200, 190, 180]);
    writeDespilled(out, 0, 120, 100, 90, 1, 0, 2, 1, 1);
    expect(Array.from(out.subarray(0, 3))).to.deep.equal([120, 100, 90]);
  });
});
