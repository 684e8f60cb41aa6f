import { expect } from "chai";
import { loadConfig, requireSetting } from "../pipeline/config";

describe("stage config from the environment", () => {
  it("has defaults for everything optional", () => {
    const config = loadConfig({ UPLOAD_BUCKET: "u", PROCESSING_BUCKET: "p", FINAL_BUCKET: "f" });
    expect(config.topic).to.equal("notifications");
    expect(config.broadcast).to.equal(true);
    expect(config.uploadUrlExpiresSeconds).to.equal(300);
    expect(config.allowedOrigins).to.deep.equal(["*"]);
    expect(config.s3ForcePathStyle).to.equal(false);
    expect(config.theme).to.equal(undefined);
    expect(config.keyOptions).to.deep.equal({});
  });

  it("reads every setting", () => {
    const config = loadConfig({
      AWS_REGION: "us-west-2",
      S3_ENDPOINT: "http://localhost:4568",
      S3_FORCE_PATH_STYLE: "true",
      NOTIFY_TOPIC: "souvenirs",
      FINAL_URL_BASE: "https://d1.cloudfront.net/",
      THEME: "castle",
      CHROMAKEY_OPTIONS: '{"clipBlack":0.1}',
      ALLOWED_ORIGINS: "https://app.example, http://localhost:3000",
      UPLOAD_URL_EXPIRES: "120",
      NOTIFY_BROADCAST: "false",
      MAX_UPLOAD_BYTES: "1048576",
      FAILED_STAGE: "composite",
      FAILURE_QUEUE_URL: "https://sqs.us-west-2.amazonaws.com/123456789012/composite-failures",
    });
    expect(config).to.include({
      region: "us-west-2",
      s3Endpoint: "http://localhost:4568",
      s3ForcePathStyle: true,
      topic: "souvenirs",
      theme: "castle",
      uploadUrlExpiresSeconds: 120,
      broadcast: false,
      maxUploadBytes: 1048576,
      failedStage: "composite",
      failureQueueUrl: "https://sqs.us-west-2.amazonaws.com/123456789012/composite-failures",
    });
    expect(config.finalUrlBase).to.equal("https://d1.cloudfront.net");
    expect(config.keyOptions).to.deep.equal({ clipBlack: 0.1 });
    expect(config.allowedOrigins).to.deep.equal(["https://app.example", "http://localhost:3000"]);
    expect(loadConfig({ THEME: "auto" }).theme).to.equal(undefined);
  });

  it("refuses malformed values with the variable's name", () => {
    expect(() => loadConfig({ UPLOAD_URL_EXPIRES: "soon" })).to.throw(/UPLOAD_URL_EXPIRES/);
    expect(() => loadConfig({ CHROMAKEY_OPTIONS: "{oops" })).to.throw(/CHROMAKEY_OPTIONS/);
    expect(() => loadConfig({ NOTIFY_BROADCAST: "yes" })).to.throw('NOTIFY_BROADCAST must be true or false, got "yes"');
    expect(() => loadConfig({ CHROMAKEY_OPTIONS: "[1]" })).to.throw(/CHROMAKEY_OPTIONS/);
    expect(() => loadConfig({ THEME: "moon" })).to.throw(
      'THEME must be auto or one of castle, rollercoaster, tropical, got "moon"',
    );
    expect(() => requireSetting(loadConfig({}), "iotEndpoint", "IOT_ENDPOINT")).to.throw("IOT_ENDPOINT is not set");
  });
});
