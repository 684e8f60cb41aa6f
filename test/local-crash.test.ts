import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { listen, putPhoto, requestUpload } from "../local/client";
import type { Notification, TopicListener } from "../local/client";
import { greenScreenJpeg } from "./local-photo";
import { startStack } from "../local/stack";
import { stackS3Client, startTestStack } from "./local-stack";

const PROJECT = path.join(__dirname, "..");

interface Running {
  child: ChildProcess;
  webUrl: string;
  mqttWsUrl: string;
  exited: Promise<void>;
}

/** `npm start` as a child process on `dataDir`, once its banner says where it listens. */
async function startChild(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/main.ts"], {
    cwd: PROJECT,
    env: { ...process.env, LOG_LEVEL: "warn", PORT: "0", S3_PORT: "0", LOCAL_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s:\n${stdout}\n${stderr}`)), 20_000);
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      const web = /Web page\s+(\S+)\//.exec(stdout)?.[1];
      const mqttUrl = /MQTT \(WebSocket\)\s+(\S+)/.exec(stdout)?.[1];
      if (web && mqttUrl) {
        clearTimeout(timer);
        resolve({ child, webUrl: web, mqttWsUrl: mqttUrl, exited });
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code} before its banner:\n${stdout}\n${stderr}`)));
  });
}

describe("local stack: nothing lost", function () {
  this.timeout(120_000);

  describe("kill -9 with photos in flight, then a restart on the same data", () => {
    const dataDirs: string[] = [];
    const children: ChildProcess[] = [];
    const listeners: TopicListener[] = [];

    after(async () => {
      await Promise.all(listeners.map((l) => l.close().catch(() => undefined)));
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Ten uploads, a kill -9 once `killWhen` says so, a restart on the same data folder: every photo must be
     * notified exactly once across both runs. Returns how many were told before the kill.
     */
    async function crashAndRestart(killWhen: (heard: TopicListener) => Promise<void>): Promise<number> {
      const dataDir = mkdtempSync(path.join(tmpdir(), "tpp-crash-"));
      dataDirs.push(dataDir);
      // Souvenir-sized, so that work is still in flight at the kill even on a fast machine.
      const photo = await greenScreenJpeg(1080, 1350);
      const first = await startChild(dataDir);
      children.push(first.child);
      const before = await listen(first.mqttWsUrl, "notifications");
      listeners.push(before);

      const tickets = await Promise.all(Array.from({ length: 10 }, () => requestUpload(`${first.webUrl}/Upload`)));
      await Promise.all(tickets.map((t) => putPhoto(t.uploadURL, photo)));
      await killWhen(before);
      first.child.kill("SIGKILL");
      await first.exited;
      // What the guests heard before the crash; the rest must come after the restart, and nothing twice.
      const heardBefore = before.received.map((r) => r.notification);
      await before.close().catch(() => undefined);

      const second = await startChild(dataDir);
      children.push(second.child);
      const after = await listen(second.mqttWsUrl, "notifications");
      listeners.push(after);
      const keys = tickets.map((t) => t.photoFilename);
      const missing = keys.filter((k) => !heardBefore.some((n) => n.message.ObjectKey === k));
      await Promise.all(missing.map((key) => after.waitFor(key, 90_000)));
      // Long enough for a duplicate, if there were one, to arrive.
      await new Promise((r) => setTimeout(r, 1500));
      const all: Notification[] = [...heardBefore, ...after.received.map((r) => r.notification)];
      for (const key of keys) {
        const notes = all.filter((n) => n.message.ObjectKey === key);
        expect(
          notes.map((n) => n.type),
          key,
        ).to.deep.equal(["photoProcessed"]);
      }
      expect(missing.length, "photos still in flight at the kill").to.be.above(0);
      second.child.kill("SIGINT");
      await second.exited;
      return keys.length - missing.length;
    }

    it("300 ms after the uploads: finishes and notifies every upload exactly once", async () => {
      await crashAndRestart(() => new Promise((r) => setTimeout(r, 300)));
    });

    it("after the first souvenirs: those are not told again, the rest are told once", async () => {
      const toldBefore = await crashAndRestart(async (heard) => {
        const until = Date.now() + 60_000;
        while (heard.received.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
        // Not at the instant of a notification: somewhere in the middle of the next photos' work.
        await new Promise((r) => setTimeout(r, 120));
      });
      expect(toldBefore).to.be.at.least(2);
    });
  });

  it("does not run finished work again on a restart: a refused photo is refused once", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "tpp-restart-"));
    try {
      const first = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true });
      const heard = await listen(first.mqttWsUrl, first.env.NOTIFY_TOPIC);
      const bad = await requestUpload(`${first.webUrl}/Upload`);
      await putPhoto(bad.uploadURL, Buffer.from("not a photo at all"));
      expect((await heard.waitFor(bad.photoFilename, 30_000)).type).to.equal("photoFailed");
      await heard.close();
      await first.stop();
      // What a write cut short by a crash leaves: a temporary file, never an object.
      const leftover = path.join(dataDir, first.buckets.upload, "cut-short.jpg._S3rver_object.incoming-0123456789ab");
      writeFileSync(leftover, "half a photo");

      const second = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true });
      expect(existsSync(leftover)).to.equal(false);
      const again = await listen(second.mqttWsUrl, second.env.NOTIFY_TOPIC);
      await new Promise((r) => setTimeout(r, 1500));
      expect(again.received).to.deep.equal([]);
      await again.close();
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("a notify that died between claiming its notice and publishing: the restart tells the guest, once", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "tpp-claimed-"));
    try {
      // What such a death leaves: the souvenir, the dead run's notice marker, and no record of the event as done.
      const first = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true, runStages: false });
      const s3 = stackS3Client(first);
      const bucket = first.buckets.final;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "claimed.jpg",
          Body: await greenScreenJpeg(),
          ContentType: "image/jpeg",
        }),
      );
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: ".notified/claimed.jpg/processed-0000018C2E4A5B6C7000",
          Body: new Uint8Array(0),
        }),
      );
      await first.stop();

      const second = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true });
      const heard = await listen(second.mqttWsUrl, second.env.NOTIFY_TOPIC);
      try {
        expect((await heard.waitFor("claimed.jpg", 30_000)).type).to.equal("photoProcessed");
        await new Promise((r) => setTimeout(r, 1500));
        expect(heard.received.map((r) => r.notification.message.ObjectKey)).to.deep.equal(["claimed.jpg"]);
      } finally {
        await heard.close();
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe("an S3 endpoint that stops answering", () => {
    let stack: Awaited<ReturnType<typeof startTestStack>>;
    let topic: TopicListener;
    let silent: ReturnType<typeof createServer>;
    const sockets: Socket[] = [];

    before(async () => {
      // The Lambda timeout, shortened: the stage keeps 3 s of it to tell the guest.
      stack = await startTestStack({ stageTimeoutsMs: { chromakey: 4500, composite: 4500, notify: 4500 } });
      topic = await listen(stack.mqttWsUrl, stack.env.NOTIFY_TOPIC);
      silent = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    });

    after(async () => {
      sockets.forEach((s) => s.destroy());
      silent?.close();
      await topic?.close();
      await stack?.stopAndClean();
    });

    it("ends in photoFailed within the stage's time, and the stack goes on", async () => {
      const s3 = stackS3Client(stack);
      const photo = await greenScreenJpeg();
      // The stages read their S3 endpoint per invocation, as on Lambda: from now on it never answers.
      const endpoint = process.env.S3_ENDPOINT;
      process.env.S3_ENDPOINT = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      try {
        const started = Date.now();
        await s3.send(new PutObjectCommand({ Bucket: stack.buckets.upload, Key: "hung.jpg", Body: photo }));
        const note = await topic.waitFor("hung.jpg", 15_000);
        expect(note.type).to.equal("photoFailed");
        expect(Date.now() - started).to.be.below(4500);
      } finally {
        process.env.S3_ENDPOINT = endpoint;
        s3.destroy();
      }
      const ticket = await requestUpload(`${stack.webUrl}/Upload`);
      await putPhoto(ticket.uploadURL, photo);
      expect((await topic.waitFor(ticket.photoFilename, 30_000)).type).to.equal("photoProcessed");
    });
  });
});
