// Each function's code as one file: its handler and everything it imports, bundled by esbuild into
// dist/functions/<name>/index.js. A function then ships only what it runs (notify, presign and the failure
// reporter carry no image code), and a cold start reads one file instead of resolving thousands. The native
// packages stay outside the bundle: they come from the layer (infra/layer.ts), found through Lambda's NODE_PATH.
//
// Each build records the hash of every file that went into it, so the Pulumi program can tell a stale bundle
// (source edited or dependencies updated since) and rebuild it before deploying: `npm run build` does the same.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as esbuild from "esbuild";

export const FUNCTION_NAMES = ["chromakey", "composite", "notify", "presign", "failed"] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Relative to the project root, as the function zip holds it. */
export const BUNDLE_DIR = path.join("dist", "functions");

export function bundleDir(name: FunctionName): string {
  return path.join(BUNDLE_DIR, name);
}

/** The record of a bundle's inputs, beside its folder (not in it: the folder is what the function ships). */
function manifestFile(root: string, name: FunctionName): string {
  return path.join(root, BUNDLE_DIR, `${name}.json`);
}

/** Loaded from the layer at run time, never bundled: the native addons and the packages that hold them. */
const EXTERNAL = ["@img/sharp-*", "@napi-rs/canvas-*", "*.node"];

/** What the bundles get for the SDK's default credential chain. */
const LAMBDA_CREDENTIALS = path.join(__dirname, "lambda-credentials.ts");

/**
 * Helpers sharp requires at load that a function calls late or never, each required on its first call instead:
 * semver (one version check at load needs `coerce`; the others word error messages) and a colour parser (for
 * background options, which the pipeline never passes). `binding` is the name sharp gives the module and `calls`
 * what it calls of it (none: the module itself is the function); a sharp that uses anything else fails the build.
 */
const ON_FIRST_CALL: Record<string, { importer: RegExp; binding: string; calls: string[] }> = {
  semver: {
    importer: /[\\/]sharp[\\/]dist[\\/]libvips\.cjs$/,
    binding: "semver",
    calls: ["coerce", "satisfies", "gte"],
  },
  "@img/colour": { importer: /[\\/]sharp[\\/]dist[\\/]colour\.cjs$/, binding: "color", calls: [] },
};

/** The module standing in for `specifier`: each function requires the real one (or its own file) when called. */
async function onFirstCall(specifier: string, importer: string): Promise<string> {
  const { binding, calls } = ON_FIRST_CALL[specifier];
  const used = new Set(
    [...(await fs.promises.readFile(importer, "utf8")).matchAll(new RegExp(`\\b${binding}\\.(\\w+)`, "g"))].map(
      (m) => m[1],
    ),
  );
  const unknown = [...used].filter((name) => !calls.includes(name));
  if (unknown.length > 0)
    throw new Error(`${importer} uses ${unknown.map((n) => `${binding}.${n}`).join(", ")}: see ON_FIRST_CALL`);
  const call = (file: string) => `(...args) => require(${JSON.stringify(file)})(...args)`;
  return calls.length === 0
    ? `module.exports = ${call(specifier)};`
    : calls.map((name) => `exports.${name} = ${call(`${specifier}/functions/${name}`)};`).join("\n");
}

/**
 * sharp's ESM build finds its addon through `import.meta`, which a CommonJS bundle lacks: it resolves to its
 * CommonJS build, as Node resolves it for the compiled pipeline.
 */
const asRequired: esbuild.Plugin = {
  name: "as-required",
  setup(build) {
    // sharp first tries addons compiled in its own folder, by template strings that esbuild would turn into file
    // globs (and fail on, there being no such folder). A function never has one: it uses the prebuilt package the
    // layer holds, which sharp tries next.
    build.onLoad({ filter: /[\\/]sharp[\\/]dist[\\/]sharp\.cjs$/ }, async (args) => ({
      contents: (await fs.promises.readFile(args.path, "utf8")).replace(
        /require\(`\.\.\/src\/build\/Release\/[^`]*`\)/g,
        "undefined",
      ),
      loader: "js",
    }));
    for (const [specifier, { importer }] of Object.entries(ON_FIRST_CALL)) {
      const namespace = `first-call:${specifier}`;
      build.onResolve({ filter: new RegExp(`^${specifier.replace("/", "\\/")}$`), namespace: "file" }, (args) =>
        importer.test(args.importer) ? { path: args.importer, namespace } : undefined,
      );
      build.onLoad({ filter: /./, namespace }, async (args) => ({
        contents: await onFirstCall(specifier, args.path),
        resolveDir: path.dirname(args.path),
        loader: "js",
      }));
    }
    // The SDK's protocols import their event-stream support dynamically, for the few operations that stream events.
    // A dynamic import makes esbuild wrap its target and every module that target shares with the rest (most of the
    // SDK) in lazy initializers, whose bodies V8 then parses twice: statically imported, they are parsed once.
    build.onLoad(
      { filter: /[\\/]@smithy[\\/]core[\\/]dist-es[\\/]submodules[\\/]protocols[\\/]HttpProtocol\.js$/ },
      async (args) => {
        const source = await fs.promises.readFile(args.path, "utf8");
        const dynamic = 'await import("@smithy/core/event-streams")';
        if (!source.includes(dynamic)) throw new Error(`${args.path} no longer imports event streams as expected`);
        return {
          contents: `import * as eventStreams from "@smithy/core/event-streams";\n${source.replace(dynamic, "eventStreams")}`,
          loader: "js",
        };
      },
    );
    // The credential chain, likewise, for its links beyond the environment (see infra/lambda-credentials.ts).
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: LAMBDA_CREDENTIALS }));
    build.onResolve({ filter: /^sharp$/, namespace: "file" }, async (args) => {
      if (args.pluginData === "resolving" || args.kind !== "import-statement") return undefined;
      return build.resolve(args.path, {
        kind: "require-call",
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: "resolving",
      });
    });
  },
};

function options(root: string, name: FunctionName): esbuild.BuildOptions {
  return {
    absWorkingDir: root,
    entryPoints: [path.join("pipeline", "handlers", `${name}.ts`)],
    outfile: path.join(bundleDir(name), "index.js"),
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    // ES module builds first: the AWS SDK's tree-shake to two thirds the size, which a cold start parses and runs.
    mainFields: ["module", "main"],
    minify: true,
    // No source map and no kept names: the logs carry error messages, and keepNames alone would add a tenth to
    // the cold start.
    external: EXTERNAL,
    plugins: [asRequired],
    metafile: true,
    logLevel: "silent",
  };
}

interface Manifest {
  esbuild: string;
  /** Every input file (relative to the root) and the sha256 of its contents. */
  inputs: Record<string, string>;
}

function hashFile(file: string): string | undefined {
  try {
    return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}

/** Builds one function's bundle and its manifest. */
export async function buildBundle(root: string, name: FunctionName): Promise<void> {
  fs.rmSync(path.join(root, bundleDir(name)), { recursive: true, force: true });
  const result = await esbuild.build(options(root, name));
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(result.metafile!.inputs)) inputs[input] = hashFile(path.join(root, input))!;
  const manifest: Manifest = { esbuild: esbuild.version, inputs };
  fs.writeFileSync(manifestFile(root, name), JSON.stringify(manifest, null, 1));
}

/** Why a function's bundle cannot be deployed as it is, or undefined when it is current. */
export function bundleProblem(root: string, name: FunctionName): string | undefined {
  const dir = path.join(root, bundleDir(name));
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile(root, name), "utf8")) as Manifest;
  } catch {
    return "not built";
  }
  if (!fs.existsSync(path.join(dir, "index.js"))) return "not built";
  if (manifest.esbuild !== esbuild.version) return `built by esbuild ${manifest.esbuild}`;
  const changed = Object.entries(manifest.inputs).find(([file, hash]) => hashFile(path.join(root, file)) !== hash);
  return changed ? `${changed[0]} changed since it was built` : undefined;
}

/**
 * Rebuilds the bundles when one is missing or stale, and says why it did; undefined when all were current. The
 * build runs in a child process (esbuild's plugins need its asynchronous API, the Pulumi program is synchronous);
 * a build that fails throws esbuild's first message on one line.
 */
export function ensureBundles(root: string): string | undefined {
  const stale = FUNCTION_NAMES.map((name) => [name, bundleProblem(root, name)] as const).filter(([, why]) => why);
  if (stale.length === 0) return undefined;
  const reason = stale.map(([name, why]) => `${name}: ${why}`).join("; ");
  try {
    execFileSync(process.execPath, ["--import", "tsx", path.join(root, "infra", "bundle.ts")], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
  } catch (err) {
    const message = String((err as { stderr?: string }).stderr || err)
      .trim()
      .split("\n")[0];
    throw new Error(`Cannot bundle the functions (${message}): fix it, then run \`npm run build\``);
  }
  const still = FUNCTION_NAMES.find((name) => bundleProblem(root, name));
  if (still) throw new Error(`The ${still} bundle is still stale after building: run \`npm run build\``);
  return reason;
}

if (require.main === module) {
  const root = path.resolve(__dirname, "..");
  Promise.all(FUNCTION_NAMES.map((name) => buildBundle(root, name))).then(
    () => console.log(`Bundled ${FUNCTION_NAMES.join(", ")} into ${BUNDLE_DIR}/`),
    (err: { errors?: esbuild.Message[] }) => {
      const first = err.errors?.[0];
      const where = first?.location ? `${first.location.file}:${first.location.line}: ` : "";
      console.error(`${where}${first?.text ?? String(err)}`);
      process.exit(1);
    },
  );
}
