/**
 * The shipped assets (backgrounds, frames, font), found at run time and loaded once per
 * process. Warm Lambda invocations reuse them; only the first pays for decoding.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GlobalFonts, loadImage, type Image } from "@napi-rs/canvas";
import { FONT_FILE, findAssetsDir, listThemes } from "./asset-files";
import { FONT_FAMILY } from "./themes";

export { findAssetsDir } from "./asset-files";

export interface Assets {
  dir: string;
  /** The theme's background and frame, decoded on first use (a cold start pays only for the theme it draws). */
  theme(name: string): Promise<{ background: Image; frame: Image }>;
  fontFamily: string;
}

let cached: Promise<Assets> | undefined;

async function load(dir: string): Promise<Assets> {
  if (!GlobalFonts.has(FONT_FAMILY) && !GlobalFonts.registerFromPath(path.join(dir, FONT_FILE), FONT_FAMILY)) {
    throw new Error(`cannot register font ${path.join(dir, FONT_FILE)}`);
  }
  const themes = listThemes(dir);
  const images = new Map<string, Promise<Image>>();
  const image = (file: string): Promise<Image> => {
    let pending = images.get(file);
    if (!pending) {
      pending = fs.promises.readFile(path.join(dir, file)).then((bytes) => loadImage(bytes));
      images.set(file, pending);
      pending.catch(() => images.delete(file));
    }
    return pending;
  };
  return {
    dir,
    async theme(name) {
      const files = themes.get(name);
      if (!files) throw new Error(`theme "${name}" has no background in ${path.join(dir, "backgrounds")}`);
      const [background, frame] = await Promise.all([image(files.background), image(files.frame)]);
      return { background, frame };
    },
    fontFamily: FONT_FAMILY,
  };
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
