import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { handler } from "../pipeline/handlers/presign";
import { startStack } from "../local/stack";

interface UploadAnswer {
  uploadURL: string;
  photoFilename: string;
  uploadForm: { url: string; fields: Record<string, string> };
}

function request(httpMethod: string, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return { httpMethod, headers, path: "/Upload", resource: "/Upload" } as unknown as APIGatewayProxyEvent;
}

describe("presign handler (GET /Upload)", () => {
  const saved = { ...process.env };
  beforeEach(() => {
    Object.assign(process.env, {
      AWS_REGION: "us-west-2",
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
      UPLOAD_BUCKET: "tpp-upload-1234",
      ALLOWED_ORIGINS: "https://photos.example",
      UPLOAD_URL_EXPIRES: "300",
    });
    delete process.env.S3_ENDPOINT;
    delete process.env.S3_FORCE_PATH_STYLE;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("returns a fresh <uuid>.jpg and a presigned PUT for it on real S3", async () => {
    const res = await handler(request("GET", { Origin: "https://photos.example" }));
    expect(res.statusCode).to.equal(200);
    const body = JSON.parse(res.body) as { uploadURL: string; photoFilename: string };
    expect(body.photoFilename).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jpg$/);
    const url = new URL(body.uploadURL);
    expect(url.protocol).to.equal("https:");
    expect(url.hostname).to.equal("tpp-upload-1234.s3.us-west-2.amazonaws.com");
    expect(url.pathname).to.equal(`/${body.photoFilename}`);
    expect(url.searchParams.get("X-Amz-Expires")).to.equal("300");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).to.equal("content-type;host");
    // A checksum of the empty body in the URL makes real S3 refuse the browser's upload.
    for (const name of url.searchParams.keys()) expect(name.toLowerCase()).not.to.match(/checksum/);
    const second = JSON.parse((await handler(request("GET"))).body) as { photoFilename: string };
    expect(second.photoFilename).not.to.equal(body.photoFilename);
  });

  it("offers a presigned POST form whose policy bounds the key, the type and the size", async () => {
    process.env.MAX_UPLOAD_BYTES = "5000000";
    const before = Date.now();
    const body = JSON.parse((await handler(request("GET"))).body) as UploadAnswer;
    const { url, fields } = body.uploadForm;
    expect(url).to.equal("https://tpp-upload-1234.s3.us-west-2.amazonaws.com/");
    expect(fields).to.include({ key: body.photoFilename, "Content-Type": "image/jpeg", bucket: "tpp-upload-1234" });
    expect(fields).to.include.keys("Policy", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Algorithm", "X-Amz-Date");
    const policy = JSON.parse(Buffer.from(fields.Policy, "base64").toString("utf8")) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.conditions).to.deep.include.members([
      ["content-length-range", 1, 5000000],
      { "Content-Type": "image/jpeg" },
      { key: body.photoFilename },
      { bucket: "tpp-upload-1234" },
    ]);
    // No condition may leave the key or the type open (a starts-with would).
    expect(JSON.stringify(policy.conditions)).to.not.include("starts-with");
    const expires = Date.parse(policy.expiration) - before;
    expect(expires).to.be.within(299_000, 301_000);
  });

  it("answers CORS for allowed origins only, and the preflight", async () => {
    const allowed = await handler(request("GET", { origin: "https://photos.example" }));
    expect(allowed.headers).to.include({
      "Access-Control-Allow-Origin": "https://photos.example",
      Vary: "Origin",
      "Cache-Control": "no-store",
    });
    const other = await handler(request("GET", { origin: "https://evil.example" }));
    expect(other.headers).not.to.have.property("Access-Control-Allow-Origin");
    const preflight = await handler(request("OPTIONS", { Origin: "https://photos.example" }));
    expect(preflight.statusCode).to.equal(204);
    expect(preflight.headers).to.include({
      "Access-Control-Allow-Methods": "GET, OPTIONS",
      "Access-Control-Allow-Headers": "Content-Type",
    });
    process.env.ALLOWED_ORIGINS = "*";
    expect((await handler(request("GET"))).headers).to.include({ "Access-Control-Allow-Origin": "*" });
  });

  it("refuses other methods and reports a missing bucket as a server error", async () => {
    expect((await handler(request("POST"))).statusCode).to.equal(405);
    delete process.env.UPLOAD_BUCKET;
    const res = await handler(request("GET"));
    expect(res.statusCode).to.equal(500);
    expect(JSON.parse(res.body).message).to.match(/try again/);
  });
});

describe("presign handler against the local S3 server", function () {
  this.timeout(30_000);
  let stack: Awaited<ReturnType<typeof startStack>>;
  let dataDir: string;
  const saved = { ...process.env };
  const photo = readFileSync(join(__dirname, "fixtures", "progressive.jpg"));

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tpp-presign-"));
    stack = await startStack({ port: 0, s3Port: 0, dataDir, runStages: false, quiet: true });
  });
  after(async () => {
    process.env = { ...saved };
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    process.env = { ...saved, ...stack.env, MAX_UPLOAD_BYTES: String(photo.length) };
  });

  async function ticket(): Promise<UploadAnswer> {
    return JSON.parse((await handler(request("GET"))).body) as UploadAnswer;
  }

  /** What a browser sends: every field of the form, then the file, last, as `file`. */
  function post(form: UploadAnswer["uploadForm"], file: Uint8Array, override: Record<string, string> = {}) {
    const data = new FormData();
    for (const [name, value] of Object.entries({ ...form.fields, ...override })) data.append(name, value);
    data.append("file", new Blob([new Uint8Array(file)], { type: "image/jpeg" }), "selfie.jpg");
    return fetch(form.url, { method: "POST", body: data });
  }

  it("takes a photo up to the limit through the form, stored under the ticket's key as image/jpeg", async () => {
    const { uploadForm, photoFilename } = await ticket();
    const res = await post(uploadForm, photo);
    expect(res.status, await res.text()).to.be.oneOf([200, 201, 204]);
    const s3 = new S3Client({ region: stack.env.AWS_REGION, endpoint: stack.s3Endpoint, forcePathStyle: true });
    const head = await s3.send(new HeadObjectCommand({ Bucket: stack.buckets.upload, Key: photoFilename }));
    expect(head).to.include({ ContentLength: photo.length, ContentType: "image/jpeg" });
    s3.destroy();
  });
  it("is refused by S3 for a file over the limit, an empty file, another type or another key", async () => {
    const s3 = new S3Client({ region: stack.env.AWS_REGION, endpoint: stack.s3Endpoint, forcePathStyle: true });
    try {
      const cases: Array<[string, Uint8Array, Record<string, string>]> = [
        ["one byte over the limit", Buffer.concat([photo, Buffer.from([0])]), {}],
        ["empty", new Uint8Array(0), {}],
        ["another type", photo, { "Content-Type": "image/svg+xml" }],
        ["another key", photo, { key: "someone-else.jpg" }],
      ];
      for (const [what, file, override] of cases) {
        const { uploadForm, photoFilename } = await ticket();
        const res = await post(uploadForm, file, override);
        expect(res.status, what).to.be.within(400, 499);
        for (const key of [photoFilename, override.key ?? photoFilename]) {
          const stored = await s3.send(new HeadObjectCommand({ Bucket: stack.buckets.upload, Key: key })).then(
            () => true,
            () => false,
          );
          expect(stored, `${what}: nothing stored`).to.equal(false);
        }
      }
    } finally {
      s3.destroy();
    }
  });
});
