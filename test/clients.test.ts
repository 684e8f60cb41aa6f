import { expect } from "chai";
import { iotClient, s3Client } from "../pipeline/clients";
import { loadConfig } from "../pipeline/config";

describe("SDK clients", () => {
  const saved = process.env.AWS_ACCESS_KEY_ID;
  after(() => {
    if (saved === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved;
  });

  it("reuses a client per endpoint and access key, so a new key (a new local stack on an old port) gets its own", () => {
    const config = loadConfig({
      UPLOAD_BUCKET: "u",
      PROCESSING_BUCKET: "p",
      FINAL_BUCKET: "f",
      S3_ENDPOINT: "http://localhost:45678",
      IOT_ENDPOINT: "http://localhost:45679",
    });
    process.env.AWS_ACCESS_KEY_ID = "LOCALAAAAAAAAAAAAAAA";
    const [s3, iot] = [s3Client(config), iotClient(config)];
    expect(s3Client(config)).to.equal(s3);
    expect(iotClient(config)).to.equal(iot);
    process.env.AWS_ACCESS_KEY_ID = "LOCALBBBBBBBBBBBBBBB";
    expect(s3Client(config)).not.to.equal(s3);
    expect(iotClient(config)).not.to.equal(iot);
  });
});
