// Opt-in live test: deploys the real stack with the Pulumi Automation API, uploads a photo the way
// the front-end does (GET /Upload, PUT), waits for photoProcessed over MQTT as a browser would
// (Cognito unauthenticated identity -> SigV4-signed IoT WebSocket), fetches the souvenir from the
// CDN, and destroys the stack. Needs TPP_LIVE_TEST=1, AWS credentials and the `pulumi` CLI.
//   TPP_LIVE_TEST=1 AWS_PROFILE=workshop npx mocha test/live.test.ts
// Optional: TPP_LIVE_STACK (stack name; default a fresh `live-<random>`), AWS_REGION (us-west-2),
// TPP_LIVE_KEEP=1 (keep the stack afterwards).
import { execFileSync } from "node:child_process";
import { createHash, createHmac, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { Stack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import * as mqtt from "mqtt";
import { ensureLayer } from "../infra/layer";

const ROOT = path.resolve(__dirname, "..");
const SAMPLE = path.join(ROOT, "assets", "samples", "greenscreen-portrait.jpg");

/** Why the live test cannot run here, or undefined when it can. */
function missingPrerequisite(): string | undefined {
  if (process.env.TPP_LIVE_TEST !== "1") return "TPP_LIVE_TEST=1 is not set";
  const hasCredentials = Boolean(
    process.env.AWS_ACCESS_KEY_ID ||
    process.env.AWS_PROFILE ||
    process.env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    fs.existsSync(path.join(os.homedir(), ".aws", "credentials")) ||
    fs.existsSync(path.join(os.homedir(), ".aws", "config")),
  );
  if (!hasCredentials) return "no AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws)";
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
  } catch {
    return "the `pulumi` CLI is not on PATH";
  }
  return undefined;
}

interface FrontendConfig {
  uploadUrl: string;
  mqttUrl: string;
  topic: string;
  region: string;
  imageBaseUrl: string;
  identityPoolId: string;
}

/** Unauthenticated Cognito credentials, as the browser gets them (these two calls need no signature). */
async function guestCredentials(region: string, identityPoolId: string) {
  const call = async (target: string, body: unknown) => {
    const res = await fetch(`https://cognito-identity.${region}.amazonaws.com/`, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSCognitoIdentityService.${target}` },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`Cognito ${target}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, any>>;
  };
  const { IdentityId } = await call("GetId", { IdentityPoolId: identityPoolId });
  const { Credentials } = await call("GetCredentialsForIdentity", { IdentityId });
  return {
    identityId: IdentityId as string,
    accessKeyId: Credentials.AccessKeyId as string,
    secretKey: Credentials.SecretKey as string,
    sessionToken: Credentials.SessionToken as string,
  };
}

/** The SigV4 query-signed IoT WebSocket URL; IoT wants the session token appended after signing. */
function signedIotUrl(
  host: string,
  region: string,
  creds: { accessKeyId: string; secretKey: string; sessionToken: string },
): string {
  const now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = now.slice(0, 8);
  const scope = `${date}/${region}/iotdevicegateway/aws4_request`;
  const query = [
    "X-Amz-Algorithm=AWS4-HMAC-SHA256",
    `X-Amz-Credential=${encodeURIComponent(`${creds.accessKeyId}/${scope}`)}`,
    `X-Amz-Date=${now}`,
    "X-Amz-SignedHeaders=host",
  ].join("&");
  const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");
  const canonical = ["GET", "/mqtt", query, `host:${host}\n`, "host", sha256("")].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", now, scope, sha256(canonical)].join("\n");
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretKey}`, date), region), "iotdevicegateway"), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  return `wss://${host}/mqtt?${query}&X-Amz-Signature=${signature}&X-Amz-Security-Token=${encodeURIComponent(creds.sessionToken)}`;
}

describe("live deployment (opt-in: TPP_LIVE_TEST=1, AWS credentials, pulumi CLI)", function () {
  this.timeout(45 * 60_000);
  let stack: Stack | undefined;

  before(async function () {
    const missing = missingPrerequisite();
    if (missing) {
      console.log(`      live test skipped: ${missing}`);
      this.skip();
    }
    if (!fs.existsSync(path.join(ROOT, "dist", "pipeline", "handlers", "chromakey.js"))) {
      throw new Error("dist/ is missing: run `npm run build` before the live test");
    }
    ensureLayer(ROOT);
    const stackName = process.env.TPP_LIVE_STACK ?? `live-${randomUUID().slice(0, 8)}`;
    stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT });
    await stack.setConfig("aws:region", { value: process.env.AWS_REGION ?? "us-west-2" });
    console.log(`      pulumi up (${stackName}): CloudFront makes this take several minutes`);
    await stack.up({ onOutput: (line) => process.env.TPP_LIVE_VERBOSE === "1" && process.stdout.write(line) });
  });

  after(async function () {
    if (!stack || process.env.TPP_LIVE_KEEP === "1") return;
    await stack.destroy({ onOutput: () => undefined });
    await stack.workspace.removeStack(stack.name);
  });

  it("turns an uploaded photo into a souvenir on the CDN and tells the browser over IoT", async () => {
    const outputs = await stack!.outputs();
    const config = outputs.frontendConfig.value as FrontendConfig;
    const iotHost = new URL(config.mqttUrl).host;

    const creds = await guestCredentials(config.region, config.identityPoolId);
    // The role lets a browser connect only as its own identity: any other client id is refused.
    const impostor = await mqtt
      .connectAsync(signedIotUrl(iotHost, config.region, creds), {
        clientId: `tpp-live-${randomUUID()}`,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 15_000,
      })
      .then(
        (c) => c.endAsync().then(() => "connected"),
        () => "refused",
      );
    expect(impostor, "connecting under another client id").to.equal("refused");
    const client = await mqtt.connectAsync(signedIotUrl(iotHost, config.region, creds), {
      clientId: creds.identityId,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 15_000,
    });
    try {
      const presign = await fetch(config.uploadUrl);
      expect(presign.status).to.equal(200);
      const { uploadForm, photoFilename } = (await presign.json()) as {
        photoFilename: string;
        uploadForm: { url: string; fields: Record<string, string> };
      };
      const photoTopic = `${config.topic}/${photoFilename.replace(/\.jpg$/, "")}`;
      const granted = await client.subscribeAsync(photoTopic, { qos: 1 });
      expect(granted[0].qos, "its photo's topic").to.equal(1);

      const notified = new Promise<Record<string, any>>((resolve) => {
        client.on("message", (topic, payload) => {
          const message = JSON.parse(payload.toString()) as Record<string, any>;
          if (topic === photoTopic && message.message?.ObjectKey === photoFilename) resolve(message);
        });
      });
      // Through the presigned POST form, as a new front-end uploads.
      const photo = fs.readFileSync(SAMPLE);
      const form = new FormData();
      for (const [name, value] of Object.entries(uploadForm.fields)) form.append(name, value);
      form.append("file", new Blob([new Uint8Array(photo)], { type: "image/jpeg" }), "selfie.jpg");
      const post = await fetch(uploadForm.url, { method: "POST", body: form });
      expect(post.status, await post.text()).to.equal(204);

      const message = await Promise.race([
        notified,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("no notification within 3 minutes")), 180_000),
        ),
      ]);
      expect(message).to.deep.include({ level: "info", type: "photoProcessed" });
      expect(message.message.URL).to.match(new RegExp(`^${config.imageBaseUrl}/${photoFilename}\\?v=[0-9a-f]{32}$`));
      const image = await fetch(message.message.URL);
      expect(image.status).to.equal(200);
      expect(image.headers.get("content-type")).to.equal("image/jpeg");

      // IoT refuses a wildcard subscription (SUBACK 0x80, or it drops the connection), so no browser hears
      // every guest's photos.
      const wildcard = await Promise.race([
        client.subscribeAsync(`${config.topic}/#`, { qos: 1 }).then(
          (granted) => (granted[0].qos === 128 ? "refused" : "granted"),
          () => "refused",
        ),
        new Promise<string>((resolve) => client.once("close", () => resolve("refused"))),
      ]);
      expect(wildcard, "a wildcard subscription").to.equal("refused");
    } finally {
      await client.endAsync();
    }
  });
});
