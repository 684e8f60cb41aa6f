import { expect } from "chai";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { handler } from "../pipeline/handlers/presign";

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
