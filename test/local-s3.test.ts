import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { expect } from "chai";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startStack } from "../local/stack";
import { rawStatus, stackS3Client, startTestStack } from "./local-stack";

/** The local S3 server driven from outside, as the SDK (and an attacker) would reach it. */
describe("local S3 server", function () {
  this.timeout(30_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let s3: S3Client;
  let bucket: string;

  before(async () => {
    // No stages: these objects are not photos, and the server is what is under test.
    stack = await startTestStack({ runStages: false });
    bucket = stack.buckets.final;
    s3 = stackS3Client(stack);
  });

  after(async () => {
    s3?.destroy();
    await stack?.stopAndClean();
  });

  /** The HTTP status and S3 error code of a call, 200 when it succeeds. */
  async function outcome(call: Promise<unknown>): Promise<{ status: number; code?: string }> {
    try {
      await call;
      return { status: 200 };
    } catch (err) {
      if (!(err instanceof S3ServiceException)) throw err;
      return { status: err.$metadata.httpStatusCode ?? 0, code: err.name };
    }
  }

  const put = (key: string, body: string, conditions: { IfNoneMatch?: string; IfMatch?: string } = {}) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "text/plain", ...conditions }));

  const read = async (key: string): Promise<string> =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

  describe("conditional writes, as S3 answers them", () => {
    it("If-None-Match: * creates once, then answers 412 PreconditionFailed and keeps the first object", async () => {
      expect(await outcome(put("once.txt", "first", { IfNoneMatch: "*" }))).to.deep.equal({ status: 200 });
      expect(await outcome(put("once.txt", "second", { IfNoneMatch: "*" }))).to.deep.equal({
        status: 412,
        code: "PreconditionFailed",
      });
      expect(await read("once.txt")).to.equal("first");
    });

    it("If-Match replaces only the ETag it names; no object is 404 NoSuchKey", async () => {
      const first = await put("swap.txt", "v1");
      expect(await outcome(put("swap.txt", "v2", { IfMatch: first.ETag }))).to.deep.equal({ status: 200 });
      expect(await outcome(put("swap.txt", "v3", { IfMatch: first.ETag }))).to.deep.equal({
        status: 412,
        code: "PreconditionFailed",
      });
      expect(await read("swap.txt")).to.equal("v2");
      expect(await outcome(put("never-written.txt", "x", { IfMatch: first.ETag }))).to.deep.equal({
        status: 404,
        code: "NoSuchKey",
      });
    });

    it("If-None-Match with anything but * is not implemented, as on S3", async () => {
      const first = await put("etag-none-match.txt", "v1");
      expect((await outcome(put("etag-none-match.txt", "v2", { IfNoneMatch: first.ETag }))).status).to.equal(501);
      expect(await read("etag-none-match.txt")).to.equal("v1");
    });

    it("DeleteObject with If-Match deletes only the ETag it names, as S3 does since 2025", async () => {
      const first = await put("delete-me.txt", "v1");
      const second = await put("delete-me.txt", "v2");
      const remove = (IfMatch: string) =>
        s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "delete-me.txt", IfMatch }));
      expect(await outcome(remove(first.ETag!))).to.deep.equal({ status: 412, code: "PreconditionFailed" });
      expect(await read("delete-me.txt")).to.equal("v2");
      expect((await outcome(remove(second.ETag!))).status).to.be.oneOf([200, 204]);
      expect(await outcome(read("delete-me.txt"))).to.include({ status: 404 });
      expect(await outcome(remove(second.ETag!))).to.deep.equal({ status: 404, code: "NoSuchKey" });
    });

    for (const copies of [2, 3, 5]) {
      it(`lets exactly one of ${copies} concurrent If-None-Match: * writes land`, async () => {
        const key = `race-create-${copies}.txt`;
        const bodies = Array.from({ length: copies }, (_, i) => `writer ${i} `.repeat(20_000));
        const results = await Promise.all(bodies.map((body) => outcome(put(key, body, { IfNoneMatch: "*" }))));
        const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
        expect(winners).to.have.length(1);
        expect(results.filter((r) => r.status === 412)).to.have.length(copies - 1);
        expect(await read(key)).to.equal(bodies[winners[0]]);
      });

      it(`lets exactly one of ${copies} concurrent If-Match writes on the same ETag land`, async () => {
        const key = `race-swap-${copies}.txt`;
        const { ETag } = await put(key, "start");
        const bodies = Array.from({ length: copies }, (_, i) => `writer ${i} `.repeat(20_000));
        const results = await Promise.all(bodies.map((body) => outcome(put(key, body, { IfMatch: ETag }))));
        const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
        expect(winners).to.have.length(1);
        expect(await read(key)).to.equal(bodies[winners[0]]);
      });
    }
  });

  describe("a private bucket's rules, for callers without the stack's key", () => {
    const stranger = (credentials: { accessKeyId: string; secretAccessKey: string }): S3Client =>
      new S3Client({ region: stack.env.AWS_REGION, endpoint: stack.s3Endpoint, forcePathStyle: true, credentials });

    it("refuses unsigned GET, PUT, DELETE, listing and bucket listing with 403 AccessDenied", async () => {
      await put("private.txt", "secret");
      const base = `${stack.s3Endpoint}/${bucket}`;
      for (const [method, url, body] of [
        ["GET", `${base}/private.txt`],
        ["HEAD", `${base}/private.txt`],
        ["PUT", `${base}/planted.txt`, "planted"],
        ["DELETE", `${base}/private.txt`],
        ["GET", `${base}?list-type=2`],
        ["GET", `${stack.s3Endpoint}/`],
      ] as const) {
        const res = await fetch(url, { method, body });
        expect(res.status, `${method} ${url}`).to.equal(403);
        if (method !== "HEAD") expect(await res.text(), `${method} ${url}`).to.contain("<Code>AccessDenied</Code>");
      }
      expect(await read("private.txt")).to.equal("secret");
      expect(await outcome(read("planted.txt"))).to.include({ status: 404 });
    });

    it("refuses s3rver's well-known key, a wrong secret and a tampered signature", async () => {
      const wellKnown = stranger({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });
      const wrongSecret = stranger({ accessKeyId: stack.env.AWS_ACCESS_KEY_ID, secretAccessKey: "x".repeat(40) });
      try {
        expect(await outcome(wellKnown.send(new GetObjectCommand({ Bucket: bucket, Key: "private.txt" })))).to.include({
          status: 403,
          code: "InvalidAccessKeyId",
        });
        expect(
          await outcome(wrongSecret.send(new PutObjectCommand({ Bucket: bucket, Key: "planted.txt", Body: "x" }))),
        ).to.include({ status: 403, code: "SignatureDoesNotMatch" });
      } finally {
        wellKnown.destroy();
        wrongSecret.destroy();
      }
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "private.txt" }), {
        expiresIn: 60,
      });
      expect((await fetch(url)).status, "the genuine URL").to.equal(200);
      const tampered = url.replace(
        /X-Amz-Signature=([0-9a-f])/,
        (_, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`,
      );
      expect((await fetch(tampered)).status).to.equal(403);
      const otherKey = url.replace("private.txt", "planted.txt");
      expect((await fetch(otherKey)).status, "the URL moved to another key").to.equal(403);
    });

    it("refuses a presigned PUT with its query string removed, or past its expiry", async () => {
      const command = new PutObjectCommand({ Bucket: bucket, Key: "presigned.jpg", ContentType: "image/jpeg" });
      const url = await getSignedUrl(s3, command, { expiresIn: 60, signableHeaders: new Set(["content-type"]) });
      const bare = url.split("?")[0];
      const send = (target: string) =>
        fetch(target, { method: "PUT", body: "jpeg", headers: { "Content-Type": "image/jpeg" } });
      expect((await send(bare)).status).to.equal(403);
      const expired = await getSignedUrl(s3, command, {
        expiresIn: 60,
        signableHeaders: new Set(["content-type"]),
        signingDate: new Date(Date.now() - 61_000),
      });
      const res = await send(expired);
      expect(res.status).to.equal(403);
      expect(await res.text()).to.contain("Request has expired");
      expect(await outcome(read("presigned.jpg"))).to.include({ status: 404 });
      expect((await send(url)).status, "the same URL, in time and whole").to.equal(200);
    });

    it("refuses a Host that is not this machine's (a page that rebound its domain to 127.0.0.1)", async () => {
      const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "private.txt" })));
      const target = `${url.pathname}${url.search}`;
      expect(await rawStatus(stack.s3Endpoint, "GET", target, { Host: `evil.example:${url.port}` })).to.equal(400);
      expect(await rawStatus(stack.s3Endpoint, "GET", target)).to.equal(200);
    });

    it("has only the stack's three buckets, whose configuration nobody may change", async () => {
      expect(await outcome(s3.send(new ListObjectsV2Command({ Bucket: "someone-elses" })))).to.include({
        status: 404,
        code: "NoSuchBucket",
      });
      expect(await outcome(s3.send(new CreateBucketCommand({ Bucket: "new-bucket" })))).to.include({ status: 404 });
      expect(await outcome(s3.send(new DeleteBucketCommand({ Bucket: bucket })))).to.include({ status: 403 });
      expect(
        await outcome(
          s3.send(
            new PutBucketCorsCommand({
              Bucket: stack.buckets.upload,
              CORSConfiguration: { CORSRules: [{ AllowedMethods: ["PUT"], AllowedOrigins: ["*"] }] },
            }),
          ),
        ),
      ).to.include({ status: 403 });
      expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).to.be.above(0);
    });
  });

  describe("the data folder's surroundings", () => {
    let outer: string;
    let guarded: Awaited<ReturnType<typeof startStack>>;
    let client: S3Client;

    before(async () => {
      // The stack's data folder inside a folder of the test's own, with a file beside it that must survive.
      outer = mkdtempSync(path.join(tmpdir(), "tpp-outer-"));
      mkdirSync(path.join(outer, "data"));
      writeFileSync(path.join(outer, "sentinel.txt"), "still here");
      guarded = await startStack({
        port: 0,
        s3Port: 0,
        dataDir: path.join(outer, "data"),
        runStages: false,
        quiet: true,
      });
      client = stackS3Client(guarded);
    });

    after(async () => {
      client?.destroy();
      await guarded?.stop();
      rmSync(outer, { recursive: true, force: true });
    });

    it("refuses DELETE /.. and bucket names that are paths, signed or not", async () => {
      for (const p of ["/..", "/%2E%2E", "/../..", "/.", "/tpp-upload%2F..%2F..", "/tpp-upload/.."]) {
        expect(await rawStatus(guarded.s3Endpoint, "DELETE", p), p).to.be.oneOf([400, 403]);
      }
      expect(await outcome(client.send(new DeleteBucketCommand({ Bucket: ".." })))).to.satisfy(
        (o: { status: number }) => o.status >= 400,
      );
      expect(existsSync(path.join(outer, "sentinel.txt"))).to.equal(true);
      expect(readdirSync(path.join(outer, "data"))).to.include.members(Object.values(guarded.buckets));
    });

    it("refuses keys with '..' segments, signed by the stack's own key, so nothing is written or deleted outside", async () => {
      const upload = guarded.buckets.upload;
      for (const key of ["../../sentinel.txt", "../escaped.txt", "a/../../../escaped.txt", "./x.jpg", "a//b.jpg"]) {
        expect(await outcome(client.send(new DeleteObjectCommand({ Bucket: upload, Key: key }))), key).to.include({
          status: 400,
        });
        expect(
          await outcome(client.send(new PutObjectCommand({ Bucket: upload, Key: key, Body: "x" }))),
          key,
        ).to.include({ status: 400 });
      }
      // Sent as is: fetch would resolve the dot segments itself before they reach the server.
      for (const p of [
        `/${upload}/%2E%2E/%2E%2E/escaped.txt`,
        `/${upload}/../../escaped.txt`,
        `/${upload}/..%2F..%2Fescaped.txt`,
      ]) {
        expect(await rawStatus(guarded.s3Endpoint, "PUT", p), `PUT ${p}`).to.be.oneOf([400, 403]);
        expect(await rawStatus(guarded.s3Endpoint, "DELETE", p), `DELETE ${p}`).to.be.oneOf([400, 403]);
      }
      expect(existsSync(path.join(outer, "sentinel.txt"))).to.equal(true);
      expect(readdirSync(outer).sort()).to.deep.equal(["data", "sentinel.txt"]);
      expect(existsSync(path.join(outer, "data", "escaped.txt._S3rver_object"))).to.equal(false);
    });

    it("refuses a copy whose source leaves the buckets", async () => {
      const res = await outcome(
        client.send(
          new CopyObjectCommand({
            Bucket: guarded.buckets.upload,
            Key: "copy.jpg",
            CopySource: `${guarded.buckets.upload}/..%2F..%2Fsentinel.txt`,
          }),
        ),
      );
      expect(res.status).to.equal(400);
      expect(existsSync(path.join(outer, "data", guarded.buckets.upload, "copy.jpg._S3rver_object"))).to.equal(false);
    });
  });

  describe("browser form uploads (POST Object) with a signed policy", () => {
    const KEY = "0d9c6a4e-6b1e-4d55-8f5e-1f2a3b4c5d6e.jpg";

    /** A policy and its fields as S3's presigned POST makes them, signed here with the stack's key. */
    function signedForm(
      options: { key?: string; contentType?: string; maxBytes?: number; expiresInMs?: number; secret?: string } = {},
    ): Record<string, string> {
      const key = options.key ?? KEY;
      const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
      const date = amzDate.slice(0, 8);
      const region = stack.env.AWS_REGION;
      const credential = `${stack.env.AWS_ACCESS_KEY_ID}/${date}/${region}/s3/aws4_request`;
      const policy = Buffer.from(
        JSON.stringify({
          expiration: new Date(Date.now() + (options.expiresInMs ?? 60_000)).toISOString(),
          conditions: [
            { bucket: stack.buckets.upload },
            ["eq", "$key", key],
            ["eq", "$Content-Type", "image/jpeg"],
            ["content-length-range", 1, options.maxBytes ?? 1000],
            { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
            { "x-amz-credential": credential },
            { "x-amz-date": amzDate },
          ],
        }),
      ).toString("base64");
      const hmac = (k: string | Buffer, data: string): Buffer => createHmac("sha256", k).update(data).digest();
      let signing = hmac(`AWS4${options.secret ?? stack.env.AWS_SECRET_ACCESS_KEY}`, date);
      for (const part of [region, "s3", "aws4_request"]) signing = hmac(signing, part);
      return {
        bucket: stack.buckets.upload,
        key,
        "Content-Type": options.contentType ?? "image/jpeg",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": credential,
        "X-Amz-Date": amzDate,
        Policy: policy,
        "X-Amz-Signature": createHmac("sha256", signing).update(policy).digest("hex"),
      };
    }

    async function post(fields: Record<string, string>, file: string, origin?: string): Promise<Response> {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob([file], { type: "image/jpeg" }), "selfie.jpg");
      return fetch(`${stack.s3Endpoint}/${stack.buckets.upload}`, {
        method: "POST",
        body: form,
        headers: origin ? { Origin: origin } : {},
      });
    }

    const stored = (key: string) => outcome(s3.send(new GetObjectCommand({ Bucket: stack.buckets.upload, Key: key })));

    it("stores a form whose policy is signed and holds, and lets the page read the answer", async () => {
      const res = await post(signedForm(), "jpeg bytes", stack.webUrl);
      expect(res.status).to.equal(204);
      expect(res.headers.get("access-control-allow-origin")).to.equal(stack.webUrl);
      const object = await s3.send(new GetObjectCommand({ Bucket: stack.buckets.upload, Key: KEY }));
      expect(object.ContentType).to.equal("image/jpeg");
      expect(await object.Body!.transformToString()).to.equal("jpeg bytes");
    });

    it("refuses unsigned forms, from a foreign origin or none", async () => {
      const unsigned = { key: "unsigned.jpg", "Content-Type": "image/jpeg" };
      expect((await post(unsigned, "x", "https://evil.example")).status).to.equal(403);
      expect((await post(unsigned, "x")).status).to.equal(403);
      const { "X-Amz-Signature": signature, ...noSignature } = signedForm({ key: "unsigned.jpg" });
      expect(signature).to.match(/^[0-9a-f]{64}$/);
      expect((await post(noSignature, "x")).status).to.equal(403);
      expect(await stored("unsigned.jpg")).to.include({ status: 404 });
    });

    it("refuses a form that breaks its policy: another key, type, size, an extra field, expiry, a wrong key", async () => {
      const cases: Array<[string, Record<string, string>, string, number]> = [
        ["another key", { ...signedForm({ key: "a.jpg" }), key: "b.jpg" }, "x", 403],
        ["another type", signedForm({ key: "c.jpg", contentType: "image/svg+xml" }), "<svg/>", 403],
        ["too large", signedForm({ key: "d.jpg", maxBytes: 10 }), "x".repeat(11), 400],
        ["empty", signedForm({ key: "e.jpg" }), "", 400],
        ["an extra field", { ...signedForm({ key: "f.jpg" }), "x-amz-meta-evil": "1" }, "x", 403],
        ["expired", signedForm({ key: "g.jpg", expiresInMs: -1000 }), "x", 403],
        ["signed with another secret", signedForm({ key: "h.jpg", secret: "S3RVER" }), "x", 403],
        ["a traversal key", signedForm({ key: "../../i.jpg" }), "x", 400],
      ];
      for (const [what, fields, file, status] of cases) {
        const res = await post(fields, file);
        expect(res.status, what).to.equal(status);
      }
      for (const key of ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg", "h.jpg"]) {
        expect(await stored(key), key).to.include({ status: 404 });
      }
    });
  });
});
