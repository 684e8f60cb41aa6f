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
