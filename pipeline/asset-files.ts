/**
 * Where the shipped assets are on disk, and which themes they hold. A theme is data: a background image in
 * `assets/backgrounds/` (its file name is the theme's name) and, optionally, a frame of its own beside it.
 * No module state and no image decoding here, so the theme list can be read wherever it is needed: the
 * compositor, the CLI's --theme, the stage settings and the Pulumi program's check of them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const FRAME_FILE = "frame.png";
export const FONT_FILE = path.join("fonts", "DejaVuSans-Bold.ttf");
export const BACKGROUNDS_DIR = "backgrounds";
/** `<name>.jpg|.jpeg|.png` is a theme; `<name>.frame.png` beside it replaces the shared frame for that theme. */
const BACKGROUND_FILE = /^([a-z0-9][a-z0-9-]*)\.(jpe?g|png)$/;
const FRAME_SUFFIX = ".frame.png";
/** "auto" is the stage setting's word for "chosen from the photo id". */
const RESERVED = new Set(["auto"]);

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

export interface ThemeFiles {
  /** Relative to the assets folder. */
  background: string;
  frame: string;
}

/** The themes in an assets folder, by name, sorted (so the photo id picks the same theme on every machine). */
export function listThemes(assetsDir: string): Map<string, ThemeFiles> {
  const dir = path.join(assetsDir, BACKGROUNDS_DIR);
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  const themes = new Map<string, ThemeFiles>();
  for (const file of names) {
    const name = BACKGROUND_FILE.exec(file)?.[1];
    if (name === undefined || file.endsWith(FRAME_SUFFIX) || RESERVED.has(name) || themes.has(name)) continue;
    const ownFrame = `${name}${FRAME_SUFFIX}`;
    themes.set(name, {
      background: path.join(BACKGROUNDS_DIR, file),
      frame: names.includes(ownFrame) ? path.join(BACKGROUNDS_DIR, ownFrame) : FRAME_FILE,
    });
  }
  return themes;
}
