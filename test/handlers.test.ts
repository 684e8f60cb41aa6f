import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import mqtt from "mqtt";
import { chromakey, composite, notify } from "../pipeline/handlers";
import { readImageHeader } from "../pipeline/image-input";
import type { Notification } from "../pipeline/messages";
import { startStack } from "../local/stack";
import { s3Event } from "./support/s3-events";
import { createCanvas } from "@napi-rs/canvas";
import { NO_SCREEN_REASON } from "../pipeline/stages";
import { generateScene } from "./groundtruth/scene";

type Stack = Awaited<ReturnType<typeof startStack>>;

const SAMPLE = join(__dirname, "..", "assets", "samples", "greenscreen-portrait.jpg");

describe("stage handlers against a real S3-compatible server and MQTT broker", function () {
  this.timeout(60_000);
  let stack: Stack;
  let s3: S3Client;
  let dataDir: string;
  let subscriber: mqtt.MqttClient;
  const received: Notification[] = [];
  const savedEnv = { ...process.env };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tpp-handlers-"));
    stack = await startStack({ port: 0, s3Port: 0, dataDir, runStages: false, quiet: true });
    Object.assign(process.env, stack.env);
    s3 = new S3Client({ region: stack.env.AWS_REGION, endpoint: stack.s3Endpoint, forcePathStyle: true });
    subscriber = await mqtt.connectAsync(stack.mqttWsUrl);
    await subscriber.subscribeAsync(stack.env.NOTIFY_TOPIC ?? "notifications", { qos: 1 });
    subscriber.on("message", (_topic, payload) => received.push(JSON.parse(payload.toString()) as Notification));
  });

  after(async () => {
    process.env = { ...savedEnv };
    await subscriber?.endAsync();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    received.length = 0;
    process.env = { ...savedEnv, ...stack.env };
  });

  async function put(bucket: string, key: string, body: Uint8Array, contentType = "image/jpeg"): Promise<string> {
    const res = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    return (res.ETag ?? "").replace(/"/g, "");
  }

  async function bytes(bucket: string, key: string): Promise<Uint8Array> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body!.transformToByteArray();
  }

  async function lastModified(bucket: string, key: string): Promise<number> {
    return (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).LastModified!.getTime();
  }

  async function waitForMessages(count: number, ms = 3000): Promise<Notification[]> {
    const until = Date.now() + ms;
    while (received.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return [...received];
  }

  it("runs the three stages on a photo whose key needs decoding, then notifies once", async () => {
    const { upload, processing, final } = stack.buckets;
    const key = "booth 2/ride+photo é.jpg";
    const eTag = await put(upload, key, readFileSync(SAMPLE));

    await chromakey(s3Event(upload, key, { eTag }));
    const png = await bytes(processing, "booth 2/ride+photo é.png");
    expect(readImageHeader(png).format).to.equal("png");

    await composite(s3Event(processing, "booth 2/ride+photo é.png"));
    const jpeg = await bytes(final, "booth 2/ride+photo é.jpg");
    expect(readImageHeader(jpeg)).to.include({ format: "jpeg", width: 1080, height: 1350 });

    await notify(s3Event(final, "booth 2/ride+photo é.jpg"));
    const [message] = await waitForMessages(1);
    expect(message).to.deep.equal({
      level: "info",
      type: "photoProcessed",
      message: {
        ObjectKey: "booth 2/ride+photo é.jpg",
        URL: `${stack.env.FINAL_URL_BASE}/booth%202/ride%2Bphoto%20%C3%A9.jpg`,
      },
    });

    // S3 may deliver an event twice: the second delivery changes nothing and tells nobody again.
    const before = await lastModified(processing, "booth 2/ride+photo é.png");
    await chromakey(s3Event(upload, key, { eTag }));
    expect(await lastModified(processing, "booth 2/ride+photo é.png")).to.equal(before);
    await notify(s3Event(final, "booth 2/ride+photo é.jpg"));
    expect(await waitForMessages(2, 500)).to.have.length(1);
  });

  it("tells the guest when the upload is not a readable photo, and keeps the upload", async () => {
    const { upload, processing } = stack.buckets;
    const eTag = await put(upload, "corrupt.jpg", new TextEncoder().encode("this is not a jpeg"));
    await chromakey(s3Event(upload, "corrupt.jpg", { eTag })); // resolves: a bad photo is not worth a retry
    const [message] = await waitForMessages(1);
    expect(message.type).to.equal("photoFailed");
    expect(message).to.deep.include({ level: "error" });
    expect(message.message.ObjectKey).to.equal("corrupt.jpg");
    expect((message.message as { reason: string }).reason)
      .to.be.a("string")
      .and.not.match(/\n|at .*\(/);
    expect(await bytes(upload, "corrupt.jpg")).to.have.length(18);
    await s3.send(new HeadObjectCommand({ Bucket: processing, Key: "corrupt.png" })).then(
      () => expect.fail("no output for a corrupt photo"),
      (err: { name: string }) => expect(err.name).to.equal("NotFound"),
    );
  });

  it("tells a guest whose clothes keyed out with the screen why (hint), and refuses a photo with no screen", async () => {
    const { upload, processing, final } = stack.buckets;
    const green = await generateScene({
      seed: 41,
      width: 320,
      height: 400,
      clothes: ["brightGreen", "brightGreen", "brightGreen"],
    });
    const eTag = await put(upload, "green.jpg", green.jpeg);
    await chromakey(s3Event(upload, "green.jpg", { eTag }));
    await composite(s3Event(processing, "green.png"));
    await notify(s3Event(final, "green.jpg"));
    const [processed] = await waitForMessages(1);
    expect(processed!.type).to.equal("photoProcessed");
    expect((processed!.message as { hint?: string }).hint).to.match(/matched the green screen/);

    received.length = 0;
    const canvas = createCanvas(300, 400);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "rgb(200, 190, 170)";
    ctx.fillRect(0, 0, 300, 400);
    ctx.fillStyle = "rgb(224, 172, 135)";
    ctx.fillRect(100, 100, 100, 300);
    const selfie = await canvas.encode("jpeg", 90);
    const selfieETag = await put(upload, "selfie.jpg", selfie);
    await chromakey(s3Event(upload, "selfie.jpg", { eTag: selfieETag }));
    const [failed] = await waitForMessages(1);
    expect(failed).to.deep.equal({
      level: "error",
      type: "photoFailed",
      message: { ObjectKey: "selfie.jpg", reason: NO_SCREEN_REASON },
    });
  });

  it("refuses an upload over the size limit without decoding it", async () => {
    const { upload } = stack.buckets;
    process.env.MAX_UPLOAD_BYTES = "1000";
    const eTag = await put(upload, "big.jpg", readFileSync(SAMPLE));
    await chromakey(s3Event(upload, "big.jpg", { eTag }));
    const [message] = await waitForMessages(1);
    expect(message).to.deep.include({ type: "photoFailed" });
    expect((message.message as { reason: string }).reason).to.match(/too big/);
  });

  it("skips objects that are not photos and events from other buckets, telling nobody", async () => {
    const { upload, processing } = stack.buckets;
    await put(upload, "notes.txt", new TextEncoder().encode("hello"), "text/plain");
    await chromakey(s3Event(upload, "notes.txt"));
    await chromakey(s3Event(processing, "someone-else.jpg"));
    await chromakey(s3Event(upload, "gone.jpg", { eventName: "ObjectRemoved:Delete" }));
    expect(await waitForMessages(1, 300)).to.have.length(0);
  });

  it("reports a fault of ours as photoFailed and fails the invocation so it reaches the on-failure queue", async () => {
    const { upload } = stack.buckets;
    const eTag = await put(upload, "unlucky.jpg", readFileSync(SAMPLE));
    process.env.PROCESSING_BUCKET = "no-such-bucket";
    let thrown: unknown;
    await chromakey(s3Event(upload, "unlucky.jpg", { eTag })).catch((err: unknown) => (thrown = err));
    expect(thrown, "the invocation fails").to.be.instanceOf(Error);
    const [message] = await waitForMessages(1);
    expect(message).to.deep.include({ type: "photoFailed" });
    expect(message.message.ObjectKey).to.equal("unlucky.jpg");
    expect((message.message as { reason: string }).reason).to.match(/try again/);
  });

  it("tells the guest before the function's timeout when S3 stops answering", async () => {
    const { upload } = stack.buckets;
    const eTag = await put(upload, "stuck.jpg", readFileSync(SAMPLE));
    // A server that takes connections and never answers, as an S3 endpoint behind a broken network would.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    process.env.S3_ENDPOINT = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      // As Lambda's context reports it: 3.5 s left, of which the stage keeps 3 s to tell the guest.
      const context = { getRemainingTimeInMillis: () => 3500 - (Date.now() - started) };
      let thrown: unknown;
      await chromakey(s3Event(upload, "stuck.jpg", { eTag }), context).catch((err: unknown) => (thrown = err));
      expect(thrown).to.be.instanceOf(Error).with.property("name", "DeadlineError");
      expect(Date.now() - started).to.be.below(3000);
      const [message] = await waitForMessages(1);
      expect(message).to.deep.include({ type: "photoFailed" });
      expect(message.message.ObjectKey).to.equal("stuck.jpg");
    } finally {
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  });
});
