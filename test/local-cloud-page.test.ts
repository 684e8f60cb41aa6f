import { expect } from "chai";
import mqtt from "mqtt";
import type { Browser } from "playwright-core";
import { WebSocket } from "ws";
import { SAMPLE_PHOTO } from "../local/load";
import { startTestStack } from "./local-stack";
import { launchChromium } from "./support/chromium";

/** The HTTP status a WebSocket upgrade to `url` gets (101: connected). */
function upgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, "mqtt", { headers: { Origin: origin } });
    ws.on("open", () => {
      ws.terminate();
      resolve(101);
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", () => resolve(0));
  });
}

/**
 * The page's cloud path (Cognito credentials, a SigV4-signed MQTT URL, the photo's own topic, the bounded upload
 * form) against the local stack in its cloud-like mode, which checks the same signatures IoT Core does.
 */
describe("the page's cloud path, in Chromium, against the cloud-like local stack", function () {
  this.timeout(60_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;
  let signedUrl = "";
  let identityId = "";

  before(async () => {
    // Broadcast off: only the photo's own topic carries its notification.
    stack = await startTestStack({ cloudLike: true, env: { NOTIFY_BROADCAST: "false" } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stopAndClean();
  });

  it("signs in, signs the MQTT URL, hears its own topic and uploads with the form", async () => {
    const config = (await (await fetch(`${stack.webUrl}/frontend-config.json`)).json()) as Record<string, unknown>;
    expect(config.identityPoolId).to.match(/^[a-z0-9-]+:[0-9a-f-]{36}$/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const calls: string[] = [];
    const uploads: string[] = [];
    page.on("request", (req) => {
      if (req.url() === config.identityEndpoint && req.method() === "POST") calls.push(req.headers()["x-amz-target"]);
      if (req.url().startsWith(stack.s3Endpoint) && req.method() !== "OPTIONS") uploads.push(req.method());
    });
    page.on("websocket", (ws) => (signedUrl = ws.url()));
    await page.goto(`${stack.webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 15_000 });
    expect(calls).to.deep.equal([
      "AWSCognitoIdentityService.GetId",
      "AWSCognitoIdentityService.GetCredentialsForIdentity",
    ]);
    const signed = new URL(signedUrl);
    expect(signed.origin + signed.pathname).to.equal(stack.mqttWsUrl);
    for (const name of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "X-Amz-Security-Token"])
      expect(signed.searchParams.get(name), name).to.be.a("string").and.not.equal("");
    expect(signed.searchParams.get("X-Amz-Credential")).to.match(/\/iotdevicegateway\/aws4_request$/);
    identityId = (await page.evaluate(
      (pool) => localStorage.getItem(`theme-park-photos.identity.${pool}`),
      config.identityPoolId,
    )) as string;
    expect(identityId).to.match(/^[a-z0-9-]+:[0-9a-f-]{36}$/);

    await page.setInputFiles("#file-input", SAMPLE_PHOTO);
    await page.locator(".photo.done img.souvenir").waitFor({ timeout: 30_000 });
    expect(uploads).to.deep.equal(["POST"]);

    // A second visit keeps the identity: only new credentials are asked for.
    calls.length = 0;
    await page.reload();
    await page.waitForSelector("#connection.ok", { timeout: 15_000 });
    expect(calls).to.deep.equal(["AWSCognitoIdentityService.GetCredentialsForIdentity"]);
    await page.close();
  });

  it("refuses unsigned and tampered URLs, and a client id other than the signer's identity", async () => {
    const origin = stack.webUrl;
    expect(await upgradeStatus(stack.mqttWsUrl, origin), "unsigned").to.equal(403);
    const tampered = new URL(signedUrl);
    const signature = tampered.searchParams.get("X-Amz-Signature") as string;
    tampered.searchParams.set(
      "X-Amz-Signature",
      signature.replace(/^./, (c) => (c === "0" ? "1" : "0")),
    );
    expect(await upgradeStatus(tampered.toString(), origin), "tampered signature").to.equal(403);
    const noToken = new URL(signedUrl);
    noToken.searchParams.delete("X-Amz-Security-Token");
    expect(await upgradeStatus(noToken.toString(), origin), "no session token").to.equal(403);
    expect(await upgradeStatus(signedUrl, origin), "as signed").to.equal(101);

    const connectAs = (clientId: string) =>
      mqtt
        .connectAsync(signedUrl, {
          clientId,
          reconnectPeriod: 0,
          connectTimeout: 5000,
          wsOptions: { headers: { Origin: origin } },
        })
        .then(
          async (client) => {
            await client.endAsync(true);
            return "connected";
          },
          () => "refused",
        );
    expect(await connectAs(identityId)).to.equal("connected");
    expect(await connectAs("someone-else")).to.equal("refused");
  });
});
