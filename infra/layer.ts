// The Lambda layer that carries @napi-rs/canvas's native binary. The binary ships as an optional,
// platform-specific npm package, which Pulumi never puts in a function zip; installing it for
// Linux x64 explicitly makes the deployed code the same whatever OS runs `pulumi up`.
// Run before `pulumi up`: `npm run build:layer`.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The platform package Lambda (x86_64, glibc) loads; the functions' architecture must match. */
export const NATIVE_PACKAGE = "@napi-rs/canvas-linux-x64-gnu";

/** Relative to the project root: the folder zipped as the layer (it holds `nodejs/node_modules`). */
export const LAYER_DIR = path.join("build", "layer");

/** Where Lambda mounts a layer's `nodejs/node_modules`: on the runtime's NODE_PATH. */
export const LAYER_NODE_MODULES = path.join(LAYER_DIR, "nodejs", "node_modules");

/** The native binary's path inside the layer folder, for checks. */
export function nativeBinaryPath(root: string): string {
  return path.join(root, LAYER_NODE_MODULES, NATIVE_PACKAGE, "skia.linux-x64-gnu.node");
}

/** The version package-lock.json pins for the platform package: the one @napi-rs/canvas was tested with. */
export function lockedNativeVersion(root: string): string {
  const lockFile = path.join(root, "package-lock.json");
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as {
    packages?: Record<string, { version?: string }>;
  };
  const version = lock.packages?.[`node_modules/${NATIVE_PACKAGE}`]?.version;
  if (!version) {
    throw new Error(`${NATIVE_PACKAGE} is not in ${lockFile}: run \`npm install\` to refresh the lock file`);
  }
  return version;
}

/** The version currently in the layer folder, or undefined when the layer is not built. */
export function builtNativeVersion(root: string): string | undefined {
  const manifest = path.join(root, LAYER_NODE_MODULES, NATIVE_PACKAGE, "package.json");
  if (!fs.existsSync(manifest) || !fs.existsSync(nativeBinaryPath(root))) return undefined;
  return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version?: string }).version;
}

/** Builds the layer folder from the npm registry (needs network), replacing any previous build. */
export function buildLayer(root: string): string {
  const version = lockedNativeVersion(root);
  const prefix = path.join(root, LAYER_DIR, "nodejs");
  fs.rmSync(path.join(root, LAYER_DIR), { recursive: true, force: true });
  fs.mkdirSync(prefix, { recursive: true });
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(
    npm,
    [
      "install",
      "--prefix",
      prefix,
      "--os=linux",
      "--cpu=x64",
      "--libc=glibc",
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      `${NATIVE_PACKAGE}@${version}`,
    ],
    { stdio: ["ignore", "ignore", "inherit"], shell: process.platform === "win32" },
  );
  if (builtNativeVersion(root) !== version) {
    throw new Error(`npm did not install ${NATIVE_PACKAGE}@${version} into ${prefix}`);
  }
  return version;
}

/** Builds the layer unless the folder already holds the locked version. */
export function ensureLayer(root: string): string {
  const version = lockedNativeVersion(root);
  return builtNativeVersion(root) === version ? version : buildLayer(root);
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  const version = buildLayer(root);
  console.log(`Built ${path.join(LAYER_NODE_MODULES, NATIVE_PACKAGE)}@${version}`);
}
