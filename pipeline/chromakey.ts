import { estimatePlate } from "./key-plate";
import { createForegroundMap, fillForeground, spread } from "./key-foreground";
import { refineEdges } from "./key-edge";
import { blockStats } from "./key-blocks";
import { clearCreaseRuns, creaseZone, dropCreasePixels } from "./key-cleanup";
import { coreLevels } from "./key-core";
import { findScreenExtent, type ScreenExtent } from "./key-extent";
import { mattePass } from "./key-pass1";
import { unmixEdges } from "./key-unmix";
import { detectScreen, type Screen } from "./key-screen";
import { createRgba, type Rgba } from "./rgba";

/** Settings of the keyer. Every field is a deploy-time setting (env CHROMAKEY_OPTIONS, JSON). */
export interface KeyOptions {
  /** Screen colour to remove; "auto" finds green or blue from the photo. */
  screen: "auto" | "green" | "blue";
  /**
   * Raw alpha (0..1) at or below which a pixel is fully transparent. Raising it eats screen noise,
   * creases and JPEG blocks, at the cost of the faintest hair and glass.
   */
  clipBlack: number;
  /**
   * Raw alpha at or above which a pixel is fully opaque. Lowering it keeps clothes close to the
   * screen's hue (teal, olive) and spill-tinted edges solid, at the cost of fine transparency.
   */
  clipWhite: number;
  /** 0..1: how much screen colour left in the foreground (spill) is removed; 1 removes it all. */
  spillSuppression: number;
  /**
   * Cells of the background plate along the photo's long side. More cells follow uneven light and
   * the subject's shadow more closely; fewer are steadier where little screen shows.
   */
  plateCells: number;
  /** How far a pixel's chroma (ratios to the screen channel) may stray from the screen's and still count as bare screen. */
  screenTolerance: number;
  /** Share of the photo that must look like screen; below it the photo is returned opaque, unkeyed. */
  minScreenFraction: number;
}

export const DEFAULT_KEY_OPTIONS: KeyOptions = Object.freeze({
  screen: "auto",
  clipBlack: 0.08,
  clipWhite: 0.87,
  spillSuppression: 1,
  plateCells: 32,
  screenTolerance: 0.12,
  minScreenFraction: 0.05,
});

/** Confidence (local share of opaque pixels) at which a cell's subject colour needs no filling from further out. */
const FILL_FULL = 0.25;

/**
 * Removes a green or blue screen: returns the photo as straight-alpha RGBA, same size, with a soft
 * matte, the screen's colour taken out of semi-transparent pixels and spill suppressed. Pure.
 *
 * Alpha is the colour difference (screen channel minus the larger other channel) of the pixel
 * relative to that of the local background plate, so the key follows uneven light and shadow.
 */
export function chromakey(img: Rgba, options: Partial<KeyOptions> = {}): Rgba {
  return keyPhoto(img, options).image;
}

/** What the keyer found besides the cut-out: the screen and its extent (null when there is no screen). */
export interface KeyResult {
  /** Straight-alpha RGBA, the photo's size; transparent outside the screen's extent. */
  image: Rgba;
  screen: Screen | null;
  /** Where the screen is; the whole photo when it fills the frame or was not found. */
  extent: ScreenExtent;
  /** A short sentence for the guest when the souvenir will disappoint in a way they can fix (README: "hint"). */
  hint?: string;
}

/**
 * Share of the photo of the screen's hue but not its chroma above which the guest is told: the screen's
 * own light drift, spill and edges make up 2-7 % on ordinary photos; a shirt of the screen's hue 20-40 %.
 */
const HINT_SCREEN_LIKE = 0.15;

/** What the guest is told when clothes of the screen's colour were keyed away with it. */
export function screenColourHint(screen: Screen): string {
  const colour = screen.key === 1 ? "green" : "blue";
  return `Part of your outfit matched the ${colour} screen and was cut away: wear something that isn't ${colour} for your next photo.`;
}

/** chromakey with what it found along the way (the stage crops to the extent and reports hints). Pure. */
export function keyPhoto(img: Rgba, options: Partial<KeyOptions> = {}): KeyResult {
  const opts = resolveOptions(options);
  const { width, height, data } = img;
  if (data.length !== width * height * 4)
    throw new Error(`chromakey: ${data.length} bytes for ${width}x${height} RGBA`);
  const out = createRgba(width, height);
  const screen = width > 0 && height > 0 ? detectScreen(img, opts.screen, opts.minScreenFraction) : null;
  const plate = screen ? estimatePlate(img, screen, opts.plateCells, opts.screenTolerance) : null;
  if (!screen || !plate) {
    out.data.set(data);
    for (let o = 3; o < out.data.length; o += 4) out.data[o] = 255;
    return { image: out, screen: null, extent: { x0: 0, x1: width, y0: 0 } };
  }
  const extent = findScreenExtent(img, screen, opts.screenTolerance);
  const { key } = screen;
  const [i0, i1] = screen.others;
  const clipBlack = opts.clipBlack;
  const clipWhite = opts.clipWhite;
  const spill = opts.spillSuppression;
  const fgCell = Math.max(2, Math.round(Math.max(width, height) / 320));
  const fgMap = createForegroundMap(width, height, fgCell);

  // Block statistics of the raw matte (on a sparse grid), for the refinement maps.
  const blocks = blockStats(img, screen, plate, clipBlack, clipWhite);
  // Refinement maps over blocks, applied to the raw matte in pass 1: spill-lit cores are solid,
  // creases away from the guest are screen.
  const cores = coreLevels(blocks, width, height);
  const creases = creaseZone(blocks, width, height, cores);

  // Pass 1: alpha from the raw matte; opaque pixels feed the foreground map.
  const matte = { img, out, key, i0, i1, plate, blocks, cores, creases, clipBlack, clipWhite, spill, fgMap };
  const { edges, rowHasEdge, creaseMarks, creased } = mattePass(matte);
  // Folds running on from the open screen up to the guest are screen too. Only pixels a run reached can
  // be on pass 2's list: those the crease zone keyed out in pass 1 had no alpha left.
  if (clearCreaseRuns(creaseMarks, width, height, creased) > 0) dropCreasePixels(edges, creaseMarks, creased);
  spread(fgMap, Math.max(2, Math.round(Math.max(width, height) / 60 / fgCell)));
  const far = fillForeground(fgMap, FILL_FULL);

  unmixEdges({ img, out, edges, plate, fgMap, far, key, i0, i1, clipBlack, clipWhite, spill });
  refineEdges(out.data, data, width, height, rowHasEdge);
  clearOutside(out.data, width, height, extent);
  return {
    image: out,
    screen,
    extent,
    ...(screen.screenLike >= HINT_SCREEN_LIKE ? { hint: screenColourHint(screen) } : {}),
  };
}

/** The room beyond the screen's extent becomes fully transparent. */
function clearOutside(o: Uint8ClampedArray, width: number, height: number, extent: ScreenExtent): void {
  const { x0, x1, y0 } = extent;
  if (x0 <= 0 && x1 >= width && y0 <= 0) return;
  for (let y = 0; y < height; y++) {
    const row = 4 * y * width;
    if (y < y0) {
      o.fill(0, row, row + 4 * width);
      continue;
    }
    if (x0 > 0) o.fill(0, row, row + 4 * x0);
    if (x1 < width) o.fill(0, row + 4 * x1, row + 4 * width);
  }
}

function resolveOptions(options: Partial<KeyOptions>): KeyOptions {
  const opts: KeyOptions = { ...DEFAULT_KEY_OPTIONS, ...options };
  const fail = (what: string): never => {
    throw new Error(`chromakey: invalid option ${what}`);
  };
  if (!["auto", "green", "blue"].includes(opts.screen)) fail(`screen=${String(opts.screen)} (auto, green or blue)`);
  if (!(opts.clipBlack >= 0 && opts.clipBlack < opts.clipWhite && opts.clipWhite <= 1)) {
    fail(`clipBlack=${opts.clipBlack} clipWhite=${opts.clipWhite} (need 0 <= clipBlack < clipWhite <= 1)`);
  }
  if (!(opts.spillSuppression >= 0 && opts.spillSuppression <= 1))
    fail(`spillSuppression=${opts.spillSuppression} (0..1)`);
  if (!(Number.isInteger(opts.plateCells) && opts.plateCells >= 1 && opts.plateCells <= 512))
    fail(`plateCells=${opts.plateCells} (integer 1..512)`);
  if (!(opts.screenTolerance > 0 && opts.screenTolerance <= 1)) fail(`screenTolerance=${opts.screenTolerance} (0..1]`);
  if (!(opts.minScreenFraction >= 0 && opts.minScreenFraction <= 1))
    fail(`minScreenFraction=${opts.minScreenFraction} (0..1)`);
  return opts;
}
