// The functions Pulumi serializes into each Lambda's `__index.js`. Each one only `require`s the
// compiled handler at run time, relative to the zip root, so the closure serializer captures no
// local module by value (that copy would be fragile and would see the deployer's `__dirname`).
// The artifact test serializes these very functions, so what it runs is what gets deployed.
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, S3Event } from "aws-lambda";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { FailedInvocation } from "../pipeline/handlers/failed";

// The context goes along so a stage can tell the guest before its timeout (see pipeline/handlers/stage.ts).
type S3Handler = (event: S3Event, context: Context) => Promise<void>;
type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type FailureHandler = (failure: FailedInvocation) => Promise<void>;

export const chromakeyCallback = async (event: S3Event, context: Context): Promise<void> => {
  const stage = require("./dist/pipeline/handlers/chromakey") as { handler: S3Handler };
  return stage.handler(event, context);
};

export const compositeCallback = async (event: S3Event, context: Context): Promise<void> => {
  const stage = require("./dist/pipeline/handlers/composite") as { handler: S3Handler };
  return stage.handler(event, context);
};

export const notifyCallback = async (event: S3Event, context: Context): Promise<void> => {
  const stage = require("./dist/pipeline/handlers/notify") as { handler: S3Handler };
  return stage.handler(event, context);
};

export const presignCallback = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const api = require("./dist/pipeline/handlers/presign") as { handler: ApiHandler };
  return api.handler(event);
};

/** A stage's on-failure destination (pipeline/handlers/failed.ts): tells the guest, keeps the record. */
export const failedCallback = async (failure: FailedInvocation): Promise<void> => {
  const reporter = require("./dist/pipeline/handlers/failed") as { handler: FailureHandler };
  return reporter.handler(failure);
};

export const stageCallbacks = {
  chromakey: chromakeyCallback,
  composite: compositeCallback,
  notify: notifyCallback,
} as const;

export type StageName = keyof typeof stageCallbacks;

/**
 * Paths (relative to the project root, Pulumi's working directory) the zip holds at the same
 * relative place: the compiled pipeline, and the assets the compositor loads (pipeline/assets.ts
 * finds `assets/` by walking up from dist/pipeline). Sample photos and the generator stay out.
 */
export const INCLUDED_PATHS = ["dist/pipeline", "assets/backgrounds", "assets/fonts", "assets/frame.png"] as const;

/** The compiled handler files the callbacks above require. */
export const HANDLER_FILES = ["chromakey", "composite", "notify", "presign", "failed"].map(
  (name) => `dist/pipeline/handlers/${name}.js`,
);

/**
 * The platform packages of @napi-rs/canvas. Pulumi already skips optional dependencies, so this
 * only guards against one arriving through another route: the deployer's binary (say darwin-arm64)
 * must never shadow the Linux one the layer provides.
 */
export function canvasPlatformPackages(root: string): string[] {
  const manifest = path.join(root, "node_modules", "@napi-rs", "canvas", "package.json");
  const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as { optionalDependencies?: Record<string, string> };
  return Object.keys(pkg.optionalDependencies ?? {}).filter((name) => name.startsWith("@napi-rs/canvas-"));
}

/** A fresh object per function: CallbackFunction appends to extraExcludePackages in place. */
export function codePathOptions(root: string): pulumi.runtime.CodePathOptions {
  return {
    extraIncludePaths: [...INCLUDED_PATHS],
    extraExcludePackages: canvasPlatformPackages(root),
  };
}

/** One clear line instead of a stat error deep inside the closure serializer. */
export function checkBuildOutputs(root: string): void {
  const missing = HANDLER_FILES.filter((file) => !fs.existsSync(path.join(root, file)));
  if (missing.length > 0) {
    throw new Error(`Missing compiled handlers (${missing.join(", ")}): run \`npm run build\` first`);
  }
  const missingAssets = INCLUDED_PATHS.filter((p) => p.startsWith("assets/") && !fs.existsSync(path.join(root, p)));
  if (missingAssets.length > 0) {
    throw new Error(
      `Missing ${missingAssets.join(", ")}: run \`npx tsx assets/generate.ts\` (the compositor ships them)`,
    );
  }
}
