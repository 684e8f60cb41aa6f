import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import mqtt from "mqtt";
import { createHash } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import type { Server } from "node:http";
import { chromakey, composite, failed, notify } from "../pipeline/handlers";
import type { FailedInvocation } from "../pipeline/handlers/failed";
import { INTERNAL_FAILURE_REASON } from "../pipeline/handlers/stage";
import { decodePhoto, readImageHeader } from "../pipeline/image-input";
import { notifiedMarkerKey, processedNoticeId } from "../pipeline/keys";
import { encodeJpeg } from "../pipeline/image-output";
import type { Notification, PhotoProgress } from "../pipeline/messages";
import { startStack } from "../local/stack";
import { s3Event } from "./support/s3-events";
import { createCanvas } from "@napi-rs/canvas";
import { MIN_PHOTO_SIDE, NO_SCREEN_REASON } from "../pipeline/stages";
import { generateScene } from "./groundtruth/scene";
import { greenScreenJpeg } from "./local-photo";

type Stack = Awaited<ReturnType<typeof startStack>>;

const SAMPLE = join(__dirname, "..", "assets", "samples", "greenscreen-portrait.jpg");

describe("stage handlers against a real S3-compatible server and MQTT broker", function () {
  this.timeout(60_000);
  let stack: Stack;
  let s3: S3Client;
  let dataDir: string;
  /** A photo as small as the pipeline takes, where only the S3 traffic matters and pixel work would only cost time. */
  let small: Buffer;
  let subscriber: mqtt.MqttClient;
  const received: Notification[] = [];
  /** Every notification (photoProcessed, photoFailed) with the topic it came on. */
  const heard: Array<{ topic: string; message: Notification }> = [];
  /** photoProgress messages, kept apart: advice to the photo's page, not an answer. */
  const progress: Array<{ topic: string; message: PhotoProgress }> = [];
  const savedEnv = { ...process.env };

  before(async () => {
    small = await greenScreenJpeg(MIN_PHOTO_SIDE, 250);
    dataDir = mkdtempSync(join(tmpdir(), "tpp-handlers-"));
    stack = await startStack({ port: 0, s3Port: 0, dataDir, runStages: false, quiet: true });
    Object.assign(process.env, stack.env);
    s3 = new S3Client({ region: stack.env.AWS_REGION, endpoint: stack.s3Endpoint, forcePathStyle: true });
    subscriber = await mqtt.connectAsync(stack.mqttWsUrl);
    await subscriber.subscribeAsync(stack.env.NOTIFY_TOPIC ?? "notifications", { qos: 1 });
    subscriber.on("message", (topic, payload) => {
      const message = JSON.parse(payload.toString()) as Notification | PhotoProgress;
      if (message.type === "photoProgress") {
        progress.push({ topic, message });
        return;
      }
      heard.push({ topic, message });
      if (topic === (stack.env.NOTIFY_TOPIC ?? "notifications")) received.push(message);
    });
  });

  after(async () => {
    process.env = { ...savedEnv };
    await subscriber?.endAsync();
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    received.length = 0;
    heard.length = 0;
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

  async function eTagOf(bucket: string, key: string): Promise<string> {
    return ((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? "").replace(/"/g, "");
  }

  async function exists(bucket: string, key: string): Promise<boolean> {
    return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      (err: { name: string }) => (err.name === "NotFound" ? false : Promise.reject(err)),
    );
  }

  /** The event S3 sends for the object now at `key`; `sequencer` orders the writes of one key. */
  async function eventFor(bucket: string, key: string, sequencer: string) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return s3Event(bucket, key, { eTag: head.ETag ?? "", size: head.ContentLength ?? 0, sequencer });
  }

  /** Counts the objects written under `key` in each bucket while `work` runs (the local S3's ObjectCreated events). */
  async function countWrites(
    key: (bucket: string) => string,
    work: () => Promise<unknown>,
  ): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const stop = stack.onObjectCreated((bucket, created) => {
      if (created === key(bucket)) counts[bucket] = (counts[bucket] ?? 0) + 1;
    });
    try {
      await work();
      await new Promise((r) => setTimeout(r, 100)); // events are emitted after the response
    } finally {
      stop();
    }
    return counts;
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
    expect((await readImageHeader(png)).format).to.equal("png");

    await composite(s3Event(processing, "booth 2/ride+photo é.png"));
    const jpeg = await bytes(final, "booth 2/ride+photo é.jpg");
    expect(await readImageHeader(jpeg)).to.include({ format: "jpeg", width: 1080, height: 1350 });

    const finalTag = await eTagOf(final, "booth 2/ride+photo é.jpg");
    await notify(s3Event(final, "booth 2/ride+photo é.jpg", { eTag: finalTag }));
    const [message] = await waitForMessages(1);
    expect(message).to.deep.equal({
      level: "info",
      type: "photoProcessed",
      message: {
        ObjectKey: "booth 2/ride+photo é.jpg",
        URL: `${stack.env.FINAL_URL_BASE}/booth%202/ride%2Bphoto%20%C3%A9.jpg?v=${finalTag}`,
      },
    });

    // S3 may deliver an event twice: the second delivery changes nothing and tells nobody again.
    const before = await lastModified(processing, "booth 2/ride+photo é.png");
    await chromakey(s3Event(upload, key, { eTag }));
    expect(await lastModified(processing, "booth 2/ride+photo é.png")).to.equal(before);
    await notify(s3Event(final, "booth 2/ride+photo é.jpg", { eTag: finalTag }));
    expect(await waitForMessages(2, 500)).to.have.length(1);
  });

  /** Subscribes by exact name, as a browser may: the photo's own topic. */
  async function listenTo(photoId: string): Promise<string> {
    const topic = `${stack.env.NOTIFY_TOPIC ?? "notifications"}/${photoId}`;
    await subscriber.subscribeAsync(topic, { qos: 1 });
    return topic;
  }

  async function waitHeard(count: number, ms = 3000): Promise<typeof heard> {
    const until = Date.now() + ms;
    while (heard.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return [...heard];
  }

  it("publishes on the photo's own topic, and on the shared topic only while broadcast is on", async () => {
    const { upload } = stack.buckets;
    const notJpeg = new TextEncoder().encode("not a photo");
    const ownTopic = await listenTo("private-1");
    await chromakey(
      s3Event(upload, "booth/private-1.jpg", { eTag: await put(upload, "booth/private-1.jpg", notJpeg) }),
    );
    const both = await waitHeard(2);
    expect(both.map((h) => h.topic).sort()).to.deep.equal(["notifications", ownTopic]);
    expect(both[0].message).to.deep.equal(both[1].message);
    expect(both[0].message.message.ObjectKey).to.equal("booth/private-1.jpg");

    heard.length = 0;
    process.env.NOTIFY_BROADCAST = "false";
    const quietTopic = await listenTo("private-2");
    await chromakey(s3Event(upload, "private-2.jpg", { eTag: await put(upload, "private-2.jpg", notJpeg) }));
    const own = await waitHeard(2, 500);
    expect(own.map((h) => h.topic)).to.deep.equal([quietTopic]);
    expect(own[0].message).to.deep.include({ type: "photoFailed" });
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

  it("tells the guest when the photo is too small to make a souvenir from, and writes nothing", async () => {
    const { upload, processing } = stack.buckets;
    const canvas = createCanvas(64, 48);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "rgb(20, 180, 60)";
    ctx.fillRect(0, 0, 64, 48);
    ctx.fillStyle = "rgb(200, 40, 160)";
    ctx.fillRect(24, 10, 16, 38);
    const eTag = await put(upload, "thumbnail.jpg", await canvas.encode("jpeg", 90));
    await chromakey(s3Event(upload, "thumbnail.jpg", { eTag }));
    const [failed] = await waitForMessages(1);
    expect(failed!.type).to.equal("photoFailed");
    expect((failed!.message as { reason: string }).reason).to.match(/^image is too small \(64x48\)/);
    await s3.send(new HeadObjectCommand({ Bucket: processing, Key: "thumbnail.png" })).then(
      () => expect.fail("no cut-out for a thumbnail"),
      (err: { name: string }) => expect(err.name).to.equal("NotFound"),
    );
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

  it("refuses an upload over the limit from the event's size, before any download, tells the guest and deletes it", async () => {
    const { upload, processing } = stack.buckets;
    process.env.MAX_UPLOAD_BYTES = String(10 * 1024 * 1024);
    const ownTopic = await listenTo("huge");
    // The object here is a fine photo: only the event's size (as S3 reports a 5 GB PUT) can make the stage refuse it.
    const eTag = await put(upload, "huge.jpg", readFileSync(SAMPLE));
    await chromakey(s3Event(upload, "huge.jpg", { eTag, size: 5 * 1024 ** 3 }));
    const [message] = (await waitHeard(2)).filter((h) => h.topic === ownTopic);
    expect(message.message).to.deep.equal({
      level: "error",
      type: "photoFailed",
      message: { ObjectKey: "huge.jpg", reason: "the photo is too big (5120.0 MB; the limit is 10.0 MB)" },
    });
    expect(await exists(upload, "huge.jpg"), "the upload is deleted").to.equal(false);
    expect(await exists(processing, "huge.png"), "nothing was processed").to.equal(false);
  });

  it("deletes only the refused upload: a new photo put to the same key before the refusal is kept", async () => {
    const { upload } = stack.buckets;
    process.env.MAX_UPLOAD_BYTES = String(10 * 1024 * 1024);
    // The refused upload's event names its ETag; by the time the stage runs, the guest has uploaded again.
    const refusedETag = await put(upload, "retry.jpg", readFileSync(SAMPLE));
    const retried = small;
    await put(upload, "retry.jpg", retried);
    await chromakey(s3Event(upload, "retry.jpg", { eTag: refusedETag, size: 5 * 1024 ** 3 }));
    const [message] = await waitForMessages(1);
    expect(message).to.deep.include({ type: "photoFailed" });
    expect(Buffer.from(await bytes(upload, "retry.jpg")).equals(retried), "the new upload is still there").to.equal(
      true,
    );
  });

  for (const copies of [2, 3, 5]) {
    it(`${copies} concurrent copies of each event write each output once and notify once`, async () => {
      const { upload, processing, final } = stack.buckets;
      const id = `twin-${copies}`;
      const ownTopic = await listenTo(id);
      await put(upload, `${id}.jpg`, small);
      const keyIn = (bucket: string) => (bucket === processing ? `${id}.png` : `${id}.jpg`);
      const many = (run: () => Promise<void>) => Promise.all(Array.from({ length: copies }, run));

      const chromakeyEvent = await eventFor(upload, `${id}.jpg`, "0A01");
      const keyed = await countWrites(keyIn, () => many(() => chromakey(chromakeyEvent)));
      expect(keyed).to.deep.equal({ [processing]: 1 });

      const compositeEvent = await eventFor(processing, `${id}.png`, "0B01");
      const composited = await countWrites(keyIn, () => many(() => composite(compositeEvent)));
      expect(composited).to.deep.equal({ [final]: 1 });

      const notifyEvent = await eventFor(final, `${id}.jpg`, "0C01");
      await many(() => notify(notifyEvent));
      const messages = (await waitHeard(copies * 2, 700)).filter((h) => h.topic === ownTopic);
      expect(messages.map((h) => h.message.type)).to.deep.equal(["photoProcessed"]);
      // The composite stage told the photo's own page (never the shared topic) that it was composing.
      const steps = progress.filter((p) => p.message.message.ObjectKey === `${id}.jpg`);
      expect(steps.length).to.be.within(1, copies);
      for (const p of steps)
        expect(p).to.deep.include({ topic: ownTopic }).and.nested.include({ "message.message.step": "compose" });
    });
  }

  it("tells the guest once about a bad photo whose event arrives 3 times at once", async () => {
    const { upload } = stack.buckets;
    const ownTopic = await listenTo("bad-triplet");
    const eTag = await put(upload, "bad-triplet.jpg", new TextEncoder().encode("not a photo"));
    const event = s3Event(upload, "bad-triplet.jpg", { eTag, sequencer: "0F01" });
    await Promise.all([chromakey(event), chromakey(event), chromakey(event)]);
    const messages = (await waitHeard(6, 700)).filter((h) => h.topic === ownTopic);
    expect(messages.map((h) => h.message.type)).to.deep.equal(["photoFailed"]);
  });

  it("treats a re-upload to the same key as a new upload: processed and notified once, at a new URL", async () => {
    const { upload, processing, final } = stack.buckets;
    const ownTopic = await listenTo("again");
    const pipeline = async (sequencer: string): Promise<void> => {
      await chromakey(await eventFor(upload, "again.jpg", sequencer));
      await composite(await eventFor(processing, "again.png", sequencer));
      const event = await eventFor(final, "again.jpg", sequencer);
      await Promise.all([notify(event), notify(event)]);
    };
    /** The URLs heard on the photo's topic once `count` have arrived, and a moment more for any extra one. */
    const urls = async (count: number): Promise<string[]> => {
      const own = () => heard.filter((h) => h.topic === ownTopic);
      for (const until = Date.now() + 3000; own().length < count && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      return own().map((h) => (h.message.message as { URL: string }).URL);
    };

    await put(upload, "again.jpg", small);
    const firstEvent = await eventFor(upload, "again.jpg", "0D01");
    await pipeline("0D01");
    const first = await bytes(final, "again.jpg");
    expect(await urls(1)).to.have.length(1);

    // The guest takes another photo (the same scene at another quality: other bytes, a screen still behind them)
    // and it lands on the same presigned key.
    await put(upload, "again.jpg", await encodeJpeg(await decodePhoto(small), 60));
    await pipeline("0D02");
    const [url1, url2, ...more] = await urls(2);
    expect(more).to.deep.equal([]);
    expect(url2, "a new URL, so no cache can answer with the old souvenir").to.not.equal(url1);
    expect(Buffer.compare(await bytes(final, "again.jpg"), first)).to.not.equal(0);

    // A late duplicate of the first upload's event changes nothing and tells nobody.
    const late = await countWrites(
      () => "again.png",
      () => chromakey(firstEvent),
    );
    expect(late).to.deep.equal({});

    // The very same bytes uploaded again are still a new upload (a new sequencer), told once.
    await put(upload, "again.jpg", small);
    await pipeline("0D03");
    expect(await urls(3)).to.have.length(3);
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

  describe("the failure reporter (each stage's on-failure destination)", () => {
    let queue: Server;
    /** What reached the queue: the SQS SendMessage calls' bodies. */
    const queued: Array<{ QueueUrl: string; MessageBody: string }> = [];
    let queueDown = false;

    // SQS's JSON protocol, as far as SendMessage goes: there is no local SQS to run, and the wire format is small.
    before(async () => {
      queue = createHttpServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          if (req.headers["x-amz-target"] !== "AmazonSQS.SendMessage" || !req.headers.authorization) {
            res.writeHead(400).end();
            return;
          }
          if (queueDown) {
            res.writeHead(500, { "Content-Type": "application/x-amz-json-1.0" });
            res.end(JSON.stringify({ __type: "com.amazonaws.sqs#InternalError", message: "try later" }));
            return;
          }
          const message = JSON.parse(body) as { QueueUrl: string; MessageBody: string };
          queued.push(message);
          const md5 = createHash("md5").update(message.MessageBody).digest("hex");
          res.writeHead(200, { "Content-Type": "application/x-amz-json-1.0" });
          res.end(JSON.stringify({ MessageId: `m-${queued.length}`, MD5OfMessageBody: md5 }));
        });
      });
      await new Promise<void>((resolve) => queue.listen(0, "127.0.0.1", resolve));
    });
    after(() => queue.close());

    beforeEach(() => {
      queued.length = 0;
      const endpoint = `http://127.0.0.1:${(queue.address() as AddressInfo).port}`;
      Object.assign(process.env, {
        FAILED_STAGE: "chromakey",
        FAILURE_QUEUE_URL: `${endpoint}/123456789012/chromakey-failures`,
        AWS_ENDPOINT_URL_SQS: endpoint,
      });
    });

    /** The record Lambda sends the destination when the stage's invocation died (here: out of memory). */
    const died = (event: ReturnType<typeof s3Event>): FailedInvocation => ({
      version: "1.0",
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId: "r-1",
        functionArn: "arn:aws:lambda:us-west-2:123456789012:function:chromakey:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 1,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: { errorType: "Runtime.OutOfMemory", errorMessage: "Runtime exited with error: signal: killed" },
    });

    it("tells the guest once when a stage died outside its own handling, and keeps the record for redrive", async () => {
      const { upload } = stack.buckets;
      const ownTopic = await listenTo("crashed");
      const event = s3Event(upload, "crashed.jpg", { eTag: "abc", size: 1000, sequencer: "0E01" });
      const failure = died(event);
      // Lambda may deliver the destination record twice too.
      await Promise.all([failed(failure), failed(failure)]);
      const messages = (await waitHeard(4, 700)).filter((h) => h.topic === ownTopic);
      expect(messages.map((h) => h.message)).to.deep.equal([
        { level: "error", type: "photoFailed", message: { ObjectKey: "crashed.jpg", reason: INTERNAL_FAILURE_REASON } },
      ]);
      expect(queued).to.have.length(2);
      expect(queued[0].QueueUrl).to.equal(process.env.FAILURE_QUEUE_URL);
      // The original event is in the record: what a redrive invokes the stage with.
      expect(JSON.parse(queued[0].MessageBody)).to.deep.equal(failure);
    });

    it("stays quiet when the stage had told the guest before failing, and still keeps the record", async () => {
      const { upload } = stack.buckets;
      const ownTopic = await listenTo("told-already");
      const eTag = await put(upload, "told-already.jpg", small);
      const event = s3Event(upload, "told-already.jpg", { eTag, sequencer: "0E02" });
      const saved = process.env.PROCESSING_BUCKET;
      process.env.PROCESSING_BUCKET = "no-such-bucket";
      await chromakey(event).catch(() => undefined); // a fault of ours: photoFailed, then the invocation fails
      process.env.PROCESSING_BUCKET = saved;
      await failed(died(event));
      const messages = (await waitHeard(3, 700)).filter((h) => h.topic === ownTopic);
      expect(messages.map((h) => h.message.type)).to.deep.equal(["photoFailed"]);
      expect(queued).to.have.length(1);
    });

    it("tells the guest their souvenir is ready when notify died after claiming the notice (the souvenir exists)", async () => {
      const { final } = stack.buckets;
      const ownTopic = await listenTo("claimed-then-died");
      const eTag = await put(final, "claimed-then-died.jpg", small);
      const event = s3Event(final, "claimed-then-died.jpg", { eTag, sequencer: "0E04" });
      // What a notify killed between its claim and its publish leaves behind: the claim, and no message.
      await put(final, notifiedMarkerKey("claimed-then-died.jpg", processedNoticeId("0E04")), new Uint8Array(0));
      process.env.FAILED_STAGE = "notify";
      await Promise.all([failed(died(event)), failed(died(event))]);
      const messages = (await waitHeard(3, 700)).filter((h) => h.topic === ownTopic);
      expect(messages.map((h) => h.message)).to.deep.equal([
        {
          level: "info",
          type: "photoProcessed",
          message: {
            ObjectKey: "claimed-then-died.jpg",
            URL: `${stack.env.FINAL_URL_BASE}/claimed-then-died.jpg?v=${eTag}`,
          },
        },
      ]);
      expect(queued).to.have.length(2);
    });

    it("fails (so Lambda retries it) when the record cannot be kept, and tells the guest only once", async () => {
      const ownTopic = await listenTo("unkept");
      const failure = died(s3Event(stack.buckets.upload, "unkept.jpg", { eTag: "def", sequencer: "0E03" }));
      queueDown = true;
      let thrown: unknown;
      try {
        await failed(failure).catch((err: unknown) => (thrown = err));
      } finally {
        queueDown = false;
      }
      expect(thrown, "the invocation fails").to.be.instanceOf(Error);
      await failed(failure); // Lambda's retry of the reporter
      const messages = (await waitHeard(3, 700)).filter((h) => h.topic === ownTopic);
      expect(messages.map((h) => h.message.type)).to.deep.equal(["photoFailed"]);
      expect(queued).to.have.length(1);
    });
  });
});
