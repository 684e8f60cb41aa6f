/**
 * Where the keyed guest goes in the souvenir: pure geometry, no pixels drawn.
 * The guest's visible part (alpha bounding box) is fitted into the free area, kept whole,
 * centred and standing on the area's bottom edge, as a person stands in the scene.
 */
import type { Rgba } from "./rgba";
import type { Box } from "./themes";

/** Below this alpha a pixel is keyer noise or a faint fringe, not part of the guest. */
export const SUBJECT_ALPHA_THRESHOLD = 24;
/** A tiny cut-out is enlarged at most this much: beyond it, it would only look blurred. */
export const MAX_UPSCALE = 3;

/** Bounding box of pixels with alpha >= threshold; undefined when there are none. */
export function alphaBounds(img: Rgba, threshold: number = SUBJECT_ALPHA_THRESHOLD): Box | undefined {
  const { width, height, data } = img;
  let minX = width;
  let maxX = -1;
  let minY = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width * 4 + 3;
    let first = -1;
    for (let x = 0; x < width; x++) {
      if (data[row + x * 4] >= threshold) {
        first = x;
        break;
      }
    }
    if (first < 0) continue;
    if (minY < 0) minY = y;
    maxY = y;
    if (first < minX) minX = first;
    for (let x = width - 1; x > maxX; x--) {
      if (data[row + x * 4] >= threshold) {
        maxX = x;
        break;
      }
    }
  }
  if (minY < 0) return undefined;
  return { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

export interface SubjectPlacement {
  /** Source rectangle in the subject image (its alpha bounding box). */
  source: Box;
  /** Destination rectangle in the souvenir. */
  target: Box;
  scale: number;
}

export interface LayoutOptions {
  maxUpscale?: number;
  /**
   * How far the subject may sink below the area's bottom edge. Used when the photo cuts the
   * guest off at the bottom (a selfie's torso): that straight edge then hides behind the
   * banner instead of floating above it. Nothing of the person the photo shows is lost.
   */
  sinkBottom?: number;
}

/**
 * Fits `bounds` (in subject pixels) into `area`: as large as fits both ways (a tall person is
 * limited by height, a wide group by width), at most `maxUpscale`, centred horizontally and
 * resting on the area's bottom edge (or `sinkBottom` below it).
 */
export function layoutSubject(bounds: Box, area: Box, options: LayoutOptions = {}): SubjectPlacement {
  const maxUpscale = options.maxUpscale ?? MAX_UPSCALE;
  const sink = options.sinkBottom ?? 0;
  if (!(bounds.width > 0 && bounds.height > 0)) throw new RangeError("subject bounds are empty");
  if (!(area.width > 0 && area.height > 0)) throw new RangeError("free area is empty");
  if (!(maxUpscale > 0) || !(sink >= 0)) throw new RangeError("maxUpscale must be > 0 and sinkBottom >= 0");
  const scale = Math.min(area.width / bounds.width, area.height / bounds.height, maxUpscale);
  const width = Math.min(area.width, bounds.width * scale);
  const height = Math.min(area.height, bounds.height * scale);
  return {
    source: { ...bounds },
    target: {
      x: area.x + (area.width - width) / 2,
      y: area.y + area.height + sink - height,
      width,
      height,
    },
    scale,
  };
}
