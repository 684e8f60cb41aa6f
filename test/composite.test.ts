import { expect } from "chai";
import * as path from "node:path";
import { GlobalFonts } from "@napi-rs/canvas";
import { findAssetsDir } from "../pipeline/assets";
import { composite, fitText, THEMES, chooseTheme } from "../pipeline/composite";
import { PhotoError } from "../pipeline/errors";
import { readImageHeader } from "../pipeline/image-input";
import { encodeJpeg } from "../pipeline/image-output";
import { alphaBounds, cutSides, layoutSubject, MAX_UPSCALE } from "../pipeline/layout";
import { createRgba, type Rgba } from "../pipeline/rgba";
import {
  BANNER,
  BANNER_TEXT,
  FONT_FAMILY,
  FRAME_BORDER,
  OUTPUT_HEIGHT,
  OUTPUT_WIDTH,
  SUBJECT_AREA,
  resolveTheme,
  type Box,
} from "../pipeline/themes";

const REPO = path.join(__dirname, "..");
const AREA_BOTTOM = SUBJECT_AREA.y + SUBJECT_AREA.height;

/** A subject image with an opaque rectangle of one colour on a transparent field. */
function subjectWith(width: number, height: number, box: Box, rgb: [number, number, number] = [255, 0, 255]): Rgba {
  const img = createRgba(width, height);
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let x = box.x; x < box.x + box.width; x++) img.data.set([...rgb, 255], (y * width + x) * 4);
  }
  return img;
}

function pixel(img: Rgba, x: number, y: number): number[] {
  const i = (Math.round(y) * img.width + Math.round(x)) * 4;
  return Array.from(img.data.subarray(i, i + 4));
}

function expectInside(inner: Box, outer: Box): void {
  const eps = 1e-9;
  expect(inner.x).to.be.at.least(outer.x - eps);
  expect(inner.y).to.be.at.least(outer.y - eps);
  expect(inner.x + inner.width).to.be.at.most(outer.x + outer.width + eps);
  expect(inner.y + inner.height).to.be.at.most(outer.y + outer.height + eps);
}

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("layout", () => {
  it("fits a portrait subject by height, centred, standing on the area's bottom edge", () => {
    const p = layoutSubject({ x: 100, y: 50, width: 600, height: 1200 }, SUBJECT_AREA);
    expect(p.target.height).to.be.closeTo(SUBJECT_AREA.height, 1e-9);
    expect(p.target.width / p.target.height).to.be.closeTo(0.5, 1e-9);
    expect(p.target.y + p.target.height).to.be.closeTo(AREA_BOTTOM, 1e-9);
    expect(p.target.x + p.target.width / 2).to.be.closeTo(SUBJECT_AREA.x + SUBJECT_AREA.width / 2, 1e-9);
    expectInside(p.target, SUBJECT_AREA);
    expect(p.source).to.deep.equal({ x: 100, y: 50, width: 600, height: 1200 });
  });

  it("fits a landscape group by width, still standing on the bottom edge", () => {
    const p = layoutSubject({ x: 0, y: 300, width: 2000, height: 700 }, SUBJECT_AREA);
    expect(p.target.width).to.be.closeTo(SUBJECT_AREA.width, 1e-9);
    expect(p.target.height).to.be.closeTo((700 * SUBJECT_AREA.width) / 2000, 1e-9);
    expect(p.target.y + p.target.height).to.be.closeTo(AREA_BOTTOM, 1e-9);
    expectInside(p.target, SUBJECT_AREA);
  });

  it("enlarges a tiny subject at most MAX_UPSCALE times", () => {
    const p = layoutSubject({ x: 5, y: 5, width: 20, height: 30 }, SUBJECT_AREA);
    expect(p.scale).to.equal(MAX_UPSCALE);
    expect([p.target.width, p.target.height]).to.deep.equal([20 * MAX_UPSCALE, 30 * MAX_UPSCALE]);
    expect(p.target.y + p.target.height).to.equal(AREA_BOTTOM);
    expect(layoutSubject({ x: 0, y: 0, width: 20, height: 30 }, SUBJECT_AREA, { maxUpscale: 1 }).scale).to.equal(1);
  });

  it("keeps every subject whole inside the area, aspect unchanged", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    for (let i = 0; i < 500; i++) {
      const bounds = { x: 0, y: 0, width: 1 + Math.floor(random() * 3000), height: 1 + Math.floor(random() * 3000) };
      const p = layoutSubject(bounds, SUBJECT_AREA);
      expectInside(p.target, SUBJECT_AREA);
      expect(p.target.width / p.target.height).to.be.closeTo(
        bounds.width / bounds.height,
        1e-6 * (bounds.width / bounds.height),
      );
      expect(p.target.y + p.target.height).to.be.closeTo(AREA_BOTTOM, 1e-9);
      // as large as allowed: it touches the area's sides or top, or is at the upscale limit
      const touches =
        Math.abs(p.target.width - SUBJECT_AREA.width) < 1e-6 || Math.abs(p.target.height - SUBJECT_AREA.height) < 1e-6;
      expect(touches || p.scale === MAX_UPSCALE).to.equal(true);
    }
  });

  it("sinks a subject cut off at the bottom by the given depth, same size", () => {
    const bounds = { x: 0, y: 0, width: 500, height: 800 };
    const plain = layoutSubject(bounds, SUBJECT_AREA);
    const sunk = layoutSubject(bounds, SUBJECT_AREA, { sinkBottom: 40 });
    expect(sunk.target.y).to.equal(plain.target.y + 40);
    expect(sunk.target.height).to.equal(plain.target.height);
  });

  it("refuses empty bounds", () => {
    expect(() => layoutSubject({ x: 0, y: 0, width: 0, height: 10 }, SUBJECT_AREA)).to.throw(RangeError);
  });

  it("alphaBounds finds the visible subject and ignores faint fringe", () => {
    const img = subjectWith(50, 40, { x: 10, y: 5, width: 20, height: 30 });
    img.data[(39 * 50 + 49) * 4 + 3] = 10; // faint speck in a corner
    expect(alphaBounds(img)).to.deep.equal({ x: 10, y: 5, width: 20, height: 30 });
    expect(alphaBounds(img, 5)).to.deep.equal({ x: 10, y: 5, width: 40, height: 35 });
    expect(alphaBounds(createRgba(8, 8))).to.equal(undefined);
  });
});

describe("themes", () => {
  it("chooses the same theme for the same photo id, on any run", () => {
    expect(THEMES).to.have.length.at.least(3);
    for (const id of ["3f2a9c1e-0000-4000-8000-000000000000", "a", "photo-42"]) {
      expect(chooseTheme(id)).to.equal(chooseTheme(id));
      expect(THEMES).to.include(chooseTheme(id));
    }
    // pinned: FNV-1a of the UTF-8 id, modulo the theme count
    expect(["a", "b", "c", "d"].map(chooseTheme)).to.deep.equal([
      "rollercoaster",
      "rollercoaster",
      "tropical",
      "rollercoaster",
    ]);
  });

  it("spreads photo ids over all themes", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++)
      counts.set(chooseTheme(`photo-${i}`), (counts.get(chooseTheme(`photo-${i}`)) ?? 0) + 1);
    for (const theme of THEMES) expect(counts.get(theme) ?? 0, theme).to.be.above(60);
  });

  it("an unknown theme is an error that lists the known ones", () => {
    expect(() => resolveTheme("x", "moon")).to.throw(
      'unknown theme "moon"; known themes: castle, rollercoaster, tropical',
    );
    expect(resolveTheme("x", "castle")).to.equal("castle");
    expect(resolveTheme("x", undefined)).to.equal(chooseTheme("x"));
  });

  it("fitText shrinks a long name, then cuts it with an ellipsis", () => {
    const measure = (text: string, px: number) => Array.from(text).length * px * 0.6;
    expect(fitText(measure, "Fun Park", 740)).to.deep.equal({ text: "Fun Park", px: 64 });
    expect(fitText(measure, "x".repeat(30), 740).px).to.be.below(64);
    const long = fitText(measure, "Wonderland ".repeat(10), 740);
    expect(long.text.endsWith("…")).to.equal(true);
    expect(measure(long.text, long.px)).to.be.at.most(740);
  });
});

describe("assets", () => {
  it("are found walking up from pipeline/ and from dist/pipeline/", () => {
    const want = path.join(REPO, "assets");
    expect(findAssetsDir({}, path.join(REPO, "pipeline"))).to.equal(want);
    expect(findAssetsDir({}, path.join(REPO, "dist", "pipeline"))).to.equal(want);
  });

  it("ASSETS_DIR overrides, and a wrong one is a clear error", () => {
    expect(findAssetsDir({ ASSETS_DIR: path.join(REPO, "assets") }, "/")).to.equal(path.join(REPO, "assets"));
    expect(() => findAssetsDir({ ASSETS_DIR: "/nonexistent" })).to.throw(/ASSETS_DIR=\/nonexistent does not hold/);
    expect(() => findAssetsDir({}, "/")).to.throw(/set ASSETS_DIR/);
  });
});

/** A guest (body standing on the bottom edge) with an arm or head cut off by one side of the photo. */
function cutGuest(width: number, height: number, side: "left" | "right" | "top"): Rgba {
  const img = subjectWith(width, height, {
    x: Math.round(width * 0.38),
    y: side === "top" ? 0 : Math.round(height * 0.3),
    width: Math.round(width * 0.24),
    height: side === "top" ? height : height - Math.round(height * 0.3),
  });
  if (side === "top") return img;
  const arm = { x: 0, y: Math.round(height * 0.42), width: Math.round(width * 0.4), height: Math.round(height * 0.06) };
  if (side === "right") arm.x = width - arm.width;
  const withArm = subjectWith(width, height, arm);
  for (let i = 3; i < img.data.length; i += 4) {
    if (withArm.data[i]) img.data.set(withArm.data.subarray(i - 3, i + 1), i - 3);
  }
  return img;
}

const isMagenta = ([r, g, b]: number[]): boolean => r! > 200 && g! < 40 && b! > 200;

describe("composite: guests cut off by the photo's edge", function () {
  this.timeout(30000);
  // Just inside the frame (its inner stroke shades the first pixels).
  const just = FRAME_BORDER + 12;
  for (const [label, w, h] of [
    ["portrait", 600, 800],
    ["landscape", 960, 640],
  ] as const) {
    for (const theme of THEMES) {
      it(`${label}, ${theme}: an arm cut by the left or right side, a head cut by the top, run off the souvenir's edge`, async () => {
        for (const side of ["left", "right", "top"] as const) {
          const out = await composite(cutGuest(w, h, side), { photoId: "edge", theme });
          let reaches = false;
          if (side === "top") {
            for (let x = just; x < OUTPUT_WIDTH - just && !reaches; x++) reaches = isMagenta(pixel(out, x, just));
          } else {
            const x = side === "left" ? just : OUTPUT_WIDTH - 1 - just;
            for (let y = just; y < BANNER.y && !reaches; y++) reaches = isMagenta(pixel(out, x, y));
          }
          expect(reaches, `${side}: the guest should reach the souvenir's ${side} edge`).to.equal(true);
        }
      });
    }
  }

  it("counts a side as cut only where the guest is solid along it, not a stray strand or speck", () => {
    const img = cutGuest(600, 800, "left");
    expect(cutSides(img)).to.deep.equal({ left: true, right: false, top: false });
    // A faint strand reaching the top and a one-pixel speck on the right are no cut.
    for (let x = 250; x < 260; x++) img.data[x * 4 + 3] = 60;
    img.data[(400 * 600 + 599) * 4 + 3] = 255;
    expect(cutSides(img)).to.deep.equal({ left: true, right: false, top: false });
    expect(cutSides(cutGuest(600, 800, "top")).top).to.equal(true);
  });

  it("lays a cut side on the page's edge, keeps the guest standing on the bottom, and aspect unchanged", () => {
    const page = { x: 0, y: 0, width: OUTPUT_WIDTH, height: OUTPUT_HEIGHT };
    const bounds = { x: 0, y: 200, width: 400, height: 600 };
    const left = layoutSubject(bounds, SUBJECT_AREA, { cut: { left: true }, page });
    expect(left.target.x).to.be.at.most(0);
    expect(left.target.y + left.target.height).to.be.closeTo(AREA_BOTTOM, 1e-9);
    expect(left.target.width / left.target.height).to.be.closeTo(400 / 600, 1e-9);
    const right = layoutSubject(bounds, SUBJECT_AREA, { cut: { right: true }, page });
    expect(right.target.x + right.target.width).to.be.at.least(OUTPUT_WIDTH);
    const top = layoutSubject({ x: 10, y: 0, width: 300, height: 200 }, SUBJECT_AREA, { cut: { top: true }, page });
    expect(top.target.y).to.be.at.most(0);
    expect(top.target.y + top.target.height).to.be.closeTo(AREA_BOTTOM, 1e-9);
    const both = layoutSubject({ x: 0, y: 0, width: 100, height: 100 }, SUBJECT_AREA, {
      cut: { left: true, right: true },
      page,
    });
    expect(both.target.x).to.be.at.most(0);
    expect(both.target.x + both.target.width).to.be.at.least(OUTPUT_WIDTH);
  });
});

describe("composite", function () {
  // The first call loads and decodes the assets.
  this.timeout(20000);

  const subjectBox = { x: 200, y: 100, width: 400, height: 700 };
  const subject = subjectWith(800, 1000, subjectBox, [255, 0, 255]);

  it("makes an opaque 1080x1350 souvenir with the subject placed as laid out", async () => {
    const out = await composite(subject, { photoId: "p1", theme: "castle" });
    expect([out.width, out.height, out.data.length]).to.deep.equal([1080, 1350, 1080 * 1350 * 4]);
    for (let i = 3; i < out.data.length; i += 4) if (out.data[i] !== 255) expect.fail(`alpha ${out.data[i]} at ${i}`);
    const { target } = layoutSubject(subjectBox, SUBJECT_AREA);
    expect(pixel(out, target.x + target.width / 2, target.y + target.height / 2)).to.deep.equal([255, 0, 255, 255]);
    expect(pixel(out, target.x + 4, target.y + 4)).to.deep.equal([255, 0, 255, 255]);
    // outside the subject: the scene, not magenta
    expect(pixel(out, target.x - 10, target.y + 10)).not.to.deep.equal([255, 0, 255, 255]);
    expect(pixel(out, target.x + target.width + 10, target.y + 10)).not.to.deep.equal([255, 0, 255, 255]);
  });

  it("puts a guest cut off by the photo's bottom edge behind the banner", async () => {
    const cut = subjectWith(400, 500, { x: 100, y: 100, width: 200, height: 400 });
    const out = await composite(cut, { photoId: "p1", theme: "tropical" });
    // The plain layout would stop at the area's bottom (20 px above the banner); the cut
    // guest continues below it, into the banner's shadow, and on behind the banner.
    const { target } = layoutSubject({ x: 100, y: 100, width: 200, height: 400 }, SUBJECT_AREA);
    expect(target.y + target.height).to.equal(BANNER.y - 20);
    const [r, g, b] = pixel(out, target.x + 10, BANNER.y - 8);
    expect(r > 200 && g < 30 && b > 200, `${[r, g, b]} should be the magenta guest`).to.equal(true);
    const beside = pixel(out, target.x - 10, BANNER.y - 8);
    expect(beside[0] > 200 && beside[1] < 30 && beside[2] > 200, `${beside} should be the scene`).to.equal(false);
  });

  it("draws each theme differently, and the theme from the photo id when none is given", async () => {
    const outs = await Promise.all(THEMES.map((theme) => composite(subject, { photoId: "p1", theme })));
    for (let i = 1; i < outs.length; i++) expect(pixel(outs[i], 150, 300)).not.to.deep.equal(pixel(outs[0], 150, 300));
    const auto = await composite(subject, { photoId: "p1" });
    const chosen = outs[THEMES.indexOf(chooseTheme("p1"))];
    expect(Buffer.from(auto.data).equals(Buffer.from(chosen.data))).to.equal(true);
  });

  it("draws the park name in the banner with the shipped font", async () => {
    const a = await composite(subject, { photoId: "p1", theme: "castle", parkName: "Wonder Park" });
    const b = await composite(subject, { photoId: "p1", theme: "castle", parkName: "Galaxy Land" });
    expect(GlobalFonts.has(FONT_FAMILY)).to.equal(true);
    let inBanner = 0;
    let outside = 0;
    for (let y = 0; y < 1350; y++) {
      for (let x = 0; x < 1080; x++) {
        const i = (y * 1080 + x) * 4;
        if (a.data[i] === b.data[i] && a.data[i + 1] === b.data[i + 1] && a.data[i + 2] === b.data[i + 2]) continue;
        const inText =
          x >= BANNER_TEXT.x &&
          x < BANNER_TEXT.x + BANNER_TEXT.width &&
          y >= BANNER_TEXT.y &&
          y < BANNER_TEXT.y + BANNER_TEXT.height;
        if (inText) inBanner++;
        else outside++;
      }
    }
    expect(inBanner).to.be.above(2000);
    expect(outside).to.equal(0);
  });

  it("encodes to a 1080x1350 JPEG with no EXIF", async () => {
    const jpeg = await encodeJpeg(await composite(subject, { photoId: "p2" }));
    expect(await readImageHeader(jpeg)).to.include({ format: "jpeg", width: 1080, height: 1350 });
    expect(jpeg.indexOf(Buffer.from("Exif\0\0", "latin1"))).to.equal(-1);
  });

  it("refuses an unknown theme and an empty cut-out", async () => {
    const err = await rejection(() => composite(subject, { photoId: "p1", theme: "moon" }));
    expect((err as Error).message).to.equal('unknown theme "moon"; known themes: castle, rollercoaster, tropical');
    const empty = await rejection(() => composite(createRgba(100, 100), { photoId: "p1" }));
    expect(empty).to.be.instanceOf(PhotoError);
    expect((empty as PhotoError).reason).to.equal("no one was found in front of the green screen");
  });
});
