import { createRgba, type Rgba } from "../../pipeline/rgba";
import { boxBlur } from "./blur";
import { fromJpeg, toJpeg } from "./jpeg";
import { createMatte, type Matte } from "./matte";
import { createPrng, type Prng } from "./prng";
import { paintSubject, type SubjectMarks, type SubjectOptions } from "./subject";

export type ScreenColour = "green" | "blue";

export interface SceneOptions extends SubjectOptions {
  seed: number;
  width: number;
  height: number;
  screen?: ScreenColour;
  /** JPEG quality of the "camera" (default 85). */
  jpegQuality?: number;
  /**
   * The screen stops short of the frame: shares of the width (left, right) and height (top) where the
   * room shows instead (wall, ceiling, the screen's frame). It always reaches the bottom edge.
   */
  room?: { left: number; right: number; top: number };
  /** Screen light reflected by the subject: at its edges (default random 0.15-0.35) and all over it. */
  spill?: { edge?: number; overall?: number };
  /** Deep narrow folds in the screen, a washed-out hot spot and a hard shadow. */
  creased?: boolean;
  /** Exposure (1 = normal; 0.4 an underexposed photo) and sensor noise (default random 1.5-3). */
  exposure?: number;
  noiseSigma?: number;
  /** The subject's size relative to a normal selfie (0.35: a guest standing far back). */
  subjectScale?: number;
  /** Two people side by side. */
  twoPeople?: boolean;
}

/** Pixel masks (1 = inside) of the regions the hard-scene assertions look at. */
export interface SceneRegions {
  /** Bare screen, at least 3 px from the subject. */
  background: Uint8Array;
  /** The room outside the screen, the subject excluded. */
  wall: Uint8Array;
  /** The main colour of the clothes on the torso, solid. */
  shirt: Uint8Array;
  /** The inside of the glass or bottle. */
  glass: Uint8Array;
  /** Whether a pixel lies inside the screen's area. */
  screen: Uint8Array;
}

export interface GroundTruth {
  /** What the camera delivers: subject on the screen, spill, noise, JPEG. */
  observed: Rgba;
  /** The true alpha of the foreground, 0..1. */
  alphaTrue: Float32Array;
  /** The true foreground colour (no spill); its alpha channel is alphaTrue in bytes. */
  fgTrue: Rgba;
  /** The camera's JPEG file that `observed` was decoded from. */
  jpeg: Buffer;
  regions: SceneRegions;
}

/**
 * Renders a deterministic green- or blue-screen photo with a known matte.
 * The screen is unevenly lit (gradient, hot spot, vignette, colour drift, folds) and carries the
 * subject's soft shadow; the subject's edges pick up spill from the screen.
 */
export async function generateScene(opts: SceneOptions): Promise<GroundTruth> {
  const { width: W, height: H } = opts;
  const rng = createPrng(opts.seed);
  const s = Math.min(H, W * 1.25);
  const n = W * H;
  const fg = createMatte(W, H);
  const marks: SubjectMarks = { shirt: new Uint8Array(n), glass: new Uint8Array(n) };
  const subjectOptions = { ...opts, screen: opts.screen ?? "green" };
  if (opts.twoPeople) {
    for (const side of [0, 1]) {
      placeSubject(fg, marks, rng, subjectOptions, Math.round(W * 0.55), Math.round(H * 0.9), side ? 1 : 0);
    }
  } else if (opts.subjectScale !== undefined && opts.subjectScale !== 1) {
    const f = opts.subjectScale;
    placeSubject(fg, marks, rng, subjectOptions, Math.round(W * f), Math.round(H * f), 0.5);
  } else paintSubject(fg, rng, subjectOptions, marks);

  const blue = opts.screen === "blue";
  const base = blue
    ? [rng.range(20, 45), rng.range(70, 105), rng.range(175, 215)]
    : [rng.range(25, 55), rng.range(150, 185), rng.range(55, 90)];
  const basePeak = Math.max(base[0]!, base[1]!, base[2]!);
  const phi = rng.range(0, 2 * Math.PI);
  const gradient = rng.range(0.1, 0.3);
  const vignette = rng.range(0.15, 0.3);
  const spotX = rng.range(0.2, 0.8) * W;
  const spotY = rng.range(0.1, 0.6) * H;
  const spotSigma2 = 2 * (0.3 * Math.max(W, H)) ** 2;
  const drift = [rng.range(-0.3, 0.3), rng.range(-0.08, 0.08), rng.range(-0.3, 0.3)];
  const foldPeriod = rng.range(0.1, 0.2) * s;
  const foldAngle = rng.range(-0.5, 0.5);

  // The shadow is the matte itself, shifted away from the light and blurred.
  const shiftX = Math.round((rng.next() < 0.5 ? -1 : 1) * rng.range(0.03, 0.07) * s);
  const shiftY = Math.round(rng.range(0, 0.03) * s);
  const shifted = new Float32Array(n);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(H - 1, Math.max(0, y - shiftY));
    for (let x = 0; x < W; x++) {
      const sx = Math.min(W - 1, Math.max(0, x - shiftX));
      shifted[y * W + x] = fg.a[sy * W + sx]!;
    }
  }
  const shadow = boxBlur(shifted, W, H, 0.025 * s);
  const shadowStrength = rng.range(0.25, 0.45);

  // Spill grows with closeness to the screen: a blur of the screen's visibility.
  const seen = new Float32Array(n);
  for (let i = 0; i < n; i++) seen[i] = 1 - fg.a[i]!;
  const proximity = boxBlur(seen, W, H, 0.006 * s, 2);
  const spillMax = opts.spill?.edge ?? rng.range(0.15, 0.35);
  const noiseSigma = opts.noiseSigma ?? rng.range(1.5, 3);
  const spillAll = opts.spill?.overall ?? 0;
  const exposure = opts.exposure ?? 1;
  const room = opts.room;
  const screenX0 = room ? Math.round(room.left * W) : 0;
  const screenX1 = room ? W - Math.round(room.right * W) : W;
  const screenY0 = room ? Math.round(room.top * H) : 0;
  const frameWidth = Math.max(2, Math.round(0.012 * s));
  const wallTone = room ? rng.range(0.85, 1.05) : 1;
  const creases = opts.creased ? makeCreases(rng, W, H, s) : undefined;
  const hardShadow = opts.creased ? hardShadowOf(fg, W, H, s, rng) : undefined;

  const observed = createRgba(W, H);
  const fgTrue = createRgba(W, H);
  const alphaTrue = new Float32Array(n);
  const screen = new Float32Array(3);
  for (let y = 0; y < H; y++) {
    const v = y / H - 0.5;
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const u = x / W - 0.5;
      const light =
        (0.85 +
          gradient * (u * Math.cos(phi) + v * Math.sin(phi)) +
          0.15 * Math.exp(-((x - spotX) ** 2 + (y - spotY) ** 2) / spotSigma2)) *
        (1 - vignette * 2 * (u * u + v * v)) *
        (1 + 0.03 * Math.sin(((x * Math.cos(foldAngle) + y * Math.sin(foldAngle)) / foldPeriod) * 2 * Math.PI)) *
        (1 - shadowStrength * shadow[i]!);
      for (let k = 0; k < 3; k++) screen[k] = base[k]! * light * (1 + drift[k]! * u);
      if (creases && hardShadow) creases(x, y, screen, hardShadow[i]!);
      const inScreen = x >= screenX0 && x < screenX1 && y >= screenY0;
      if (!inScreen) roomColour(x, y, screenX0, screenX1, screenY0, frameWidth, wallTone, screen);
      const a = fg.a[i]!;
      // Outside the screen the product cuts everything away, an arm crossing onto the wall included.
      alphaTrue[i] = inScreen ? a : 0;
      const o = 4 * i;
      const spill = spillMax * proximity[i]!;
      const channels = [fg.r[i]!, fg.g[i]!, fg.b[i]!];
      for (let k = 0; k < 3; k++) {
        const f = a > 1e-6 ? channels[k]! / a : 0;
        fgTrue.data[o + k] = f;
        // Spill is screen-coloured light reflected by the subject's own colour: as bright as the screen is.
        let spilled = Math.min(255, f * (1 + (spill * screen[k]!) / basePeak));
        // Light from the whole screen bathing the subject tints it without changing its brightness much.
        if (spillAll > 0) spilled = Math.min(255, spilled * (1 - spillAll + (1.5 * spillAll * base[k]!) / basePeak));
        observed.data[o + k] = exposure * (a * spilled + (1 - a) * screen[k]!) + noiseSigma * rng.gauss();
      }
      fgTrue.data[o + 3] = alphaTrue[i]! * 255;
      observed.data[o + 3] = 255;
    }
  }
  const jpeg = await toJpeg(observed, opts.jpegQuality ?? 85);
  const regions = sceneRegions(alphaTrue, fg, marks, W, H, (x, y) => x >= screenX0 && x < screenX1 && y >= screenY0);
  return { observed: await fromJpeg(jpeg), alphaTrue, fgTrue, jpeg, regions };
}

/** Paints a subject into a w x h matte and lays it over `m` standing on the bottom edge, `at` across (0..1). */
function placeSubject(
  m: Matte,
  marks: SubjectMarks,
  rng: Prng,
  opts: SubjectOptions,
  w: number,
  h: number,
  at: number,
): void {
  const sub = createMatte(w, h);
  const subMarks: SubjectMarks = { shirt: new Uint8Array(w * h), glass: new Uint8Array(w * h) };
  paintSubject(sub, rng, opts, subMarks);
  const ox = Math.round((m.width - w) * at);
  const oy = m.height - h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const j = y * w + x;
      const c = sub.a[j]!;
      if (c <= 0) continue;
      const i = (oy + y) * m.width + ox + x;
      const k = 1 - c;
      m.a[i] = c + m.a[i]! * k;
      m.r[i] = sub.r[j]! + m.r[i]! * k;
      m.g[i] = sub.g[j]! + m.g[i]! * k;
      m.b[i] = sub.b[j]! + m.b[i]! * k;
      marks.shirt[i] = subMarks.shirt[j]!;
      marks.glass[i] = subMarks.glass[j]!;
    }
  }
}

/** A painted wall and ceiling with a dark frame around the screen: what a phone sees beyond a small backdrop. */
function roomColour(
  x: number,
  y: number,
  x0: number,
  x1: number,
  y0: number,
  frame: number,
  tone: number,
  out: Float32Array,
): void {
  const onFrame = y >= y0 - frame && x >= x0 - frame && x < x1 + frame;
  const ceiling = y < 0.12 * y0;
  const grain = 1 + 0.04 * Math.sin(x * 0.31 + Math.sin(y * 0.05) * 3) + 0.02 * Math.sin(y * 0.7);
  const rgb = onFrame ? [58, 58, 62] : ceiling ? [232, 230, 224] : [204, 192, 170];
  for (let k = 0; k < 3; k++) out[k] = rgb[k]! * tone * grain;
}

/** Narrow dark folds across the screen and a washed-out hot spot, applied to the screen's colour. */
function makeCreases(
  rng: Prng,
  W: number,
  H: number,
  s: number,
): (x: number, y: number, screen: Float32Array, shadow: number) => void {
  const folds = Array.from({ length: 6 }, () => ({
    x: rng.range(0.05, 0.95) * W,
    angle: rng.range(-0.35, 0.35),
    width: rng.range(0.002, 0.005) * s,
    depth: rng.range(0.35, 0.55),
  }));
  const spotX = rng.range(0.25, 0.75) * W;
  const spotY = rng.range(0.1, 0.35) * H;
  const spotR2 = 2 * (0.07 * s) ** 2;
  return (x, y, screen, shadow) => {
    let light = 1 - 0.5 * shadow;
    for (const f of folds) {
      const d = Math.abs((x - f.x) * Math.cos(f.angle) - y * Math.sin(f.angle)) / f.width;
      if (d < 3) light *= 1 - f.depth * Math.exp(-d * d);
    }
    const wash = 0.6 * Math.exp(-((x - spotX) ** 2 + (y - spotY) ** 2) / spotR2);
    for (let k = 0; k < 3; k++) screen[k] = (screen[k]! * (1 - wash) + 240 * wash) * light;
  };
}

/** A sharp-edged shadow (a strong point light), the matte shifted and barely blurred. */
function hardShadowOf(fg: Matte, W: number, H: number, s: number, rng: Prng): Float32Array {
  const shiftX = Math.round(rng.range(0.05, 0.09) * s);
  const shifted = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) shifted[y * W + x] = fg.a[y * W + Math.max(0, x - shiftX)]!;
  }
  return boxBlur(shifted, W, H, 0.003 * s, 1);
}

/** The regions the assertions look at: bare screen, wall, shirt, glass, and the screen's own area. */
function sceneRegions(
  alphaTrue: Float32Array,
  fg: Matte,
  marks: SubjectMarks,
  W: number,
  H: number,
  inScreen: (x: number, y: number) => boolean,
): SceneRegions {
  const n = W * H;
  const near = new Float32Array(n);
  for (let i = 0; i < n; i++) near[i] = fg.a[i]! > 0 ? 1 : 0;
  const grown = boxBlur(near, W, H, 3, 1);
  const regions: SceneRegions = {
    background: new Uint8Array(n),
    wall: new Uint8Array(n),
    shirt: new Uint8Array(n),
    glass: new Uint8Array(n),
    screen: new Uint8Array(n),
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const screen = inScreen(x, y);
      regions.screen[i] = screen ? 1 : 0;
      if (grown[i]! <= 0) regions[screen ? "background" : "wall"][i] = 1;
      if (screen && marks.shirt[i] && alphaTrue[i]! >= 0.999) regions.shirt[i] = 1;
      if (screen && marks.glass[i]) regions.glass[i] = 1;
    }
  }
  return regions;
}
