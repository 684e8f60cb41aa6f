import type { SceneOptions } from "./scene";

/** Seeds the keyer's settings were tuned on. */
export const TUNING_SEEDS = [101, 102, 103, 104, 105, 106] as const;
/** Seeds never looked at while tuning: the quality assertions use only these. */
export const HELD_OUT_SEEDS = [201, 202, 203, 204, 205, 206, 207, 208] as const;

/** A seed's scene: even seeds landscape 800x600, odd portrait 640x800; every third a blue screen. */
export function sceneFor(seed: number): SceneOptions {
  const landscape = seed % 2 === 0;
  return {
    seed,
    width: landscape ? 800 : 640,
    height: landscape ? 600 : 800,
    screen: seed % 3 === 0 ? "blue" : "green",
  };
}

/** A photo of a kind guests really take, with what the assertions expect of it. */
export interface HardScene {
  name: string;
  /** What the scene shows, for the README table. */
  what: string;
  spec: SceneOptions;
  /**
   * Whether the keyer's settings were tuned while looking at it (the rest are held out). green-clothes and
   * landscape-reach started held out and were looked at when CORE_PHOTO_SHARE and SHADE_CHROMA were set.
   */
  tuning: boolean;
}

const portrait = { width: 640, height: 800 };
const landscape = { width: 960, height: 640 };

/** The situations of issue 7, each a scene of its own; seeds differ from the tuning and held-out sets. */
export const HARD_SCENES: readonly HardScene[] = [
  {
    name: "room",
    what: "screen stops short: wall left and right, ceiling above",
    spec: { seed: 301, ...portrait, room: { left: 0.12, right: 0.1, top: 0.16 } },
    tuning: true,
  },
  {
    name: "arm-on-wall",
    what: "an outstretched arm crosses from the screen onto the wall",
    spec: { seed: 302, ...portrait, room: { left: 0.14, right: 0.08, top: 0.1 }, reach: "left" },
    tuning: false,
  },
  {
    name: "strong-spill",
    what: "white shirt lit green by the screen",
    spec: { seed: 303, ...portrait, clothes: ["white", "white", "white"], spill: { edge: 0.5, overall: 0.15 } },
    tuning: true,
  },
  {
    name: "moderate-spill",
    what: "light clothes, moderate spill",
    spec: { seed: 304, ...portrait, clothes: ["white", "grey", "white"], spill: { edge: 0.35, overall: 0.08 } },
    tuning: false,
  },
  {
    name: "green-clothes",
    what: "bright green shirt",
    spec: { seed: 305, ...portrait, clothes: ["brightGreen", "brightGreen", "brightGreen"] },
    tuning: true,
  },
  {
    name: "creased",
    what: "creased screen, washed-out hot spot, hard shadow",
    spec: { seed: 306, ...portrait, creased: true },
    tuning: true,
  },
  {
    name: "dim",
    what: "underexposed (0.4), noisy (sigma 6), JPEG 75",
    spec: { seed: 307, ...portrait, exposure: 0.4, noiseSigma: 6, jpegQuality: 75 },
    tuning: true,
  },
  {
    name: "small-far",
    what: "guest standing far back (0.35 of a selfie's size)",
    spec: { seed: 308, ...portrait, subjectScale: 0.35 },
    tuning: false,
  },
  {
    name: "two-people",
    what: "two guests side by side, landscape",
    spec: { seed: 309, ...landscape, twoPeople: true },
    tuning: false,
  },
  {
    name: "glass-of-water",
    what: "a clear glass of water held out",
    spec: { seed: 310, ...portrait, glassOfWater: true },
    tuning: false,
  },
  {
    name: "blue-room",
    what: "blue screen stopping short, white shirt with spill",
    spec: {
      seed: 311,
      ...portrait,
      screen: "blue",
      room: { left: 0.1, right: 0.12, top: 0.12 },
      clothes: ["white", "red", "white"],
      spill: { overall: 0.15 },
    },
    tuning: false,
  },
  {
    name: "landscape-reach",
    what: "landscape, arm out past the photo's right edge, creased screen",
    spec: { seed: 312, ...landscape, reach: "right", creased: true },
    tuning: true,
  },
];
