import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { listen, putPhoto, requestUpload } from "../local/client";
import type { Stack } from "../local/stack";
import { stackS3Client, startStack } from "../local/stack";
import { photoTopic } from "../pipeline/keys";
import { greenScreenJpeg } from "./local-photo";

// S3's event sequencers only grow for a key, whatever happens to the service; the stages rely on it to tell a
// new upload from a late copy of an old event. The local stack must keep that across restarts.
describe("local stack: a re-upload after a restart", function () {
  this.timeout(90_000);
  let dataDir: string;
  let stack: Stack | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "tpp-reupload-"));
  });
  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is processed and notified again, at a new URL", async () => {
    stack = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true });
    const ticket = await requestUpload(`${stack.webUrl}/Upload`);
    // The photo's own topic, as the page listens (the broadcast topic may be off).
    const topic = photoTopic(stack.env.NOTIFY_TOPIC, ticket.photoFilename)!;
    const first = await listen(stack.mqttWsUrl, topic);
    await putPhoto(ticket.uploadURL, await greenScreenJpeg(240, 300));
    const before = await first.waitFor(ticket.photoFilename, 30_000);
    await first.close();
    await stack.stop();

    stack = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true });
    const second = await listen(stack.mqttWsUrl, topic);
    const s3 = stackS3Client(stack);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: stack.buckets.upload,
          Key: ticket.photoFilename,
          Body: await greenScreenJpeg(300, 240),
          ContentType: "image/jpeg",
        }),
      );
      const after = await second.waitFor(ticket.photoFilename, 30_000);
      expect(after.type).to.equal("photoProcessed");
      expect(after.message.URL).to.not.equal(before.message.URL);
    } finally {
      s3.destroy();
      await second.close();
    }
  });
});
