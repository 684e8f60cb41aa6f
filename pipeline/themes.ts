/**
 * The souvenir's fixed geometry and the theme list, shared by the compositor and by
 * assets/generate.ts, which draws the frame to match.
 */
import * as path from "node:path";
import { BACKGROUNDS_DIR, findAssetsDir, listThemes } from "./asset-files";

export const OUTPUT_WIDTH = 1080;
export const OUTPUT_HEIGHT = 1350;

/**
 * Theme names: the backgrounds in the assets folder (asset-files.ts), read once when this module loads, so the
 * compositor, the CLI, the stage settings and the Pulumi program's check all see the same list. With no assets
 * folder at all (assets/generate.ts drawing them on a fresh checkout) it is the three this project draws.
 */
export const THEMES: readonly string[] = Object.freeze(themesOnDisk());

function themesOnDisk(): string[] {
  let dir: string;
  try {
    dir = findAssetsDir();
  } catch {
    return ["castle", "rollercoaster", "tropical"];
  }
  const names = [...listThemes(dir).keys()];
  if (names.length === 0) throw new Error(`${path.join(dir, BACKGROUNDS_DIR)} holds no theme background`);
  return names;
}

/**
 * The part of a background to draw so it covers the souvenir without stretching: centred, cropped to 4:5.
 * A park's own picture may have any shape.
 */
export function coverCrop(width: number, height: number): Box {
  const scale = Math.min(width / OUTPUT_WIDTH, height / OUTPUT_HEIGHT);
  const w = Math.min(width, Math.round(OUTPUT_WIDTH * scale));
  const h = Math.min(height, Math.round(OUTPUT_HEIGHT * scale));
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), width: w, height: h };
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The ribbon in the frame overlay that carries the park name. */
export const BANNER: Box = { x: 100, y: 1160, width: 880, height: 136 };
/** Where the park name's text may go inside the banner. */
export const BANNER_TEXT: Box = { x: 170, y: 1180, width: 740, height: 96 };
/** The "souvenir photo" tab sits on the banner's top edge; nothing of the guest goes behind it. */
export const BANNER_TAB_HEIGHT = 20;
/**
 * Room for the guest: above the banner and its tab, with margins that leave the scene's
 * landmarks (castle towers, coaster loop, palm crowns) in view around a single person.
 * Subjects stand on its bottom edge.
 */
export const SUBJECT_AREA: Box = { x: 80, y: 170, width: 920, height: BANNER.y - BANNER_TAB_HEIGHT - 170 };
export const FRAME_BORDER = 26;

export const DEFAULT_PARK_NAME = "Adventure Park";
export const FONT_FAMILY = "Souvenir DejaVu Sans Bold";

/** FNV-1a: a stable hash so one photo always gets the same theme, on every machine. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function chooseTheme(photoId: string): string {
  return THEMES[fnv1a(photoId) % THEMES.length];
}

/** The theme to use: the one asked for (checked), else the one the photo id picks. */
export function resolveTheme(photoId: string, theme?: string): string {
  if (theme === undefined || theme === "") return chooseTheme(photoId);
  if (!THEMES.includes(theme)) throw new Error(`unknown theme "${theme}"; known themes: ${THEMES.join(", ")}`);
  return theme;
}
