// The functions Pulumi serializes into each Lambda's `__index.js`: each is a factory, which Lambda runs once as it
// loads the function and which returns the handler. The factory `require`s its function's bundle
// (infra/bundle.ts), relative to the zip root, so the closure serializer captures no local module by value (that
// copy would be fragile and would see the deployer's `__dirname`); and it does so in Lambda's init phase, which
// runs at full CPU, rather than in the first invocation, which runs at the memory-proportional share (a seventh
// of a vCPU at 256 MB). The artifact test serializes these very functions, so what it runs is what gets deployed.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, S3Event } from "aws-lambda";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { FailedInvocation } from "../pipeline/handlers/failed";
import { bundleDir, ensureBundles, type FunctionName } from "./bundle";

// The context goes along so a stage can tell the guest before its timeout (see pipeline/handlers/stage.ts).
type S3Handler = (event: S3Event, context: Context) => Promise<void>;
type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type FailureHandler = (failure: FailedInvocation) => Promise<void>;

export const chromakeyFactory = (): S3Handler =>
  (require("./dist/functions/chromakey") as { handler: S3Handler }).handler;

export const compositeFactory = (): S3Handler =>
  (require("./dist/functions/composite") as { handler: S3Handler }).handler;

export const notifyFactory = (): S3Handler => (require("./dist/functions/notify") as { handler: S3Handler }).handler;

export const presignFactory = (): ApiHandler =>
  (require("./dist/functions/presign") as { handler: ApiHandler }).handler;

/** A stage's on-failure destination (pipeline/handlers/failed.ts): tells the guest, keeps the record. */
export const failedFactory = (): FailureHandler =>
  (require("./dist/functions/failed") as { handler: FailureHandler }).handler;

export const stageFactories = {
  chromakey: chromakeyFactory,
  composite: compositeFactory,
  notify: notifyFactory,
} as const;

export type StageName = keyof typeof stageFactories;

/**
 * What each function's zip holds besides `__index.js`, relative to the project root (Pulumi's working directory)
 * and at the same place in the zip: its bundle, and for the compositor the assets it draws with
 * (pipeline/assets.ts finds `assets/` by walking up from the bundle). Sample photos and the generator stay out.
 */
export function includedPaths(name: FunctionName): string[] {
  const assets = ["assets/backgrounds", "assets/fonts", "assets/frame.png"];
  return [bundleDir(name).split(path.sep).join("/"), ...(name === "composite" ? assets : [])];
}

/**
 * Every package of package.json's `dependencies`, which Pulumi would otherwise zip with their own: the bundles
 * hold the code they run, and the native packages come from the layer. The deployer's platform packages (say
 * sharp's darwin-arm64 build) are listed too, so they can never arrive through another route and shadow the
 * layer's Linux ones.
 */
export function unshippedPackages(root: string): string[] {
  const manifest = (dir: string) =>
    JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
  const dependencies = Object.keys(manifest(root).dependencies ?? {});
  const platform = ["@napi-rs/canvas", "sharp"].flatMap((name) =>
    Object.keys(manifest(path.join(root, "node_modules", name)).optionalDependencies ?? {}),
  );
  return [...dependencies, ...platform];
}

/** Which bundle each factory requires. */
const BUNDLES = new Map<unknown, FunctionName>([
  [chromakeyFactory, "chromakey"],
  [compositeFactory, "composite"],
  [notifyFactory, "notify"],
  [presignFactory, "presign"],
  [failedFactory, "failed"],
]);

/** A fresh object per function (CallbackFunction appends to extraExcludePackages in place). */
export function codePathOptions(root: string, factory: unknown): pulumi.runtime.CodePathOptions {
  const name = BUNDLES.get(factory);
  if (!name) throw new Error("codePathOptions: not one of the factories in infra/callbacks.ts");
  return { extraIncludePaths: includedPaths(name), extraExcludePackages: unshippedPackages(root) };
}

/**
 * Before anything is deployed: bundles missing or stale (source edited since `npm run build`) are rebuilt, saying
 * why; anything else missing stops the program with one line saying what to run.
 */
export function checkBuildOutputs(root: string): void {
  const rebuilt = ensureBundles(root);
  if (rebuilt) console.log(`Rebuilt the function bundles (${rebuilt})`);
  const missingAssets = includedPaths("composite").filter(
    (p) => p.startsWith("assets/") && !fs.existsSync(path.join(root, p)),
  );
  if (missingAssets.length > 0) {
    throw new Error(
      `Missing ${missingAssets.join(", ")}: run \`npx tsx assets/generate.ts\` (the compositor ships them)`,
    );
  }
}
