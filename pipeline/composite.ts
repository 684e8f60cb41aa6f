/**
 * The souvenir: theme background, the keyed guest standing in it, the frame on top and the
 * park name on the frame's banner. Drawing is left to the canvas (scaling and blending in
 * native code); the decisions (theme, placement) are pure functions in themes.ts and layout.ts.
 */
import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import { loadAssets } from "./assets";
import { PhotoError } from "./errors";
import { decodePhoto } from "./image-input";
import { encodeJpeg } from "./image-output";
import { alphaBounds, cutSides, layoutSubject } from "./layout";
import type { Rgba } from "./rgba";
import {
  BANNER,
  BANNER_TEXT,
  DEFAULT_PARK_NAME,
  OUTPUT_HEIGHT,
  OUTPUT_WIDTH,
  SUBJECT_AREA,
  coverCrop,
  resolveTheme,
  type Box,
} from "./themes";

export { THEMES, chooseTheme, OUTPUT_WIDTH, OUTPUT_HEIGHT } from "./themes";
export { layoutSubject, alphaBounds } from "./layout";

export interface CompositeOptions {
  photoId: string;
  /** One of THEMES; default: chosen from photoId. */
  theme?: string;
  parkName?: string;
}

/** How deep a guest cut off by the photo's bottom edge reaches behind the banner. */
const BANNER_SINK = 24;
const MAX_FONT_PX = 64;
const MIN_FONT_PX = 26;

/** The bounding-box part of the subject as a canvas: only that much is premultiplied and scaled. */
function subjectCanvas(subject: Rgba, box: Box) {
  const canvas = createCanvas(box.width, box.height);
  const ctx = canvas.getContext("2d");
  const part = ctx.createImageData(box.width, box.height);
  const rowBytes = box.width * 4;
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * subject.width + box.x) * 4;
    part.data.set(subject.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  ctx.putImageData(part, 0, 0);
  return canvas;
}

/** Largest size that fits the banner; a name too long even at the smallest size is cut with an ellipsis. */
export function fitText(
  measure: (text: string, px: number) => number,
  text: string,
  maxWidth: number,
): { text: string; px: number } {
  for (let px = MAX_FONT_PX; px >= MIN_FONT_PX; px -= 2) {
    if (measure(text, px) <= maxWidth) return { text, px };
  }
  const chars = Array.from(text);
  while (chars.length > 1 && measure(chars.join("").trimEnd() + "…", MIN_FONT_PX) > maxWidth) chars.pop();
  return { text: chars.join("").trimEnd() + "…", px: MIN_FONT_PX };
}

function drawParkName(ctx: SKRSContext2D, name: string, family: string): void {
  const measure = (text: string, px: number): number => {
    ctx.font = `${px}px "${family}"`;
    return ctx.measureText(text).width;
  };
  const fitted = fitText(measure, name, BANNER_TEXT.width);
  ctx.font = `${fitted.px}px "${family}"`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillStyle = "#ffffff";
  ctx.shadowColor = "rgba(80,0,30,0.6)";
  ctx.shadowBlur = 6;
  ctx.shadowOffsetY = 3;
  ctx.fillText(fitted.text, BANNER_TEXT.x + BANNER_TEXT.width / 2, BANNER_TEXT.y + BANNER_TEXT.height / 2 + 2);
  ctx.shadowColor = "transparent";
}

export async function composite(subject: Rgba, opts: CompositeOptions): Promise<Rgba> {
  if (subject.data.length !== subject.width * subject.height * 4 || subject.width < 1 || subject.height < 1) {
    throw new RangeError(`subject is not a ${subject.width}x${subject.height} RGBA image`);
  }
  const theme = resolveTheme(opts.photoId, opts.theme);
  const parkName = opts.parkName?.replace(/\s+/g, " ").trim() || DEFAULT_PARK_NAME;
  const bounds = alphaBounds(subject);
  if (!bounds) throw new PhotoError("no one was found in front of the green screen");
  const cutOffAtBottom = bounds.y + bounds.height === subject.height;
  const placement = layoutSubject(bounds, SUBJECT_AREA, {
    sinkBottom: cutOffAtBottom ? BANNER.y + BANNER_SINK - (SUBJECT_AREA.y + SUBJECT_AREA.height) : 0,
    cut: cutSides(subject),
    page: { x: 0, y: 0, width: OUTPUT_WIDTH, height: OUTPUT_HEIGHT },
  });
  const assets = await loadAssets();
  const { background, frame } = await assets.theme(theme);
  const crop = coverCrop(background.width, background.height);

  const canvas = createCanvas(OUTPUT_WIDTH, OUTPUT_HEIGHT);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(background, crop.x, crop.y, crop.width, crop.height, 0, 0, OUTPUT_WIDTH, OUTPUT_HEIGHT);
  const { target } = placement;
  ctx.drawImage(subjectCanvas(subject, bounds), target.x, target.y, target.width, target.height);
  ctx.drawImage(frame, 0, 0, OUTPUT_WIDTH, OUTPUT_HEIGHT);
  drawParkName(ctx, parkName, assets.fontFamily);

  const pixels = ctx.getImageData(0, 0, OUTPUT_WIDTH, OUTPUT_HEIGHT);
  return { width: OUTPUT_WIDTH, height: OUTPUT_HEIGHT, data: pixels.data };
}

/** The composite stage's work from bytes to bytes: a keyed subject PNG -> the souvenir JPEG. */
export async function compositePhoto(subject: Uint8Array, options: CompositeOptions): Promise<Buffer> {
  return encodeJpeg(await composite(await decodePhoto(subject), options));
}
