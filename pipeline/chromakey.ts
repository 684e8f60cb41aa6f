import { estimatePlate, plateAt, plateLine, plateRow, plateSampler } from "./key-plate";
import {
  createForegroundMap,
  fillForeground,
  sampleFill,
  sampleForeground,
  solidShare,
  spread,
} from "./key-foreground";
import { refineEdges } from "./key-edge";
import { blockStats } from "./key-blocks";
import { creaseZone } from "./key-cleanup";
import { coreLevels } from "./key-core";
import { findScreenExtent, type ScreenExtent } from "./key-extent";
import { creaseShade, MIN_PLATE_KEY, rawAlphaAt } from "./key-matte";
import { detectScreen, type Screen } from "./key-screen";
import { createRgba, type Rgba } from "./rgba";

// Local bindings for the per-pixel helpers of pass 1: a module loader may turn an imported name into a
// getter call on every use, which keeps the engine from inlining it in the hottest loop.
const rawAt = rawAlphaAt;
const shadeAt = creaseShade;

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

/** The subject's colour must differ from the screen's by this much (0-255 RGB distance) to solve alpha against it. */
const MIN_CONTRAST = 40;
/** Raw alpha beyond which a pixel is surely opaque (its colour is far from the screen's). */
const OPAQUE_RAW = 1.3;
/**
 * Pixels up to this raw alpha are refined against the subject's colour: a red or auburn strand
 * reads 1.3 to 1.6 times its true alpha by colour difference, so a dense strand still reads opaque.
 */
const REFINE_RAW = 1.5;
/** A share of opaque pixels nearby above which a pixel counts as the subject's edge, not a loose object. */
const SOLID_NEARBY = 0.5;
/** Opaque pixels with this local share of opaque neighbours are interior: no refinement. */
const INTERIOR_SHARE = 0.8;
/** Inside the subject, a pixel this far from the screen's colour (raw alpha) is taken as opaque. */
const INTERIOR_RAW = 0.35;
/** Distance (0-255) off the screen-subject line at which that solution is no longer trusted. */
const RESIDUAL_SCALE = 12;
/**
 * Raw alpha from which a pixel counts as the subject's (teaches its colour and solidity) even where
 * the soft ramp up to clipWhite still leaves it fractional: cloth near the screen's hue (teal) stays
 * subject, while glass walls and smeared hands keep their partial alpha.
 */
const SOLID_RAW = 0.8;
/** Confidence (local share of opaque pixels) at which a cell's subject colour needs no filling from further out. */
const FILL_FULL = 0.25;
/** Pixels beyond the local subject map and below this alpha take the filled (nearest confident) subject colour. */
const FILL_MAX_ALPHA = 0.5;
/** Least sin^2 of the angle between subject and screen colours for solving a strand's brightness. */
const SHADE_CONDITION = 0.1;
/** Range of a strand's brightness relative to the subject colour nearby. */
const SHADE_MIN = 0.7;
const SHADE_MAX = 1.5;
/**
 * The subject colour's key deficit (others over screen channel) relative to the plate's key at which
 * the brightness solve counts fully: for near-neutral colours (white, grey) the colour difference
 * already measures alpha well, and brightness and alpha trade off too freely against a hue drift.
 */
const SHADE_KEY_SCALE = 0.8;
/** Most spill (share of the subject colour times the plate over its peak) solved for in a semi-transparent pixel. */
const SPILL_MAX = 0.6;
/** Least sin^2 of the angle between the subject-screen line and the spill direction for solving spill. */
const SPILL_CONDITION = 0.05;
/** The brightest channel (0-255) assumed for a translucent foreground no subject colour explains. */
const GLASS_CEILING = 232;

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
  const sampler = plateSampler(plate, width);
  const line = new Float32Array(plate.cols * 3);
  const { key } = screen;
  const [i0, i1] = screen.others;
  const clipBlack = opts.clipBlack;
  const clipWhite = opts.clipWhite;
  const spill = opts.spillSuppression;
  const o = out.data;
  const alpha = new Float32Array(width * height);
  const rowHasEdge = new Uint8Array(height);
  const fgCell = Math.max(2, Math.round(Math.max(width, height) / 320));
  const fgMap = createForegroundMap(width, height, fgCell);

  // Block statistics of the raw matte (on a sparse grid), for the refinement maps.
  const blocks = blockStats(img, screen, plate, clipBlack, clipWhite);
  // Refinement maps over blocks, applied to the raw matte in pass 1: spill-lit cores are solid,
  // creases away from the guest are screen.
  const cores = coreLevels(blocks, width, height);
  const creases = creaseZone(blocks, width, height, cores);
  const blockColumn = blocks.column;

  // Pass 1: alpha from the raw matte; opaque pixels feed the foreground map.
  const fgColumn = new Int32Array(width);
  for (let x = 0; x < width; x++) fgColumn[x] = Math.floor(x / fgCell);
  const { solid: fgSolid, weight: fgWeight, rgb: fgSums } = fgMap;
  const rawAlpha = new Float32Array(width * height);
  const bg = new Float32Array(width * 3);
  for (let y = 0; y < height; y++) {
    plateRow(plate, sampler, y, line, bg);
    const fgRow = Math.floor(y / fgCell) * fgMap.cols;
    const blockRow = Math.floor(y / blocks.size) * blocks.cols;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const p = 4 * i;
      const c0 = data[p + i0]!;
      const c1 = data[p + i1]!;
      let raw = rawAt(data, p, bg, 3 * x, key, i0, i1);
      const block = blockRow + blockColumn[x]!;
      // Below clipBlack a pixel is bare screen anyway: the crease test is for what would show.
      if (raw >= clipBlack && raw < 1 && creases[block]) raw *= shadeAt(data, p, bg, 3 * x, key, i0, i1);
      if (cores !== null) {
        const level = cores[block]!;
        // Bare screen stays bare: only the guest's own fractional pixels are rescaled.
        if (level > 0 && raw >= clipBlack && raw < clipWhite / level) raw /= level;
      }
      rawAlpha[i] = raw;
      const a = clipAlpha(raw, clipBlack, clipWhite);
      alpha[i] = a;
      if (a < 1) {
        if (a > 0) rowHasEdge[y] = 1;
        if (raw < SOLID_RAW) continue;
      }
      if (raw < REFINE_RAW) rowHasEdge[y] = 1;
      const limit = c0 > c1 ? c0 : c1;
      const ck = data[p + key]!;
      const fk = ck > limit ? ck - (ck - limit) * spill : ck;
      o[p + key] = fk;
      o[p + i0] = c0;
      o[p + i1] = c1;
      o[p + 3] = 255;
      const cell = fgRow + fgColumn[x]!;
      fgSolid[cell]! += 1;
      // Only pixels well past opaque teach the subject's colour: a reddish or dark colour mixed
      // with some screen still reads as opaque, and would teach a screen-tinted colour.
      const depth = (raw - 1) * (1 / (OPAQUE_RAW - 1));
      if (depth > 0) {
        const w = depth >= 1 ? 1 : depth * depth;
        fgWeight[cell]! += w;
        fgSums[3 * cell]! += w * o[p]!;
        fgSums[3 * cell + 1]! += w * o[p + 1]!;
        fgSums[3 * cell + 2]! += w * o[p + 2]!;
      }
    }
  }
  spread(fgMap, Math.max(2, Math.round(Math.max(width, height) / 60 / fgCell)));
  const far = fillForeground(fgMap, FILL_FULL);

  // Pass 2: semi-transparent pixels. Where the nearby subject's colour explains the pixel as a mix
  // of it and the screen, solve alpha on that line; then take the screen's share out of the colour.
  const fgColour = new Float32Array(3);
  const here = new Float32Array(3);
  for (let y = 0; y < height; y++) {
    if (!rowHasEdge[y]) continue;
    plateLine(plate, y, line);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let a = alpha[i]!;
      if (a <= 0 || rawAlpha[i]! >= REFINE_RAW) continue;
      const p = 4 * i;
      const solid = solidShare(fgMap, x, y);
      // Past OPAQUE_RAW only loose pixels (dense strands) are refined, not the body's own edge.
      if (rawAlpha[i]! >= OPAQUE_RAW && solid >= SOLID_NEARBY) continue;
      // Deep inside the subject nothing is refined; and a greenish colour there that is still far
      // from the screen (where teal meets olive, say) is cloth, not a hole.
      if (solid > INTERIOR_SHARE && (a >= 1 || rawAlpha[i]! >= INTERIOR_RAW)) {
        if (a < 1) {
          writeDespilled(o, p, data[p]!, data[p + 1]!, data[p + 2]!, key, i0, i1, spill, 1);
          o[p + 3] = 255;
        }
        continue;
      }
      plateAt(plate, sampler, line, x, here);
      const br = here[0]!;
      const bgG = here[1]!;
      const bb = here[2]!;
      const cr = data[p]!;
      const cg = data[p + 1]!;
      const cb = data[p + 2]!;
      let trust = 0;
      let ap = a;
      let share = sampleForeground(fgMap, x, y, fgColour);
      if (share <= 0.01 && a < FILL_MAX_ALPHA) {
        // A faint pixel far from the hair mass (a loose strand): the nearest confident subject colour.
        sampleFill(fgMap, far, x, y, fgColour);
        share = 0.02;
      }
      if (share > 0.01) {
        shadeForeground(fgColour, data, p, here, key, i0, i1);
        const dr = fgColour[0]! - br;
        const dg = fgColour[1]! - bgG;
        const db = fgColour[2]! - bb;
        const d2 = dr * dr + dg * dg + db * db;
        if (d2 > MIN_CONTRAST * MIN_CONTRAST) {
          const er = cr - br;
          const eg = cg - bgG;
          const eb = cb - bb;
          ap = (er * dr + eg * dg + eb * db) / d2;
          // Spill: screen light reflected by the subject's colour (H times the plate, over the
          // plate's peak). Solve C - B = a (H - B) + v S with v the spill's share (0..SPILL_MAX a).
          const peak = br > bgG ? (br > bb ? br : bb) : bgG > bb ? bgG : bb;
          const sr = (fgColour[0]! * br) / peak;
          const sg = (fgColour[1]! * bgG) / peak;
          const sb = (fgColour[2]! * bb) / peak;
          const ss = sr * sr + sg * sg + sb * sb;
          const ds = dr * sr + dg * sg + db * sb;
          const det = d2 * ss - ds * ds;
          let v = 0;
          if (det > SPILL_CONDITION * d2 * ss) {
            const de = er * dr + eg * dg + eb * db;
            const se = er * sr + eg * sg + eb * sb;
            const a2 = (ss * de - ds * se) / det;
            v = (d2 * se - ds * de) / det;
            if (v > 0) {
              if (v > SPILL_MAX * a2) {
                // Spill capped: a on the line H + SPILL_MAX S.
                const tr = dr + SPILL_MAX * sr;
                const tg = dg + SPILL_MAX * sg;
                const tb = db + SPILL_MAX * sb;
                ap = (er * tr + eg * tg + eb * tb) / (tr * tr + tg * tg + tb * tb);
                v = SPILL_MAX * (ap < 0 ? 0 : ap > 1 ? 1 : ap);
              } else ap = a2;
            } else v = 0;
          }
          ap = ap < 0 ? 0 : ap > 1 ? 1 : ap;
          const rr = er - ap * dr - v * sr;
          const rg = eg - ap * dg - v * sg;
          const rb = eb - ap * db - v * sb;
          const residual = Math.sqrt(rr * rr + rg * rg + rb * rb);
          trust = 1 - residual / (RESIDUAL_SCALE + 0.25 * Math.sqrt(er * er + eg * eg + eb * eb));
          trust = trust < 0 ? 0 : trust;
        }
      }
      const isolation = a < 1 ? 1 - solid * (1 / SOLID_NEARBY) : 0;
      if (trust < 1 && isolation > 0) {
        // No subject colour explains the pixel (glass, a smeared hand): assume a foreground with no
        // screen colour measured against the mean of the other channels, not the larger one.
        const kb = here[key]! - 0.5 * (here[i0]! + here[i1]!);
        if (kb > MIN_PLATE_KEY) {
          const mean = clipAlpha(
            1 - (data[p + key]! - 0.5 * (data[p + i0]! + data[p + i1]!)) / kb,
            clipBlack,
            clipWhite,
          );
          const bound = clipAlpha(gamutAlpha(data, p, here), clipBlack, clipWhite);
          const aa = mean < bound ? mean : bound;
          if (aa < a) a = a + (aa - a) * isolation * (1 - trust);
        }
      }
      a = a + (ap - a) * trust;
      if (a < 0.5 / 255) {
        alpha[i] = 0;
        continue;
      }
      const inv = 1 / a;
      const rest = 1 - a;
      let fr = (cr - rest * br) * inv;
      let fg = (cg - rest * bgG) * inv;
      let fb = (cb - rest * bb) * inv;
      fr = fr < 0 ? 0 : fr > 255 ? 255 : fr;
      fg = fg < 0 ? 0 : fg > 255 ? 255 : fg;
      fb = fb < 0 ? 0 : fb > 255 ? 255 : fb;
      // The fainter the pixel, the noisier its un-mixed colour: lean on the nearby subject's
      // colour where it explains the pixel (a strand takes the colour of the hair it leaves).
      const lean = trust * Math.sqrt(rest);
      if (lean > 0) {
        fr += (fgColour[0]! - fr) * lean;
        fg += (fgColour[1]! - fg) * lean;
        fb += (fgColour[2]! - fb) * lean;
      }
      writeDespilled(o, p, fr, fg, fb, key, i0, i1, spill, a);
      o[p + 3] = a * 255 + 0.5;
    }
  }
  refineEdges(o, data, width, height, rowHasEdge);
  clearOutside(o, width, height, extent);
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

/**
 * Scales the subject colour in `fg` to the brightness that best explains the pixel as a mix of it
 * and the plate: solves C - B = u H - a B for u = a L and a, and keeps L in a plausible range. A
 * strand lit brighter or darker than the hair it leaves then un-mixes to its own colour instead of
 * leaving screen colour behind (auburn going olive).
 */
function shadeForeground(
  fg: Float32Array,
  data: Uint8ClampedArray,
  p: number,
  plate: Float32Array,
  key: number,
  i0: number,
  i1: number,
): void {
  const pk = plate[key]! - Math.max(plate[i0]!, plate[i1]!);
  if (pk <= 1) return;
  let weight = (Math.max(fg[i0]!, fg[i1]!) - fg[key]!) / (pk * SHADE_KEY_SCALE);
  if (weight <= 0) return;
  if (weight > 1) weight = 1;
  const hr = fg[0]!;
  const hg = fg[1]!;
  const hb = fg[2]!;
  const br = plate[0]!;
  const bg = plate[1]!;
  const bb = plate[2]!;
  const hh = hr * hr + hg * hg + hb * hb;
  const pp = br * br + bg * bg + bb * bb;
  const hp = hr * br + hg * bg + hb * bb;
  const det = hh * pp - hp * hp;
  if (!(det > SHADE_CONDITION * hh * pp)) return;
  const er = data[p]! - br;
  const eg = data[p + 1]! - bg;
  const eb = data[p + 2]! - bb;
  const he = hr * er + hg * eg + hb * eb;
  const pe = br * er + bg * eg + bb * eb;
  const a = (hp * he - hh * pe) / det;
  if (a <= 0.02) return;
  let lum = (pp * he - hp * pe) / det / a;
  lum = lum < SHADE_MIN ? SHADE_MIN : lum > SHADE_MAX ? SHADE_MAX : lum;
  lum = 1 + (lum - 1) * weight;
  fg[0] = Math.min(255, hr * lum);
  fg[1] = Math.min(255, hg * lum);
  fg[2] = Math.min(255, hb * lum);
}

/**
 * The least alpha that explains the pixel as the plate behind a foreground no brighter than
 * GLASS_CEILING: light passing through glass is tinted but bright, so a pink or amber bottle, whose
 * colour difference reads as nearly opaque, keeps the low alpha its brightness allows.
 */
function gamutAlpha(data: Uint8ClampedArray, p: number, plate: Float32Array): number {
  let bound = 0;
  for (let k = 0; k < 3; k++) {
    const b = plate[k]!;
    const d = data[p + k]! - b;
    const v = d > 0 ? d / Math.max(1, GLASS_CEILING - b) : -d / Math.max(1, b);
    if (v > bound) bound = v;
  }
  return bound;
}

/**
 * Writes a colour with the screen channel limited (by `spill`): to the larger other channel for solid pixels,
 * sliding to their mean as `alpha` falls, since a faint pixel's un-mixed colour is least certain and its
 * leftover screen shows most (green hair).
 */
function writeDespilled(
  o: Uint8ClampedArray,
  p: number,
  r: number,
  g: number,
  b: number,
  key: number,
  i0: number,
  i1: number,
  spill: number,
  alpha: number,
): void {
  o[p] = r;
  o[p + 1] = g;
  o[p + 2] = b;
  const f0 = o[p + i0]!;
  const f1 = o[p + i1]!;
  const fk = o[p + key]!;
  const limit = (f0 > f1 ? f0 : f1) * alpha + 0.5 * (f0 + f1) * (1 - alpha);
  if (fk > limit) o[p + key] = fk - (fk - limit) * spill;
}

/**
 * Raw alpha to alpha: nothing below clipBlack, everything above clipWhite, and in between a
 * "garrote" (u - t^2 / u at both ends) that silences noise near 0 and 1 without biasing mid values.
 */
function clipAlpha(raw: number, clipBlack: number, clipWhite: number): number {
  if (raw <= clipBlack) return 0;
  if (raw >= clipWhite) return 1;
  const a = raw - (clipBlack * clipBlack) / raw;
  const gap = 1 - a;
  const top = 1 - clipWhite;
  return gap > top ? 1 - (gap - (top * top) / gap) : 1;
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
