// The deployed artifact runs: for each stage, the exact files Pulumi would zip (serializeFunction of
// the callback index.ts deploys + computeCodePaths with the same options) are written to a temp
// folder, the native layer is laid out as Lambda mounts it, and the function's `__index.js` is
// invoked in a child Node process that can reach nothing else (cwd = the package, NODE_PATH = the
// layer only) with a real S3 event, against the local S3 server and IoT bridge.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as mqtt from "mqtt";
import { codePathOptions, presignCallback, stageCallbacks } from "../infra/callbacks";
import { ensureLayer, LAYER_NODE_MODULES, nativeBinaryPath, NATIVE_PACKAGE } from "../infra/layer";
import { startStack } from "../local/stack";
import { s3Event } from "./support/s3-events";
import type { Stack } from "../local/stack";
import { decodePhoto, readImageHeader } from "../pipeline/image-input";

const ROOT = path.resolve(__dirname, "..");
const SAMPLE = path.join(ROOT, "assets", "samples", "greenscreen-portrait.jpg");

interface Package {
  dir: string;
  files: number;
  bytes: number;
  /** Deflate-compressed size of all files: close to the zip Pulumi uploads. */
  zippedBytes: number;
}

/** Writes exactly what CallbackFunction zips for `callback` into a fresh temp folder. */
async function writePackage(name: string, callback: (...args: any[]) => unknown): Promise<Package> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tpp-${name}-`));
  const serialized = await pulumi.runtime.serializeFunction(callback, {
    exportName: "handler",
    serialize: () => true,
    allowSecrets: true,
  });
  fs.writeFileSync(path.join(dir, "__index.js"), serialized.text);
  // CallbackFunction adds "aws-sdk" (v2, provided by old runtimes) to the exclusions itself.
  const options = codePathOptions(ROOT);
  options.extraExcludePackages = [...(options.extraExcludePackages ?? []), "aws-sdk"];
  const codePaths = await pulumi.runtime.computeCodePaths(options);
  for (const [archivePath, asset] of codePaths) {
    const source =
      asset instanceof pulumi.asset.FileArchive ? await asset.path : await (asset as pulumi.asset.FileAsset).path;
    fs.cpSync(path.resolve(ROOT, source), path.join(dir, archivePath), { recursive: true, dereference: true });
  }
  return { dir, ...measure(dir) };
}

function measure(dir: string): { files: number; bytes: number; zippedBytes: number } {
  let files = 0;
  let bytes = 0;
  let zippedBytes = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const data = fs.readFileSync(path.join(entry.parentPath, entry.name));
    files += 1;
    bytes += data.length;
    zippedBytes += zlib.deflateRawSync(data, { level: 6 }).length;
  }
  return { files, bytes, zippedBytes };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Invocation {
  ok: boolean;
  result?: unknown;
  error?: string;
  /** The function's log lines (Lambda sends stdout and stderr to CloudWatch). */
  output: string;
}

// Runs in the child: loads the package as Lambda's Node runtime does (handler "__index.handler").
// The outcome goes to a file, since the handlers log on stdout.
const INVOKER = `
const fs = require("fs");
const [eventJson, resultFile] = process.argv.slice(1);
const done = (outcome) => fs.writeFileSync(resultFile, JSON.stringify(outcome));
const deadline = Date.now() + 60000; // as a function with a 60 s timeout sees it
Promise.resolve()
  .then(() => require(require("path").join(process.cwd(), "__index.js")).handler(JSON.parse(eventJson), { functionName: "artifact-test", getRemainingTimeInMillis: () => deadline - Date.now() }, () => {}))
  .then((result) => done({ ok: true, result: result === undefined ? null : result }),
        (err) => done({ ok: false, error: String((err && err.stack) || err) }));
`;

/** Invokes the packaged handler in a child process that sees only the package and the layer. */
function invoke(
  pkg: Package,
  event: unknown,
  env: Record<string, string>,
  nodePath: string | undefined,
): Promise<Invocation> {
  const childEnv: Record<string, string> = {
    ...env,
    PATH: path.dirname(process.execPath),
    LAMBDA_TASK_ROOT: pkg.dir,
    ...(nodePath ? { NODE_PATH: nodePath } : {}),
  };
  const resultFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tpp-invoke-")), "result.json");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["-e", INVOKER, JSON.stringify(event), resultFile],
      { cwd: pkg.dir, env: childEnv, timeout: 60_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        try {
          resolve({ ...(JSON.parse(fs.readFileSync(resultFile, "utf8")) as Omit<Invocation, "output">), output });
        } catch {
          resolve({
            ok: false,
            error: `the child process ended without an outcome (${err?.message ?? "exit 0"})`,
            output,
          });
        } finally {
          fs.rmSync(path.dirname(resultFile), { recursive: true, force: true });
        }
      },
    );
  });
}

describe("deployed artifact (zip contents + layer, run against the local stack)", function () {
  this.timeout(180_000);

  let stack: Stack;
  let s3: S3Client;
  let env: Record<string, string>;
  let layerPath: string;
  const packages: Record<string, Package> = {};

  before(async function () {
    for (const name of ["chromakey", "composite", "notify", "presign"]) {
      const file = path.join(ROOT, "dist", "pipeline", "handlers", `${name}.js`);
      if (!fs.existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before this test`);
    }
    ensureLayer(ROOT); // the same script a deployer runs; needs the npm registry the first time
    layerPath = path.join(ROOT, LAYER_NODE_MODULES);

    for (const [name, callback] of Object.entries({ ...stageCallbacks, presign: presignCallback })) {
      packages[name] = await writePackage(name, callback);
    }

    stack = await startStack({
      port: 0,
      s3Port: 0,
      dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "tpp-artifact-data-")),
      runStages: false,
      quiet: true,
    });
    // What the Pulumi program sets, plus the local endpoints; never ASSETS_DIR: the package must carry its assets.
    env = Object.fromEntries(Object.entries(stack.env).filter(([k]) => k !== "ASSETS_DIR"));
    s3 = new S3Client({
      region: env.AWS_REGION,
      endpoint: stack.s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    });
  });

  after(async () => {
    s3?.destroy();
    await stack?.stop();
    for (const pkg of Object.values(packages)) fs.rmSync(pkg.dir, { recursive: true, force: true });
  });

  it("packages the compiled pipeline, the assets and the runtime dependencies, but no native binary and no Pulumi SDK", () => {
    for (const [name, pkg] of Object.entries(packages)) {
      const has = (p: string) => fs.existsSync(path.join(pkg.dir, p));
      expect(has(`dist/pipeline/handlers/${name}.js`), name).to.equal(true);
      expect(
        has("assets/frame.png") && has("assets/fonts/DejaVuSans-Bold.ttf") && has("assets/backgrounds/castle.jpg"),
        "assets",
      ).to.equal(true);
      expect(has("assets/samples"), "sample photos stay out").to.equal(false);
      for (const dep of [
        "@napi-rs/canvas",
        "@aws-sdk/client-s3",
        "@aws-sdk/client-iot-data-plane",
        "@aws-sdk/s3-request-presigner",
      ]) {
        expect(has(`node_modules/${dep}/package.json`), dep).to.equal(true);
      }
      const scoped = fs.readdirSync(path.join(pkg.dir, "node_modules", "@napi-rs"));
      expect(scoped, "only the JS part of @napi-rs/canvas").to.deep.equal(["canvas"]);
      expect(has("node_modules/@pulumi")).to.equal(false);
      expect(
        has("node_modules/typescript") || has("node_modules/mocha") || has("node_modules/tsx"),
        "no dev dependencies",
      ).to.equal(false);
    }
  });

  it("has the Linux x86-64 binary in the layer, where Lambda's NODE_PATH finds it", () => {
    const binary = fs.readFileSync(nativeBinaryPath(ROOT));
    expect([...binary.subarray(0, 4)]).to.deep.equal([0x7f, 0x45, 0x4c, 0x46]); // ELF
    expect(binary[4]).to.equal(2); // 64-bit
    expect(binary.readUInt16LE(18)).to.equal(0x3e); // e_machine: x86-64
    const layer = measure(path.join(ROOT, "build", "layer"));
    const zip = measure(packages.chromakey.dir);
    console.log(
      `      package: ${zip.files} files, ${mb(zip.bytes)} unzipped, ~${mb(zip.zippedBytes)} zipped; ` +
        `layer ${NATIVE_PACKAGE}: ${mb(layer.bytes)} unzipped, ~${mb(layer.zippedBytes)} zipped ` +
        `(Lambda: 50 MB zipped upload, 250 MB unzipped with layers)`,
    );
    expect(zip.zippedBytes, "direct-upload zip limit").to.be.below(50 * 1024 * 1024);
    expect(layer.zippedBytes, "layer zip limit").to.be.below(50 * 1024 * 1024);
    expect(zip.bytes + layer.bytes, "unzipped limit").to.be.below(250 * 1024 * 1024);
  });

  it("cannot draw without the layer: the package alone does not reach any canvas binary", async () => {
    const event = s3Event(stack.buckets.upload, `${randomUUID()}.jpg`, { region: env.AWS_REGION, eTag: "none" });
    const run = await invoke(packages.chromakey, event, env, undefined);
    expect(run.ok).to.equal(false);
    expect(run.error).to.match(/Cannot find native binding/);
  });

  it("runs chromakey -> composite -> notify from the packages, on a real photo, through S3 and the IoT bridge", async () => {
    const photoId = randomUUID();
    const uploadKey = `booth 1/${photoId}.jpg`; // a space: the event carries it as '+', the handler must decode
    const photo = fs.readFileSync(SAMPLE);
    await s3.send(
      new PutObjectCommand({ Bucket: stack.buckets.upload, Key: uploadKey, Body: photo, ContentType: "image/jpeg" }),
    );
    const eventFor = async (bucket: string, key: string) => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return s3Event(bucket, key, { region: env.AWS_REGION, size: head.ContentLength ?? 0, eTag: head.ETag ?? "" });
    };
    const read = async (bucket: string, key: string) => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { bytes: Buffer.from(await res.Body!.transformToByteArray()), contentType: res.ContentType };
    };

    const keyed = await invoke(packages.chromakey, await eventFor(stack.buckets.upload, uploadKey), env, layerPath);
    expect(keyed.ok, `${keyed.error}\n${keyed.output}`).to.equal(true);
    const png = await read(stack.buckets.processing, `booth 1/${photoId}.png`);
    expect(png.contentType).to.equal("image/png");
    expect(readImageHeader(png.bytes).format).to.equal("png");
    expect(png.bytes[25], "PNG colour type 6: RGBA").to.equal(6);
    const cutout = await decodePhoto(png.bytes, { maxSide: 100_000 });
    const alphas = cutout.data.filter((_, i) => i % 4 === 3);
    const share = (test: (a: number) => boolean) => alphas.filter(test).length / alphas.length;
    expect(
      share((a) => a < 8),
      "the screen is keyed out",
    ).to.be.above(0.2);
    expect(
      share((a) => a > 247),
      "the guest stays",
    ).to.be.above(0.05);

    const composed = await invoke(
      packages.composite,
      await eventFor(stack.buckets.processing, `booth 1/${photoId}.png`),
      env,
      layerPath,
    );
    expect(composed.ok, `${composed.error}\n${composed.output}`).to.equal(true);
    const jpeg = await read(stack.buckets.final, uploadKey);
    expect(jpeg.contentType).to.equal("image/jpeg");
    expect(readImageHeader(jpeg.bytes)).to.include({ format: "jpeg", width: 1080, height: 1350 });

    const client = await mqtt.connectAsync(stack.mqttWsUrl, { reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      const received = new Promise<unknown>((resolve) =>
        client.on("message", (_topic, payload) => resolve(JSON.parse(payload.toString()))),
      );
      await client.subscribeAsync(env.NOTIFY_TOPIC, { qos: 1 });
      // Deployed without the layer: notify never loads the native code.
      const finalEvent = await eventFor(stack.buckets.final, uploadKey);
      const notified = await invoke(packages.notify, finalEvent, env, undefined);
      expect(notified.ok, `${notified.error}\n${notified.output}`).to.equal(true);
      const message = await Promise.race([
        received,
        new Promise((_, reject) => setTimeout(() => reject(new Error("no notification within 10 s")), 10_000)),
      ]);
      expect(message).to.deep.equal({
        level: "info",
        type: "photoProcessed",
        message: {
          ObjectKey: uploadKey,
          URL: `${env.FINAL_URL_BASE}/booth%201/${photoId}.jpg?v=${finalEvent.Records[0].s3.object.eTag}`,
        },
      });
    } finally {
      await client.endAsync();
    }
  });

  it("runs the presign package: GET /Upload answers a presigned PUT the browser can use", async () => {
    const event = {
      httpMethod: "GET",
      path: "/Upload",
      resource: "/Upload",
      headers: { origin: env.ALLOWED_ORIGINS.split(",")[0] },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {},
    };
    const run = await invoke(packages.presign, event, env, undefined);
    expect(run.ok, `${run.error}\n${run.output}`).to.equal(true);
    const response = run.result as { statusCode: number; body: string; headers: Record<string, string> };
    expect(response.statusCode).to.equal(200);
    const { uploadURL, photoFilename } = JSON.parse(response.body) as { uploadURL: string; photoFilename: string };
    expect(photoFilename).to.match(/^[0-9a-f-]{36}\.jpg$/);
    const put = await fetch(uploadURL, {
      method: "PUT",
      body: new Uint8Array(fs.readFileSync(SAMPLE)),
      headers: { "Content-Type": "image/jpeg" },
    });
    expect(put.status).to.equal(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: stack.buckets.upload, Key: photoFilename }));
    expect(head.ContentType).to.equal("image/jpeg");
  });
});
