import { blurRows } from "./blur";
import {
  capsuleCoverage,
  clamp01,
  createMatte,
  ellipseCoverage,
  type Matte,
  over,
  paint,
  segmentDistance,
} from "./matte";
import type { Prng } from "./prng";

type Rgb = readonly [number, number, number];

const SKIN: readonly Rgb[] = [
  [236, 188, 160],
  [224, 172, 135],
  [198, 134, 96],
  [160, 105, 72],
  [112, 74, 52],
  [84, 56, 40],
];
const HAIR: readonly Rgb[] = [
  [26, 21, 18],
  [58, 40, 28],
  [98, 68, 44],
  [196, 164, 108],
  [136, 62, 32],
  [150, 148, 144],
];
/** Teal, yellow and olive are there on purpose: they sit close to a green screen's hue. */
export const CLOTHES = {
  teal: [18, 126, 120],
  yellow: [232, 196, 46],
  olive: [112, 116, 44],
  red: [176, 32, 40],
  navy: [28, 36, 86],
  white: [226, 226, 220],
  grey: [120, 122, 126],
  purple: [104, 52, 128],
  orange: [226, 112, 36],
  black: [30, 30, 34],
  denim: [64, 92, 140],
} as const satisfies Record<string, Rgb>;
/**
 * Colours a studio would turn a guest away for, never picked at random: a bright green (the screen's
 * own hue, brighter and yellower) and a pale shirt that screen spill lights green.
 */
const CHOSEN_ONLY = {
  brightGreen: [96, 214, 58],
} as const satisfies Record<string, Rgb>;
export type ClothesColour = keyof typeof CLOTHES | keyof typeof CHOSEN_ONLY;
const CLOTHES_NAMES = Object.keys(CLOTHES) as ClothesColour[];
const ALL_CLOTHES: Record<ClothesColour, Rgb> = { ...CLOTHES, ...CHOSEN_ONLY };

/** Clear glass with water: nearly colourless, mostly transparent. */
const WATER: Rgb = [214, 230, 236];
const GLASS_TINTS: readonly Rgb[] = [
  [176, 204, 232],
  [206, 146, 70],
  [222, 226, 230],
  [224, 176, 186],
];

export interface SubjectOptions {
  /** Main, insert and stripe colours of the clothes; random when absent. */
  clothes?: readonly [ClothesColour, ClothesColour, ClothesColour];
  /** Whether the main colour has stripes of the third; random when absent. */
  striped?: boolean;
  /** The screen behind: random clothes avoid its colour, as a studio would ask a guest to. */
  screen?: "green" | "blue";
  /** An arm stretched out sideways to the photo's edge (a selfie arm), on that side. */
  reach?: "left" | "right";
  /** A clear glass of water held out beside the body, instead of the tinted bottle. */
  glassOfWater?: boolean;
}

/** Where the regions the hard-scene assertions look at were painted (1 = inside), filled by paintSubject. */
export interface SubjectMarks {
  /** Solid clothes of the main colour on the torso (not the insert, stripes, bottle or hand). */
  shirt: Uint8Array;
  /** The inside of the glass or bottle, walls excluded. */
  glass: Uint8Array;
}

/** Clothes that share the screen's colour are keyed away by any keyer: nobody wears them in front of it. */
const CLASHES: Record<"green" | "blue", readonly ClothesColour[]> = { green: [], blue: ["navy", "denim", "purple"] };

/**
 * Paints a person (long or short hair with loose strands, clothes, a waving motion-blurred hand)
 * and a semi-transparent bottle into the matte. Sizes are relative to `s`, the subject's scale
 * in pixels, so the same seed draws the same picture at any resolution.
 */
export function paintSubject(m: Matte, rng: Prng, opts: SubjectOptions = {}, marks?: SubjectMarks): void {
  const { width: W, height: H } = m;
  const s = Math.min(H, W * 1.25);
  const px = s / 800; // one "pixel" of the 800-high reference scene
  const side = rng.next() < 0.5 ? -1 : 1;
  const cx = W / 2 + rng.range(-0.05, 0.05) * W;
  const skin = rng.pick(SKIN);
  const hair = rng.pick(HAIR);
  const wearable = CLOTHES_NAMES.filter((name) => !CLASHES[opts.screen ?? "green"].includes(name));
  const [main, insert, stripe] = (opts.clothes ?? [rng.pick(wearable), rng.pick(wearable), rng.pick(wearable)]).map(
    (name) => ALL_CLOTHES[name],
  ) as [Rgb, Rgb, Rgb];
  const striped = rng.next() < 0.5 ? (opts.striped ?? true) : (opts.striped ?? false);
  const stripePeriod = rng.range(0.035, 0.06) * s;
  const longHair = rng.next() < 0.5;

  const hcx = cx + rng.range(-0.02, 0.02) * s;
  const hcy = H - 0.7 * s;
  const rx = 0.085 * s * rng.range(0.95, 1.08);
  const ry = 0.115 * s;
  const torsoCy = H + 0.1 * s;
  const torsoRx = 0.26 * s * rng.range(0.92, 1.04);
  const torsoRy = 0.57 * s;
  const neckline = torsoCy - torsoRy;

  if (longHair) {
    const lcy = hcy + 0.35 * ry;
    paint(m, { x0: hcx - 1.4 * rx, y0: hcy - 1.3 * ry, x1: hcx + 1.4 * rx, y1: hcy + 1.6 * ry }, (x, y, c) => {
      setShaded(c, hair, 0.9 + 0.12 * Math.sin(((x - hcx) * 0.35) / px));
      return ellipseCoverage(x, y, hcx, lcy, 1.25 * rx, 1.2 * ry) * clamp01(hcy + 1.3 * ry - y + 0.5);
    });
  }

  // Torso: clothes with a V-neck insert, optional stripes, soft shading and folds.
  paint(m, { x0: cx - torsoRx - 2, y0: neckline - 2, x1: cx + torsoRx + 2, y1: H }, (x, y, c) => {
    const cov = ellipseCoverage(x, y, cx, torsoCy, torsoRx, torsoRy);
    if (cov <= 0) return 0;
    const vHalf = 0.09 * s * (1 - (y - neckline) / (0.2 * s));
    const inInsert = clamp01(0.5 + vHalf - Math.abs(x - cx));
    const inStripe = striped ? clamp01((Math.sin((y / stripePeriod) * 2 * Math.PI) - 0.4) * 4) : 0;
    const shade = 1.05 - 0.3 * ((x - cx) / torsoRx) ** 2 + 0.04 * Math.sin((x * 0.05) / px + (y * 0.02) / px);
    if (marks && cov >= 1 && inInsert <= 0 && inStripe <= 0) marks.shirt[Math.floor(y) * W + Math.floor(x)] = 1;
    for (let k = 0; k < 3; k++) {
      const body = main[k]! * (1 - inStripe) + stripe[k]! * inStripe;
      c[k] = Math.min(255, (body * (1 - inInsert) + insert[k]! * inInsert) * shade);
    }
    return cov;
  });

  // Neck and head.
  const neckTop = hcy + 0.5 * ry;
  paint(m, { x0: hcx - 0.06 * s, y0: neckTop - 0.05 * s, x1: hcx + 0.06 * s, y1: neckline + 0.05 * s }, (x, y, c) => {
    setShaded(c, skin, 0.82);
    return capsuleCoverage(x, y, hcx, neckTop, cx, neckline + 0.02 * s, 0.042 * s);
  });
  paint(m, { x0: hcx - rx - 2, y0: hcy - ry - 2, x1: hcx + rx + 2, y1: hcy + ry + 2 }, (x, y, c) => {
    const u = (x - hcx) / rx;
    const v = (y - hcy) / ry;
    let shade = 1.05 - 0.28 * (u * u + v * v);
    let tint: Rgb = skin;
    const eye = Math.max(
      ellipseCoverage(x, y, hcx - 0.36 * rx, hcy - 0.05 * ry, 0.13 * rx, 0.06 * ry),
      ellipseCoverage(x, y, hcx + 0.36 * rx, hcy - 0.05 * ry, 0.13 * rx, 0.06 * ry),
    );
    const mouth = ellipseCoverage(x, y, hcx, hcy + 0.5 * ry, 0.3 * rx, 0.06 * ry);
    if (eye > 0) {
      tint = [50, 36, 30];
      shade = 1;
    } else if (mouth > 0) {
      tint = [168, 78, 76];
      shade = 1;
    }
    setShaded(c, tint, shade);
    return ellipseCoverage(x, y, hcx, hcy, rx, ry);
  });

  // Hair cap: an ellipse over the skull, clipped by a curve that comes down at the temples.
  const capCy = hcy - 0.06 * ry;
  const capRx = 1.1 * rx;
  const capRy = 1.02 * ry;
  paint(m, { x0: hcx - capRx - 2, y0: capCy - capRy - 2, x1: hcx + capRx + 2, y1: hcy + 0.8 * ry }, (x, y, c) => {
    const u = (x - hcx) / rx;
    const clipY = hcy - 0.35 * ry + 0.9 * ry * u * u;
    setShaded(c, hair, 0.92 + 0.14 * Math.sin(Math.atan2(y - capCy, x - hcx) * 60));
    return ellipseCoverage(x, y, hcx, capCy, capRx, capRy) * clamp01(clipY - y + 0.5);
  });

  // Loose strands: thin, partly transparent curves leaving the hair outline.
  const strands = Math.round(240 * (longHair ? 1.3 : 1));
  for (let i = 0; i < strands; i++) {
    const onLong = longHair && rng.next() < 0.35;
    const theta = onLong
      ? rng.next() < 0.5
        ? rng.range(-0.3, 0.9)
        : Math.PI - rng.range(-0.3, 0.9)
      : rng.range(1.08 * Math.PI, 1.92 * Math.PI);
    const ex = onLong ? 1.25 * rx : capRx;
    const ey = onLong ? 1.2 * ry : capRy;
    const ocy = onLong ? hcy + 0.35 * ry : capCy;
    const sx = hcx + 0.96 * ex * Math.cos(theta);
    const sy = ocy + 0.96 * ey * Math.sin(theta);
    let dx = Math.cos(theta) / ex;
    let dy = Math.sin(theta) / ey;
    const norm = Math.hypot(dx, dy);
    const turn = rng.range(-0.7, 0.7);
    const ct = Math.cos(turn);
    const st = Math.sin(turn);
    [dx, dy] = [(dx * ct - dy * st) / norm, (dx * st + dy * ct) / norm];
    const len = rng.range(0.015, 0.08) * s;
    const bend = rng.range(-0.8, 0.8);
    const fall = onLong ? rng.range(0.3, 0.9) : rng.range(0, 0.3);
    const p1x = sx + dx * len * 0.5;
    const p1y = sy + dy * len * 0.5;
    const p2x = p1x + (dx * Math.cos(bend) - dy * Math.sin(bend)) * len * 0.5;
    const p2y = p1y + (dx * Math.sin(bend) + dy * Math.cos(bend)) * len * 0.5 + fall * len;
    const w = rng.range(0.5, 1.3) * Math.max(1, px * 0.8);
    const opacity = rng.range(0.3, 0.85);
    const light = rng.range(0.85, 1.35);
    const pts = quadraticPoints(sx, sy, p1x, p1y, p2x, p2y, 8);
    const pad = w + 2;
    paint(m, bounds(pts, pad), (x, y, c) => {
      let d = Infinity;
      for (let k = 0; k + 3 < pts.length; k += 2) {
        d = Math.min(d, segmentDistance(x, y, pts[k]!, pts[k + 1]!, pts[k + 2]!, pts[k + 3]!));
      }
      setShaded(c, hair, light);
      return opacity * Math.min(1, w) * clamp01(w / 2 + 0.5 - d);
    });
  }

  // Waving arm: a sleeve from shoulder to elbow to wrist.
  const shoulder = [cx + side * 0.2 * s, H - 0.42 * s] as const;
  const elbow = [cx + side * 0.29 * s, H - 0.3 * s] as const;
  const hx = cx + side * 0.25 * s;
  const hy = hcy - 0.03 * s;
  const wrist = [hx, hy + 0.085 * s] as const;
  paint(
    m,
    {
      x0: Math.min(shoulder[0], elbow[0], wrist[0]) - 0.07 * s,
      y0: wrist[1] - 0.05 * s,
      x1: Math.max(shoulder[0], elbow[0], wrist[0]) + 0.07 * s,
      y1: shoulder[1] + 0.07 * s,
    },
    (x, y, c) => {
      setShaded(c, main, 0.95 + 0.08 * Math.sin((y * 0.06) / px));
      return Math.max(
        capsuleCoverage(x, y, shoulder[0], shoulder[1], elbow[0], elbow[1], 0.05 * s),
        capsuleCoverage(x, y, elbow[0], elbow[1], wrist[0], wrist[1], 0.038 * s),
      );
    },
  );

  if (opts.reach) {
    // A sleeve from the far shoulder straight out past the photo's edge.
    const dir = opts.reach === "left" ? -1 : 1;
    const sx = cx + dir * 0.18 * s;
    const sy = H - 0.4 * s;
    const ex = dir < 0 ? -0.1 * s : W + 0.1 * s;
    const ey = sy - 0.12 * s;
    paint(
      m,
      { x0: Math.min(sx, ex) - 0.06 * s, y0: ey - 0.06 * s, x1: Math.max(sx, ex) + 0.06 * s, y1: sy + 0.06 * s },
      (x, y, c) => {
        setShaded(c, main, 0.95);
        const cov = capsuleCoverage(x, y, sx, sy, ex, ey, 0.045 * s);
        if (marks && cov > 0) marks.shirt[Math.floor(y) * W + Math.floor(x)] = 0;
        return cov;
      },
    );
  }

  // The hand moves sideways during the exposure: paint it alone, then smear it along x.
  const hand = createMatte(W, H);
  const handBox = { x0: hx - 0.1 * s, y0: hy - 0.13 * s, x1: hx + 0.1 * s, y1: wrist[1] + 0.01 * s };
  paint(hand, handBox, (x, y, c) => {
    setShaded(c, skin, 0.98);
    let cov = Math.max(
      ellipseCoverage(x, y, hx, hy, 0.04 * s, 0.05 * s),
      capsuleCoverage(x, y, hx, hy, wrist[0], wrist[1], 0.026 * s),
    );
    for (let f = 0; f < 4; f++) {
      const fx = hx + (f - 1.5) * 0.019 * s;
      cov = Math.max(
        cov,
        capsuleCoverage(
          x,
          y,
          fx,
          hy - 0.03 * s,
          fx + (f - 1.5) * 0.01 * s,
          hy - (0.085 + (f === 1 || f === 2 ? 0.01 : 0)) * s,
          0.0085 * s,
        ),
      );
    }
    const tx = hx - side * 0.05 * s;
    return Math.max(cov, capsuleCoverage(x, y, hx - side * 0.02 * s, hy + 0.01 * s, tx, hy - 0.03 * s, 0.01 * s));
  });
  const blur = Math.round(rng.range(0.018, 0.035) * s);
  smearRows(hand, blur, Math.floor(handBox.y0), Math.ceil(handBox.y1));
  over(m, hand);
  if (marks) for (let i = 0; i < hand.a.length; i++) if (hand.a[i]! > 0) marks.shirt[i] = 0;

  // A bottle on the other side: glass of 0.3-0.6 opacity with its own tint, denser walls, a highlight.
  // A blue bottle in front of a blue screen is as invisible as blue clothes: the studio avoids both.
  const tint = opts.glassOfWater ? WATER : rng.pick(opts.screen === "blue" ? GLASS_TINTS.slice(1) : GLASS_TINTS);
  const glassAlpha = opts.glassOfWater ? 0.18 : rng.range(0.3, 0.55);
  const bx = cx - side * 0.27 * s;
  const hw = 0.045 * s;
  const top = H - 0.43 * s;
  const shoulderY = H - 0.36 * s;
  const bottom = H - 0.08 * s;
  const wall = 0.006 * s;
  paint(m, { x0: bx - hw - 2, y0: top - 2, x1: bx + hw + 2, y1: bottom + 2 }, (x, y, c) => {
    const dx = Math.abs(x - bx);
    const neckHalf = 0.016 * s;
    const halfAt =
      y < shoulderY - 0.03 * s
        ? neckHalf
        : y < shoulderY
          ? neckHalf + (hw - neckHalf) * ((y - shoulderY + 0.03 * s) / (0.03 * s))
          : hw;
    const inside = Math.min(halfAt - dx, y - top, bottom - y);
    const cov = clamp01(inside + 0.5);
    if (cov <= 0) return 0;
    if (marks) marks.shirt[Math.floor(y) * W + Math.floor(x)] = 0;
    const highlight = clamp01(1 - Math.abs(x - (bx - 0.5 * hw)) / (0.12 * hw)) * (y > shoulderY ? 1 : 0);
    const density = inside < wall ? (opts.glassOfWater ? 0.5 : 0.75) : glassAlpha;
    if (marks && cov >= 1 && inside >= wall && highlight <= 0) marks.glass[Math.floor(y) * W + Math.floor(x)] = 1;
    const a = density + (0.85 - density) * highlight;
    for (let k = 0; k < 3; k++) c[k] = tint[k]! + (250 - tint[k]!) * highlight;
    return cov * a;
  });
}

function setShaded(c: Float32Array, rgb: Rgb, shade: number): void {
  c[0] = Math.min(255, rgb[0] * shade);
  c[1] = Math.min(255, rgb[1] * shade);
  c[2] = Math.min(255, rgb[2] * shade);
}

function quadraticPoints(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  segments: number,
): number[] {
  const pts: number[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const u = 1 - t;
    pts.push(u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2);
  }
  return pts;
}

function bounds(pts: readonly number[], pad: number): { x0: number; y0: number; x1: number; y1: number } {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let k = 0; k < pts.length; k += 2) {
    x0 = Math.min(x0, pts[k]!);
    x1 = Math.max(x1, pts[k]!);
    y0 = Math.min(y0, pts[k + 1]!);
    y1 = Math.max(y1, pts[k + 1]!);
  }
  return { x0: x0 - pad, y0: y0 - pad, x1: x1 + pad, y1: y1 + pad };
}

/** Uniform horizontal motion blur of the premultiplied planes over the given rows. */
function smearRows(m: Matte, radius: number, y0: number, y1: number): void {
  const ya = Math.max(0, y0);
  const yb = Math.min(m.height, y1);
  const rows = yb - ya;
  if (rows <= 0 || radius <= 0) return;
  for (const plane of [m.a, m.r, m.g, m.b]) {
    const view = plane.subarray(ya * m.width, yb * m.width);
    const tmp = new Float32Array(view.length);
    blurRows(view, tmp, m.width, rows, radius);
    view.set(tmp);
  }
}
