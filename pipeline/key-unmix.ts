import { cellColumns, cellRow, sampleFill, sampleForeground, solidShare, type ForegroundMap } from "./key-foreground";
import { MIN_PLATE_KEY } from "./key-matte";
import { plateAt, plateLine, plateSampler, type Plate } from "./key-plate";
import type { Rgba } from "./rgba";

/**
 * Un-mixing and despill (pass 2 of the keyer): semi-transparent pixels get their alpha solved against the
 * nearby subject's colour and the plate, then the screen's share and its spill are taken out of their
 * colour, so hair and glass keep no screen colour.
 */

/** The subject's colour must differ from the screen's by this much (0-255 RGB distance) to solve alpha against it. */
const MIN_CONTRAST = 40;
/** Raw alpha beyond which a pixel is surely opaque (its colour is far from the screen's). */
export const OPAQUE_RAW = 1.3;
/**
 * Pixels up to this raw alpha are refined against the subject's colour: a red or auburn strand
 * reads 1.3 to 1.6 times its true alpha by colour difference, so a dense strand still reads opaque.
 */
export const REFINE_RAW = 1.5;
/** A share of opaque pixels nearby above which a pixel counts as the subject's edge, not a loose object. */
const SOLID_NEARBY = 0.5;
/** Opaque pixels with this local share of opaque neighbours are interior: no refinement. */
const INTERIOR_SHARE = 0.8;
/** Inside the subject, a pixel this far from the screen's colour (raw alpha) is taken as opaque. */
const INTERIOR_RAW = 0.35;
/** Distance (0-255) off the screen-subject line at which that solution is no longer trusted. */
const RESIDUAL_SCALE = 12;
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

// Local bindings of the per-pixel helpers (see key-pass1.ts: a loader's getter would block inlining).
const shareAt = solidShare;
const plateAtX = plateAt;
const foregroundAt = sampleForeground;
const fillAt = sampleFill;
/** OPAQUE_RAW for the loop: an exported constant is read from the module's exports wherever it is used. */
const OPAQUE = OPAQUE_RAW;

/**
 * The pixels pass 2 may un-mix, listed by pass 1 in scan order: those with some alpha and a raw alpha below
 * REFINE_RAW (the guest's edges, and light neutral clothes, whose raw alpha is near 1: up to a third of a
 * portrait). Pass 2 visits only them, and nothing keeps a full-size matte.
 */
export interface EdgePixels {
  count: number;
  /** Pixel index (y * width + x), raw alpha and alpha (0..1) of each listed pixel. */
  index: Int32Array;
  raw: Float32Array;
  alpha: Float32Array;
}

export function createEdgePixels(capacity = 4096): EdgePixels {
  const size = Math.max(1, capacity);
  return { count: 0, index: new Int32Array(size), raw: new Float32Array(size), alpha: new Float32Array(size) };
}

/** Appends a pixel to the list, doubling its storage when full. */
export function addEdgePixel(list: EdgePixels, i: number, raw: number, alpha: number): void {
  const k = list.count;
  if (k === list.index.length) {
    const grow = <T extends Int32Array | Float32Array>(old: T, bigger: T): T => {
      bigger.set(old);
      return bigger;
    };
    list.index = grow(list.index, new Int32Array(2 * k));
    list.raw = grow(list.raw, new Float32Array(2 * k));
    list.alpha = grow(list.alpha, new Float32Array(2 * k));
  }
  list.index[k] = i;
  list.raw[k] = raw;
  list.alpha[k] = alpha;
  list.count = k + 1;
}

/** What pass 2 works on: the photo, the output so far, and what pass 1 learnt. */
export interface UnmixInput {
  img: Rgba;
  /** Straight-alpha output, written in place. */
  out: Rgba;
  /** The pixels to un-mix, with their raw alpha and alpha from pass 1. */
  edges: EdgePixels;
  plate: Plate;
  /** The subject's colour nearby, and filled out to every cell (fillForeground). */
  fgMap: ForegroundMap;
  far: Float32Array;
  key: number;
  i0: number;
  i1: number;
  clipBlack: number;
  clipWhite: number;
  spill: number;
}

/** Pass 2 over the listed pixels; writes `out` in place. */
export function unmixEdges(m: UnmixInput): void {
  const { img, edges, plate, fgMap, far, key, i0, i1, clipBlack, clipWhite, spill } = m;
  const { width, data } = img;
  const { count, index, raw: rawAlpha, alpha } = edges;
  const o = m.out.data;
  const sampler = plateSampler(plate, width);
  const line = new Float32Array(plate.cols * 3);
  // Pass 2: semi-transparent pixels. Where the nearby subject's colour explains the pixel as a mix
  // of it and the screen, solve alpha on that line; then take the screen's share out of the colour.
  const fgColour = new Float32Array(3);
  const here = new Float32Array(3);
  const fgColumn = cellColumns(fgMap, width);
  let fgRow = 0;
  let rowStart = 0;
  let rowEnd = 0;
  for (let k = 0; k < count; k++) {
    const i = index[k]!;
    if (i >= rowEnd) {
      const y = Math.floor(i / width);
      rowStart = y * width;
      rowEnd = rowStart + width;
      fgRow = cellRow(fgMap, y);
      plateLine(plate, y, line);
    }
    const x = i - rowStart;
    const cell = fgRow + fgColumn[x]!;
    let a = alpha[k]!;
    const raw = rawAlpha[k]!;
    const p = 4 * i;
    const solid = shareAt(fgMap, cell);
    // Past OPAQUE_RAW only loose pixels (dense strands) are refined, not the body's own edge.
    if (raw >= OPAQUE && solid >= SOLID_NEARBY) continue;
    // Deep inside the subject nothing is refined; and a greenish colour there that is still far
    // from the screen (where teal meets olive, say) is cloth, not a hole.
    if (solid > INTERIOR_SHARE && (a >= 1 || raw >= INTERIOR_RAW)) {
      if (a < 1) {
        writeDespilled(o, p, data[p]!, data[p + 1]!, data[p + 2]!, key, i0, i1, spill, 1);
        o[p + 3] = 255;
      }
      continue;
    }
    plateAtX(plate, sampler, line, x, here);
    const br = here[0]!;
    const bgG = here[1]!;
    const bb = here[2]!;
    const cr = data[p]!;
    const cg = data[p + 1]!;
    const cb = data[p + 2]!;
    let trust = 0;
    let ap = a;
    let share = foregroundAt(fgMap, cell, fgColour);
    if (share <= 0.01 && a < FILL_MAX_ALPHA) {
      // A faint pixel far from the hair mass (a loose strand): the nearest confident subject colour.
      fillAt(far, cell, fgColour);
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
        const mean = clipAlpha(1 - (data[p + key]! - 0.5 * (data[p + i0]! + data[p + i1]!)) / kb, clipBlack, clipWhite);
        const bound = clipAlpha(gamutAlpha(data, p, here), clipBlack, clipWhite);
        const aa = mean < bound ? mean : bound;
        if (aa < a) a = a + (aa - a) * isolation * (1 - trust);
      }
    }
    a = a + (ap - a) * trust;
    if (a < 0.5 / 255) continue;
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
export function writeDespilled(
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
export function clipAlpha(raw: number, clipBlack: number, clipWhite: number): number {
  if (raw <= clipBlack) return 0;
  if (raw >= clipWhite) return 1;
  const a = raw - (clipBlack * clipBlack) / raw;
  const gap = 1 - a;
  const top = 1 - clipWhite;
  return gap > top ? 1 - (gap - (top * top) / gap) : 1;
}
