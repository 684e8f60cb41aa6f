/**
 * Where the keyed guest goes in the souvenir: pure geometry, no pixels drawn.
 * The guest's visible part (alpha bounding box) is fitted into the free area, kept whole,
 * centred and standing on the area's bottom edge, as a person stands in the scene.
 */
import type { Rgba } from "./rgba";
import type { Box } from "./themes";

/** Below this alpha a pixel is keyer noise or a faint fringe, not part of the guest. */
export const SUBJECT_ALPHA_THRESHOLD = 24;
/**
 * A small cut-out is enlarged at most this much. Enlarging by s spreads each photo pixel over s souvenir
 * pixels, so a sharp edge becomes an s-pixel ramp: at 2 it still reads as sharp on a phone (the same as
 * the 2x upscaling phones do themselves), at 3 hair and eyes are visibly soft (README: "Composition").
 */
export const MAX_UPSCALE = 2;

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

/** Sides of the photo the guest is cut off by (a raised arm, a selfie arm, a head cut by the top). */
export interface CutSides {
  left?: boolean;
  right?: boolean;
  top?: boolean;
}

/** Alpha from which a pixel on the photo's border counts as the guest being cut there. */
const CUT_ALPHA = 128;
/** Share of a border's length that such pixels must cover: a stray strand or a speck of noise is no cut. */
const CUT_SHARE = 0.01;

/**
 * The sides (left, right, top) where the photo cuts the guest off: the outermost line holds solid
 * pixels of the guest over at least CUT_SHARE of its length (and 2 pixels).
 */
export function cutSides(img: Rgba): CutSides {
  const { width, height, data } = img;
  const count = (x0: number, y0: number, dx: number, dy: number, n: number): boolean => {
    let solid = 0;
    for (let k = 0; k < n; k++) if (data[4 * ((y0 + k * dy) * width + x0 + k * dx) + 3]! >= CUT_ALPHA) solid++;
    return solid >= Math.max(2, CUT_SHARE * n);
  };
  if (width < 1 || height < 1) return {};
  return {
    left: count(0, 0, 0, 1, height),
    right: count(width - 1, 0, 0, 1, height),
    top: count(0, 0, 1, 0, width),
  };
}

export interface LayoutOptions {
  maxUpscale?: number;
  /**
   * Sides where the photo cut the guest off: that cut must meet the souvenir's matching edge (under the
   * frame), never show as a straight line in the middle of the scene. Needs `page`.
   */
  cut?: CutSides;
  /** The whole souvenir, whose edges a cut guest runs off. */
  page?: Box;
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
  const cut = options.cut ?? {};
  if ((cut.left || cut.right || cut.top) && options.page)
    return layoutCut(bounds, area, options.page, cut, sink, maxUpscale);
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

/** How far past the souvenir's edge a cut guest reaches: enough that no sliver of scene shows beside the cut. */
const BLEED = 2;

/**
 * A guest the photo cut off at some sides: the cut sides are pinned to the page's edges (which the frame
 * covers), so the photo's cut never shows. The scale is what the free sides allow (as in the plain fit,
 * but measured from the pinned edge), raised where needed for the cuts to reach the page's edges: a
 * head cut by the top must reach the top however small the photo, and a guest cut at both sides must
 * span the page. Whatever then overflows the page was beyond the photo's edge anyway, or is the least of it.
 */
function layoutCut(
  bounds: Box,
  area: Box,
  page: Box,
  cut: CutSides,
  sink: number,
  maxUpscale: number,
): SubjectPlacement {
  const bottom = area.y + area.height + sink;
  const pageLeft = page.x - BLEED;
  const pageRight = page.x + page.width + BLEED;
  const pageTop = page.y - BLEED;
  const areaRight = area.x + area.width;
  const room =
    cut.left && cut.right
      ? pageRight - pageLeft
      : cut.left
        ? areaRight - pageLeft
        : cut.right
          ? pageRight - area.x
          : area.width;
  const tall = cut.top ? bottom - pageTop : bottom - area.y;
  let scale = Math.min(room / bounds.width, tall / bounds.height, maxUpscale);
  if (cut.top) scale = Math.max(scale, (bottom - pageTop) / bounds.height);
  if (cut.left && cut.right) scale = Math.max(scale, (pageRight - pageLeft) / bounds.width);
  const width = bounds.width * scale;
  const height = bounds.height * scale;
  const x =
    cut.left && cut.right
      ? (pageLeft + pageRight - width) / 2
      : cut.left
        ? pageLeft
        : cut.right
          ? pageRight - width
          : Math.min(Math.max(area.x + (area.width - width) / 2, pageLeft), pageRight - width);
  return { source: { ...bounds }, target: { x, y: bottom - height, width, height }, scale };
}
