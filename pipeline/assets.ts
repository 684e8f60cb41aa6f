/**
 * The shipped assets (backgrounds, frame, font), found at run time and loaded once per
 * process. Warm Lambda invocations reuse them; only the first pays for decoding.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GlobalFonts, loadImage, type Image } from "@napi-rs/canvas";
import { FONT_FAMILY, THEMES } from "./themes";

const FRAME_FILE = "frame.png";
const FONT_FILE = path.join("fonts", "DejaVuSans-Bold.ttf");

export function backgroundFile(theme: string): string {
  return path.join("backgrounds", `${theme}.jpg`);
}

function hasAssets(dir: string): boolean {
  return fs.existsSync(path.join(dir, FRAME_FILE)) && fs.existsSync(path.join(dir, FONT_FILE));
}

/**
 * `ASSETS_DIR` if set, else the first `assets/` holding the frame and the font found walking
 * up from this module: `pipeline/` under tsx and `dist/pipeline/` compiled both find the
 * project's own folder, as does a Lambda bundle that keeps the same layout.
 */
export function findAssetsDir(env: NodeJS.ProcessEnv = process.env, start: string = __dirname): string {
  const override = env.ASSETS_DIR;
  if (override) {
    if (!hasAssets(override)) throw new Error(`ASSETS_DIR=${override} does not hold ${FRAME_FILE} and ${FONT_FILE}`);
    return path.resolve(override);
  }
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "assets");
    if (hasAssets(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`no assets/ folder with ${FRAME_FILE} and ${FONT_FILE} above ${start}; set ASSETS_DIR`);
}

export interface Assets {
  dir: string;
  frame: Image;
  backgrounds: ReadonlyMap<string, Image>;
  fontFamily: string;
}

let cached: Promise<Assets> | undefined;

async function load(dir: string): Promise<Assets> {
  if (!GlobalFonts.has(FONT_FAMILY) && !GlobalFonts.registerFromPath(path.join(dir, FONT_FILE), FONT_FAMILY)) {
    throw new Error(`cannot register font ${path.join(dir, FONT_FILE)}`);
  }
  const frame = await loadImage(await fs.promises.readFile(path.join(dir, FRAME_FILE)));
  const backgrounds = new Map<string, Image>();
  for (const theme of THEMES) {
    backgrounds.set(theme, await loadImage(await fs.promises.readFile(path.join(dir, backgroundFile(theme)))));
  }
  return { dir, frame, backgrounds, fontFamily: FONT_FAMILY };
}

export function loadAssets(): Promise<Assets> {
  if (!cached) {
    const pending = load(findAssetsDir());
    // A failed load is not cached, so a fixed ASSETS_DIR works without a restart.
    pending.catch(() => {
      if (cached === pending) cached = undefined;
    });
    cached = pending;
  }
  return cached;
}
