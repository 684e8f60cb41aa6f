import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { startTestStack } from "./local-stack";

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
    s3 = new S3Client({
      region: stack.env.AWS_REGION,
      endpoint: stack.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: stack.env.AWS_ACCESS_KEY_ID, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY },
    });
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
});
