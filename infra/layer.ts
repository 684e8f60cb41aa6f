// The Lambda layer that carries the native binaries: sharp's (libvips) and @napi-rs/canvas's (Skia). Each ships
// as an optional, platform-specific npm package, which Pulumi never puts in a function zip; installing them for
// Linux x64 explicitly makes the deployed code the same whatever OS runs `pulumi up`. The versions and integrity
// hashes are the ones package-lock.json pins, checked by `npm ci`.
// Run before `pulumi up`: `npm run build:layer`.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The platform packages Lambda (x86_64, glibc) loads; the functions' architecture must match. */
export const NATIVE_PACKAGES = [
  "@img/sharp-linux-x64",
  "@img/sharp-libvips-linux-x64",
  "@napi-rs/canvas-linux-x64-gnu",
] as const;

/**
 * Environment of every function that loads the layer. libvips decodes on several threads, and glibc gives each
 * thread's allocations an arena of its own that it rarely hands back: two arenas cut the chromakey stage's peak
 * RSS on a 12 MP phone photo from 272-306 to 234-248 MB (three runs each), at the same speed.
 */
export const NATIVE_LAYER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "2" };

/** Relative to the project root: the folder zipped as the layer (it holds `nodejs/node_modules`). */
export const LAYER_DIR = path.join("build", "layer");

/** Where Lambda mounts a layer's `nodejs/node_modules`: on the runtime's NODE_PATH. */
export const LAYER_NODE_MODULES = path.join(LAYER_DIR, "nodejs", "node_modules");

/** The native binaries inside the layer folder, for checks: the two Node addons and the library sharp links. */
export function nativeBinaryPaths(root: string): string[] {
  const dir = path.join(root, LAYER_NODE_MODULES);
  const sharpVersion = builtVersions(root)["@img/sharp-linux-x64"] ?? "missing";
  const libvips = path.join(dir, "@img", "sharp-libvips-linux-x64", "lib");
  const libvipsFiles = fs.existsSync(libvips) ? fs.readdirSync(libvips).filter((f) => f.startsWith("libvips-cpp")) : [];
  return [
    path.join(dir, "@img", "sharp-linux-x64", "lib", `sharp-linux-x64-${sharpVersion}.node`),
    path.join(libvips, libvipsFiles[0] ?? "libvips-cpp.so (missing)"),
    path.join(dir, "@napi-rs", "canvas-linux-x64-gnu", "skia.linux-x64-gnu.node"),
  ];
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  cpu?: string[];
  os?: string[];
  libc?: string[];
}

function lockEntries(root: string): Record<string, LockEntry> {
  const lockFile = path.join(root, "package-lock.json");
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages?: Record<string, LockEntry> };
  const entries: Record<string, LockEntry> = {};
  for (const name of NATIVE_PACKAGES) {
    const entry = lock.packages?.[`node_modules/${name}`];
    if (!entry?.version || !entry.integrity) {
      throw new Error(`${name} is not in ${lockFile}: run \`npm install\` to refresh the lock file`);
    }
    entries[name] = entry;
  }
  return entries;
}

/** The versions package-lock.json pins for the platform packages: the ones sharp and the canvas were tested with. */
export function lockedVersions(root: string): Record<string, string> {
  return Object.fromEntries(Object.entries(lockEntries(root)).map(([name, entry]) => [name, entry.version!]));
}

/** The versions in the layer folder; a package is absent when the layer does not hold it. */
export function builtVersions(root: string): Partial<Record<string, string>> {
  const versions: Partial<Record<string, string>> = {};
  for (const name of NATIVE_PACKAGES) {
    const manifest = path.join(root, LAYER_NODE_MODULES, name, "package.json");
    if (fs.existsSync(manifest)) {
      versions[name] = (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: string }).version;
    }
  }
  return versions;
}

/** What the layer holds, for its description: `name@version` of each package. */
export function layerContents(root: string): string {
  return Object.entries(lockedVersions(root))
    .map(([name, version]) => `${name}@${version}`)
    .join(" ");
}

/** True when the layer folder holds exactly the locked versions, binaries included. */
export function layerIsCurrent(root: string): boolean {
  const built = builtVersions(root);
  return (
    Object.entries(lockedVersions(root)).every(([name, version]) => built[name] === version) &&
    nativeBinaryPaths(root).every((file) => fs.existsSync(file))
  );
}

/** Builds the layer folder from the npm registry (needs network), replacing any previous build. */
export function buildLayer(root: string): void {
  const entries = lockEntries(root);
  const prefix = path.join(root, LAYER_DIR, "nodejs");
  fs.rmSync(path.join(root, LAYER_DIR), { recursive: true, force: true });
  fs.mkdirSync(prefix, { recursive: true });
  // A project of its own whose lock file holds our lock file's entries: `npm ci` installs exactly those tarballs.
  const dependencies = Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, entry.version!]));
  const manifest = { name: "theme-park-photos-native-layer", private: true, dependencies };
  fs.writeFileSync(path.join(prefix, "package.json"), JSON.stringify(manifest, null, 2));
  const packages: Record<string, unknown> = { "": { name: manifest.name, dependencies } };
  for (const [name, entry] of Object.entries(entries)) packages[`node_modules/${name}`] = entry;
  const lock = { name: manifest.name, lockfileVersion: 3, requires: true, packages };
  fs.writeFileSync(path.join(prefix, "package-lock.json"), JSON.stringify(lock, null, 2));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["ci", "--os=linux", "--cpu=x64", "--libc=glibc", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: prefix,
    stdio: ["ignore", "ignore", "inherit"],
    shell: process.platform === "win32",
  });
  // Only node_modules goes into the layer.
  for (const file of ["package.json", "package-lock.json", path.join("node_modules", ".package-lock.json")]) {
    fs.rmSync(path.join(prefix, file), { force: true });
  }
  if (!layerIsCurrent(root)) throw new Error(`npm did not install ${layerContents(root)} into ${prefix}`);
}

/** Builds the layer unless the folder already holds the locked versions. */
export function ensureLayer(root: string): void {
  if (!layerIsCurrent(root)) buildLayer(root);
}

/** One clear line when the layer is missing or stale, for the Pulumi program. */
export function checkLayer(root: string): void {
  if (!layerIsCurrent(root)) {
    throw new Error(
      `The native layer (${LAYER_DIR}) does not hold ${layerContents(root)}: run \`npm run build:layer\``,
    );
  }
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  buildLayer(root);
  console.log(`Built ${LAYER_DIR}: ${layerContents(root)}`);
}
