// The deployed artifact runs: for each stage, the exact files Pulumi would zip (serializeFunction of
// the callback index.ts deploys + computeCodePaths with the same options) are written to a temp
// folder, the native layer is laid out as Lambda mounts it, and the function's `__index.js` is
// invoked in a child Node process that can reach nothing else (cwd = the package, NODE_PATH = the
// layer only) with a real S3 event, against the local S3 server and IoT bridge.
import { execFile, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import * as mqtt from "mqtt";
import { measureFolder, writePackage, type Package } from "../infra/artifact";
import { checkBuildOutputs, codePathOptions, failedFactory, presignFactory, stageFactories } from "../infra/callbacks";
import { ensureLayer, LAYER_NODE_MODULES, layerContents, nativeBinaryPaths } from "../infra/layer";
import { startStack } from "../local/stack";
import { s3Event } from "./support/s3-events";
import type { Stack } from "../local/stack";
import { decodePhoto, readImageHeader } from "../pipeline/image-input";

const ROOT = path.resolve(__dirname, "..");
const SAMPLE = path.join(ROOT, "assets", "samples", "greenscreen-portrait.jpg");

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

/** API Gateway's GET /Upload, from the page's own origin. */
function presignEvent(origin: string): unknown {
  return {
    httpMethod: "GET",
    path: "/Upload",
    resource: "/Upload",
    headers: { origin },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {},
  };
}

describe("deployed artifact (zip contents + layer, run against the local stack)", function () {
  this.timeout(180_000);

  let stack: Stack;
  let s3: S3Client;
  let env: Record<string, string>;
  let layerPath: string;
  const packages: Record<string, Package> = {};

  before(async function () {
    checkBuildOutputs(ROOT); // what the Pulumi program runs first: rebuilds a stale bundle
    ensureLayer(ROOT); // the same script a deployer runs; needs the npm registry the first time
    layerPath = path.join(ROOT, LAYER_NODE_MODULES);

    for (const [name, callback] of Object.entries({
      ...stageFactories,
      presign: presignFactory,
      failed: failedFactory,
    })) {
      packages[name] = await writePackage(name, callback, codePathOptions(ROOT, callback), ROOT);
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

  it("ships each function its bundle alone (the compositor also its assets): no node_modules, no native binary", () => {
    for (const [name, pkg] of Object.entries(packages)) {
      const files = fs
        .readdirSync(pkg.dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(pkg.dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
        .sort();
      const assets = files.filter((file) => file.startsWith("assets/"));
      expect(
        files.filter((file) => !file.startsWith("assets/")),
        name,
      ).to.deep.equal(["__index.js", `dist/functions/${name}/index.js`]);
      if (name === "composite") {
        expect(assets).to.include.members(["assets/frame.png", "assets/fonts/DejaVuSans-Bold.ttf"]);
        expect(assets).to.include.members(
          ["castle", "rollercoaster", "tropical"].map((t) => `assets/backgrounds/${t}.jpg`),
        );
        expect(
          assets.filter((file) => file.startsWith("assets/samples")),
          "sample photos stay out",
        ).to.deep.equal([]);
      } else {
        expect(assets, `${name} draws nothing`).to.deep.equal([]);
      }
    }
    // What each bundle loads from the layer: notify, presign and the failure reporter carry no image code;
    // chromakey never draws.
    const bundle = (name: string) =>
      fs.readFileSync(path.join(packages[name].dir, "dist/functions", name, "index.js"), "utf8");
    const loadsSharp = (name: string) => bundle(name).includes("@img/sharp-linux-x64/sharp.node");
    const loadsCanvas = (name: string) => bundle(name).includes("@napi-rs/canvas-linux-x64-gnu");
    expect([loadsSharp("chromakey"), loadsCanvas("chromakey")], "chromakey").to.deep.equal([true, false]);
    expect([loadsSharp("composite"), loadsCanvas("composite")], "composite").to.deep.equal([true, true]);
    for (const name of ["notify", "presign", "failed"]) {
      expect(
        [loadsSharp(name), loadsCanvas(name), bundle(name).includes("image is corrupt or truncated")],
        name,
      ).to.deep.equal([false, false, false]);
    }
  });

  // Lambda runs a function's module scope in its init phase, at full CPU; the first invocation gets only the
  // memory-proportional share. The bundle (SDK, libvips, Skia) is loaded there, before any event arrives.
  it("loads each function's bundle as Lambda loads the package, before the first event", () => {
    for (const [name, pkg] of Object.entries(packages)) {
      const loaded = execFileSync(
        process.execPath,
        ["-e", 'require("./__index.js"); console.log(Object.keys(require.cache).join("\\n"))'],
        { cwd: pkg.dir, env: { PATH: path.dirname(process.execPath), NODE_PATH: layerPath }, encoding: "utf8" },
      );
      expect(loaded.split("\n"), name).to.include(
        path.join(fs.realpathSync(pkg.dir), "dist/functions", name, "index.js"),
      );
    }
  });

  it("has the Linux x86-64 binaries in the layer, where Lambda's NODE_PATH finds it", () => {
    for (const file of nativeBinaryPaths(ROOT)) {
      const binary = fs.readFileSync(file);
      expect([...binary.subarray(0, 4)], file).to.deep.equal([0x7f, 0x45, 0x4c, 0x46]); // ELF
      expect(binary[4], file).to.equal(2); // 64-bit
      expect(binary.readUInt16LE(18), file).to.equal(0x3e); // e_machine: x86-64
    }
    const layer = measureFolder(path.join(ROOT, "build", "layer"));
    const zip = measureFolder(packages.chromakey.dir);
    console.log(
      `      package: ${zip.files} files, ${mb(zip.bytes)} unzipped, ~${mb(zip.zippedBytes)} zipped; ` +
        `layer ${layerContents(ROOT)}: ${mb(layer.bytes)} unzipped, ~${mb(layer.zippedBytes)} zipped ` +
        `(Lambda: 50 MB zipped upload, 250 MB unzipped with layers)`,
    );
    expect(zip.zippedBytes, "direct-upload zip limit").to.be.below(50 * 1024 * 1024);
    expect(layer.zippedBytes, "layer zip limit").to.be.below(50 * 1024 * 1024);
    expect(zip.bytes + layer.bytes, "unzipped limit").to.be.below(250 * 1024 * 1024);
  });

  it("cannot decode without the layer: the package alone does not reach any native binary", async () => {
    const event = s3Event(stack.buckets.upload, `${randomUUID()}.jpg`, { region: env.AWS_REGION, eTag: "none" });
    const run = await invoke(packages.chromakey, event, env, undefined);
    expect(run.ok).to.equal(false);
    expect(run.error).to.match(/Could not load the "sharp" module/);
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
    expect((await readImageHeader(png.bytes)).format).to.equal("png");
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
    expect(await readImageHeader(jpeg.bytes)).to.include({ format: "jpeg", width: 1080, height: 1350 });

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
    const event = presignEvent(env.ALLOWED_ORIGINS.split(",")[0]);
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

  // Lambda hands a function its role's credentials in the environment; the bundles carry no other way to find
  // them (no profiles, SSO, processes or instance metadata: infra/lambda-credentials.ts), so without them a
  // function fails at once and says why, instead of probing the metadata service.
  it("signs with the credentials in the environment, and fails at once saying so without them", async () => {
    const { AWS_ACCESS_KEY_ID: _key, AWS_SECRET_ACCESS_KEY: _secret, ...bare } = env;
    const start = Date.now();
    const run = await invoke(packages.presign, presignEvent(env.ALLOWED_ORIGINS.split(",")[0]), bare, undefined);
    expect(run.ok, `${run.error}\n${run.output}`).to.equal(true);
    expect((run.result as { statusCode: number }).statusCode).to.equal(500);
    expect(run.output).to.include("Unable to find environment variable credentials");
    expect(Date.now() - start, "no credential source probed beyond the environment").to.be.below(1500);
  });
});
