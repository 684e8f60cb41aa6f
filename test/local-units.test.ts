import { expect } from "chai";
import type { S3Event } from "aws-lambda";
import { toApiGatewayEvent } from "../local/apigw-event";
import { parsePublishRequest } from "../local/iot-bridge";
import { percentile } from "../local/load";
import { isJpeg, photoKeyFromPath } from "../local/photo-path";
import { encodeEventKey, toLambdaS3Event } from "../local/s3-event";
import { uploadCorsXml } from "../local/s3-server";
import { createStageRunner } from "../local/stage-runner";
import { decodeEventKey } from "../pipeline/keys";

const SIGNED =
  "AWS4-HMAC-SHA256 Credential=S3RVER/20260101/us-east-1/iotdata/aws4_request, SignedHeaders=host, Signature=ab";

describe("local stack: pure parts", () => {
  describe("S3 event keys", () => {
    it("encodes like S3 notifications: '+' for space, %xx for reserved characters, '/' kept", () => {
      expect(encodeEventKey("booth 2/my photo (1).jpg")).to.equal("booth+2/my+photo+%281%29.jpg");
      expect(encodeEventKey("a+b.jpg")).to.equal("a%2Bb.jpg");
      expect(encodeEventKey("café.jpg")).to.equal("caf%C3%A9.jpg");
    });

    it("round-trips through the pipeline's decoder", () => {
      for (const key of ["3f2a.jpg", "booth 2/x y+z (1)!.jpg", "ünï/çødé's*.png"]) {
        expect(decodeEventKey(encodeEventKey(key))).to.equal(key);
      }
    });

    it("turns an s3rver event into a Lambda S3 event: encoded key, region, ARN, ordered sequencer", () => {
      const raw = {
        Records: [
          {
            eventVersion: "2.0",
            eventSource: "aws:s3",
            awsRegion: "us-east-1",
            eventName: "ObjectCreated:Put",
            s3: {
              bucket: { name: "tpp-upload", arn: "arn:aws:s3: : :tpp-upload" },
              object: { key: "my photo.jpg", size: 12, eTag: "abc", sequencer: "X" },
            },
          },
        ],
      };
      const first = toLambdaS3Event(raw, "eu-west-1", 9);
      const second = toLambdaS3Event(raw, "eu-west-1", 10);
      const record = first.Records[0];
      expect(record.awsRegion).to.equal("eu-west-1");
      expect(record.s3.object.key).to.equal("my+photo.jpg");
      expect(record.s3.object.size).to.equal(12);
      expect(record.s3.object.eTag).to.equal("abc");
      expect(record.s3.bucket.arn).to.equal("arn:aws:s3:::tpp-upload");
      expect(record.eventName).to.equal("ObjectCreated:Put");
      expect(second.Records[0].s3.object.sequencer > record.s3.object.sequencer).to.equal(true);
    });

    it("refuses something that is not an S3 event", () => {
      expect(() => toLambdaS3Event({ Records: [{}] }, "us-east-1", 1)).to.throw(/not an S3 event/);
      expect(() => toLambdaS3Event(null, "us-east-1", 1)).to.throw(/not an S3 event/);
    });
  });

  describe("/photos paths", () => {
    it("accepts photo keys, with folders", () => {
      expect(photoKeyFromPath("3f2a-11.jpg")).to.equal("3f2a-11.jpg");
      expect(photoKeyFromPath("booth-2/3f2a.jpg")).to.equal("booth-2/3f2a.jpg");
      expect(photoKeyFromPath("booth%202/my%20photo%20(1).jpg")).to.equal("booth 2/my photo (1).jpg");
    });

    it("refuses anything that could leave the bucket's photos", () => {
      for (const bad of [
        "",
        "..",
        "../x.jpg",
        "a/../../x.jpg",
        "%2e%2e/x.jpg",
        "..%2Fx.jpg",
        "a//b.jpg",
        "./x.jpg",
        "a/.",
        "a\\b.jpg",
        "a%5C..%5Cb.jpg",
        "x%00.jpg",
        "%E0%A4%A",
        "/etc/passwd",
      ]) {
        expect(photoKeyFromPath(bad), bad).to.equal(undefined);
      }
    });

    it("tells a JPEG from anything else stored under a photo key", () => {
      expect(isJpeg(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).to.equal(true);
      expect(isJpeg(Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"))).to.equal(
        false,
      );
      expect(isJpeg(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).to.equal(false);
      expect(isJpeg(new Uint8Array(0))).to.equal(false);
    });
  });

  describe("IoT Publish bridge requests", () => {
    it("accepts what PublishCommand sends: POST /topics/<encoded topic>?qos=1, signed for iotdata", () => {
      expect(parsePublishRequest("POST", "/topics/notifications?qos=1", SIGNED, 10)).to.deep.equal({
        ok: true,
        topic: "notifications",
        qos: 1,
      });
      expect(parsePublishRequest("POST", "/topics/a%2Fb%20c", SIGNED, 10)).to.deep.equal({
        ok: true,
        topic: "a/b c",
        qos: 0,
      });
    });

    it("refuses what IoT Core refuses", () => {
      const status = (method: string, url: string, auth: string | undefined, bytes = 10): number => {
        const r = parsePublishRequest(method, url, auth, bytes);
        return r.ok ? 200 : r.status;
      };
      expect(status("POST", "/topics/t", undefined)).to.equal(403);
      expect(status("POST", "/topics/t", SIGNED.replace("iotdata", "s3"))).to.equal(403);
      expect(status("POST", "/topics/a%2F%23", SIGNED)).to.equal(400);
      expect(status("POST", "/topics/t?qos=2", SIGNED)).to.equal(400);
      expect(status("POST", "/topics/t", SIGNED, 200 * 1024)).to.equal(413);
      expect(status("GET", "/topics/t", SIGNED)).to.equal(404);
    });
  });

  describe("API Gateway events", () => {
    it("carries method, path, headers (single and multi) and query like a REST proxy integration", () => {
      const event = toApiGatewayEvent(
        {
          method: "GET",
          url: "/Upload?a=1&a=2",
          headers: { origin: "http://x", "user-agent": "t", "x-m": ["1", "2"] },
          body: null,
          sourceIp: "127.0.0.1",
          now: 5,
          requestId: "r",
        },
        "/Upload",
      );
      expect(event.httpMethod).to.equal("GET");
      expect(event.path).to.equal("/Upload");
      expect(event.resource).to.equal("/Upload");
      expect(event.headers.origin).to.equal("http://x");
      expect(event.multiValueHeaders["x-m"]).to.deep.equal(["1", "2"]);
      expect(event.queryStringParameters).to.deep.equal({ a: "2" });
      expect(event.multiValueQueryStringParameters).to.deep.equal({ a: ["1", "2"] });
      expect(event.requestContext.identity.sourceIp).to.equal("127.0.0.1");
      expect(event.requestContext.requestTimeEpoch).to.equal(5);
    });

    it("has null query parameters when there are none, as API Gateway sends", () => {
      const event = toApiGatewayEvent(
        { method: "OPTIONS", url: "/Upload", headers: {}, body: null, sourceIp: "::1", now: 0, requestId: "r" },
        "/Upload",
      );
      expect(event.queryStringParameters).to.equal(null);
      expect(event.multiValueQueryStringParameters).to.equal(null);
    });
  });

  describe("Upload bucket CORS", () => {
    it("lets the allowed origins PUT with a Content-Type, and escapes them", () => {
      const xml = uploadCorsXml(["http://localhost:3000", "http://a&b"]);
      expect(xml).to.contain("<AllowedOrigin>http://localhost:3000</AllowedOrigin>");
      expect(xml).to.contain("<AllowedOrigin>http://a&amp;b</AllowedOrigin>");
      expect(xml).to.contain("<AllowedMethod>PUT</AllowedMethod>");
      expect(xml).to.contain("<AllowedHeader>Content-Type</AllowedHeader>");
    });
  });

  describe("stage runner", () => {
    const event = (bucket: string, key: string, eventName = "ObjectCreated:Put"): S3Event =>
      ({ Records: [{ eventName, s3: { bucket: { name: bucket }, object: { key } } }] }) as unknown as S3Event;

    it("runs each event once in its bucket's stage, never more than the bound at a time, and survives failures", async () => {
      let running = 0;
      let most = 0;
      const seen: string[] = [];
      const errors: string[] = [];
      const work = (name: string) => async (e: S3Event) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        seen.push(`${name}:${e.Records[0].s3.object.key}`);
        if (e.Records[0].s3.object.key === "bad") throw new Error("boom");
      };
      const runner = createStageRunner(
        [
          { name: "a", bucket: "up", handler: work("a") },
          { name: "b", bucket: "down", handler: work("b") },
        ],
        2,
        (_l, m, fields) => errors.push(`${m} ${JSON.stringify(fields)}`),
      );
      for (let i = 0; i < 6; i++) runner.dispatch(event("up", `k${i}`));
      runner.dispatch(event("up", "bad"));
      runner.dispatch(event("down", "d"));
      runner.dispatch(event("elsewhere", "x"));
      runner.dispatch(event("up", "gone", "ObjectRemoved:Delete"));
      await runner.idle();
      expect(seen).to.have.length(8);
      expect(seen).to.include.members(["a:k0", "a:k5", "a:bad", "b:d"]);
      expect(most).to.equal(2);
      expect(runner.stats.failed).to.equal(1);
      expect(errors[0]).to.match(/^invocation failed .*"stage":"a".*boom/);
    });

    it("runs later stages first when both are waiting", async () => {
      const order: string[] = [];
      const runner = createStageRunner(
        [
          { name: "a", bucket: "up", handler: async (e) => void order.push(`a:${e.Records[0].s3.object.key}`) },
          { name: "b", bucket: "down", handler: async (e) => void order.push(`b:${e.Records[0].s3.object.key}`) },
        ],
        1,
        () => undefined,
      );
      runner.dispatch(event("up", "1"));
      runner.dispatch(event("up", "2"));
      runner.dispatch(event("down", "3"));
      await runner.idle();
      expect(order).to.deep.equal(["a:1", "b:3", "a:2"]);
    });

    it("drops queued events on stop and waits for the running ones", async () => {
      let finished = 0;
      const runner = createStageRunner(
        [{ name: "a", bucket: "up", handler: () => new Promise<void>((r) => setTimeout(() => (finished++, r()), 10)) }],
        1,
        () => undefined,
      );
      runner.dispatch(event("up", "1"));
      runner.dispatch(event("up", "2"));
      await new Promise((r) => setImmediate(r));
      await runner.stop();
      runner.dispatch(event("up", "3"));
      await runner.idle();
      expect(finished).to.equal(1);
      expect(runner.stats.invoked).to.equal(1);
    });
  });

  it("nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).to.equal(50);
    expect(percentile(xs, 0.95)).to.equal(95);
    expect(percentile([7], 0.95)).to.equal(7);
    expect(Number.isNaN(percentile([], 0.5))).to.equal(true);
  });
});
