import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { listen, putPhoto, requestUpload } from "../local/client";
import type { TopicListener } from "../local/client";
import { readImageHeader } from "../pipeline/image-input";
import { greenScreenJpeg } from "./local-photo";
import { rawStatus, stackS3Client, startTestStack } from "./local-stack";

describe("local stack: end to end", function () {
  this.timeout(60_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let photo: Buffer;
  let topic: TopicListener;
  let s3: S3Client;

  before(async () => {
    stack = await startTestStack();
    photo = await greenScreenJpeg();
    topic = await listen(stack.mqttWsUrl, stack.env.NOTIFY_TOPIC);
    s3 = stackS3Client(stack);
  });

  after(async () => {
    s3?.destroy();
    await topic?.close();
    await stack?.stopAndClean();
  });

  it("serves the front-end configuration with exactly the keys the cloud stack outputs", async () => {
    const res = await fetch(`${stack.webUrl}/frontend-config.json`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      uploadUrl: `${stack.webUrl}/Upload`,
      mqttUrl: stack.mqttWsUrl,
      topic: "notifications",
      broadcast: true,
      region: stack.env.AWS_REGION,
      imageBaseUrl: `${stack.webUrl}/photos`,
    });
  });

  it("takes a photo from presign through PUT and three stages to an MQTT notification and a 1080x1350 JPEG", async () => {
    const ticket = await requestUpload(`${stack.webUrl}/Upload`);
    expect(ticket.photoFilename).to.match(/^[0-9a-f-]{36}\.jpg$/);
    const signed = new URL(ticket.uploadURL);
    expect(`${signed.origin}${signed.pathname}`).to.equal(
      `${stack.s3Endpoint}/${stack.buckets.upload}/${ticket.photoFilename}`,
    );
    // Real S3 rejects a browser PUT whose URL pins a checksum of some other body.
    expect(signed.search).not.to.match(/x-amz-checksum|x-amz-sdk-checksum/i);

    await putPhoto(ticket.uploadURL, photo);
    const note = await topic.waitFor(ticket.photoFilename, 30_000);
    const finalETag = (
      await s3.send(new HeadObjectCommand({ Bucket: stack.buckets.final, Key: ticket.photoFilename }))
    ).ETag?.replace(/"/g, "");
    expect(note).to.deep.equal({
      level: "info",
      type: "photoProcessed",
      // Versioned by the souvenir's ETag: a re-upload to the same key gets a URL of its own.
      message: {
        ObjectKey: ticket.photoFilename,
        URL: `${stack.webUrl}/photos/${ticket.photoFilename}?v=${finalETag}`,
      },
    });

    const processing = await s3.send(
      new HeadObjectCommand({ Bucket: stack.buckets.processing, Key: ticket.photoFilename.replace(/\.jpg$/, ".png") }),
    );
    expect(processing.ContentType).to.equal("image/png");

    const res = await fetch(note.message.URL as string);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("image/jpeg");
    const header = await readImageHeader(new Uint8Array(await res.arrayBuffer()));
    expect(header).to.include({ format: "jpeg", width: 1080, height: 1350 });

    const stored = await s3.send(new GetObjectCommand({ Bucket: stack.buckets.final, Key: ticket.photoFilename }));
    expect(stored.ContentType).to.equal("image/jpeg");
    expect(topic.received.filter((r) => r.notification.message.ObjectKey === ticket.photoFilename)).to.have.length(1);
  });

  it("delivers keys URL-encoded in events as S3 does, so a key with spaces, plus and percent signs comes through intact", async () => {
    // Without the encoding, the handlers would read "+" as a space and choke on the bare "%".
    const key = "booth 2/me+you 100% (1).jpg";
    await s3.send(
      new PutObjectCommand({ Bucket: stack.buckets.upload, Key: key, Body: photo, ContentType: "image/jpeg" }),
    );
    const note = await topic.waitFor(key, 30_000);
    expect(note.type).to.equal("photoProcessed");
    const res = await fetch(note.message.URL as string);
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("image/jpeg");
  });

  it("sends photoFailed for a corrupt upload, and the next photo still comes through", async () => {
    const bad = await requestUpload(`${stack.webUrl}/Upload`);
    await putPhoto(bad.uploadURL, Buffer.from("this is not a photo at all, just some text pretending"));
    const failed = await topic.waitFor(bad.photoFilename, 30_000);
    expect(failed.type).to.equal("photoFailed");
    expect(failed.level).to.equal("error");
    expect(failed.message.reason).to.be.a("string").and.not.equal("");

    const truncated = await requestUpload(`${stack.webUrl}/Upload`);
    await putPhoto(truncated.uploadURL, photo.subarray(0, Math.floor(photo.length / 3)));
    expect((await topic.waitFor(truncated.photoFilename, 30_000)).type).to.equal("photoFailed");

    const good = await requestUpload(`${stack.webUrl}/Upload`);
    await putPhoto(good.uploadURL, photo);
    expect((await topic.waitFor(good.photoFilename, 30_000)).type).to.equal("photoProcessed");
  });

  describe("the presigned upload's CORS, as the browser checks it", () => {
    const preflight = async (url: string, origin: string, headers = "content-type"): Promise<Response> =>
      fetch(url, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": headers },
      });

    it("lets the page's origin PUT with a Content-Type header", async () => {
      const ticket = await requestUpload(`${stack.webUrl}/Upload`);
      const res = await preflight(ticket.uploadURL, stack.webUrl);
      expect(res.status).to.equal(200);
      expect(res.headers.get("access-control-allow-origin")).to.be.oneOf([stack.webUrl, "*"]);
      expect(res.headers.get("access-control-allow-methods")).to.match(/\bPUT\b/);
      expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).to.contain("content-type");

      const put = await fetch(ticket.uploadURL, {
        method: "PUT",
        body: new Uint8Array(photo),
        headers: { "Content-Type": "image/jpeg", Origin: stack.webUrl },
      });
      expect(put.status).to.equal(200);
      expect(put.headers.get("access-control-allow-origin")).to.equal(stack.webUrl);
      await topic.waitFor(ticket.photoFilename, 30_000);
    });

    it("refuses other origins and headers the rule does not allow", async () => {
      const ticket = await requestUpload(`${stack.webUrl}/Upload`);
      expect((await preflight(ticket.uploadURL, "https://evil.example")).status).to.equal(403);
      expect((await preflight(ticket.uploadURL, stack.webUrl, "content-type,x-custom")).status).to.equal(403);
      // A page elsewhere holding a genuine URL (or a browser skipping the preflight) still gets nothing.
      const put = await fetch(ticket.uploadURL, {
        method: "PUT",
        body: new Uint8Array(photo),
        headers: { "Content-Type": "image/jpeg", Origin: "https://evil.example" },
      });
      expect(put.status).to.equal(403);
      expect(put.headers.get("access-control-allow-origin")).to.equal(null);
    });

    it("refuses a PUT with another Content-Type than the one signed", async () => {
      const ticket = await requestUpload(`${stack.webUrl}/Upload`);
      const put = await fetch(ticket.uploadURL, {
        method: "PUT",
        body: new Uint8Array(photo),
        headers: { "Content-Type": "image/png" },
      });
      expect(put.status).to.equal(403);
    });
  });

  describe("the web server's other routes", () => {
    it("answers the presign preflight with CORS headers for the page's origin", async () => {
      const res = await fetch(`${stack.webUrl}/Upload`, {
        method: "OPTIONS",
        headers: { Origin: stack.webUrl, "Access-Control-Request-Method": "GET" },
      });
      expect(res.status).to.be.oneOf([200, 204]);
      expect(res.headers.get("access-control-allow-origin")).to.equal(stack.webUrl);
      expect(res.headers.get("access-control-allow-methods")).to.match(/\bGET\b/);
    });

    it("serves 404 for a missing photo and for paths outside the bucket's photos", async () => {
      for (const p of [
        "/photos/nope.jpg",
        "/photos/..%2F..%2Fpackage.json",
        "/photos/%2e%2e/x.jpg",
        "/photos/",
        "/../package.json",
        "/local/stack.ts",
      ]) {
        const res = await fetch(`${stack.webUrl}${p}`);
        expect(res.status, p).to.equal(404);
        expect(await res.text(), p).not.to.contain("theme-park-photos");
      }
    });

    it("serves /photos only as JPEG, never sniffed: a stored SVG under a photo key is not served", async () => {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>`;
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.buckets.final,
          Key: "planted.jpg",
          Body: svg,
          ContentType: "image/svg+xml",
        }),
      );
      const planted = await fetch(`${stack.webUrl}/photos/planted.jpg`);
      expect(planted.status).to.equal(404);
      expect(await planted.text()).not.to.contain("<svg");

      const jpeg = await greenScreenJpeg(64, 80);
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.buckets.final,
          Key: "labelled.jpg",
          Body: jpeg,
          ContentType: "text/html",
        }),
      );
      const served = await fetch(`${stack.webUrl}/photos/labelled.jpg`);
      expect(served.status).to.equal(200);
      expect(served.headers.get("content-type")).to.equal("image/jpeg");
      expect(served.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(Buffer.from(await served.arrayBuffer()).equals(jpeg)).to.equal(true);
    });

    it("serves the page, its script and the browser MQTT client", async () => {
      for (const [p, type] of [
        ["/", "text/html"],
        ["/app.js", "text/javascript"],
        ["/style.css", "text/css"],
        ["/vendor/mqtt.min.js", "text/javascript"],
      ]) {
        const res = await fetch(`${stack.webUrl}${p}`);
        expect(res.status, p).to.equal(200);
        expect(res.headers.get("content-type"), p).to.contain(type);
      }
    });

    it("answers only requests for this machine's name, not a page's domain rebound to 127.0.0.1", async () => {
      const port = new URL(stack.webUrl).port;
      for (const p of ["/frontend-config.json", "/Upload", "/"]) {
        expect(await rawStatus(stack.webUrl, "GET", p, { Host: `evil.example:${port}` }), p).to.equal(421);
        expect(await rawStatus(stack.webUrl, "GET", p, { Host: `127.0.0.1:${port}` }), p).to.equal(200);
      }
    });

    it("refuses an unsigned IoT publish, as IoT Core does", async () => {
      const res = await fetch(`${stack.iotEndpoint}/topics/notifications?qos=1`, { method: "POST", body: "{}" });
      expect(res.status).to.equal(403);
    });
  });
});
