import { IoTDataPlaneClient, PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { expect } from "chai";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { WebSocket } from "ws";
import { maySubscribe } from "../local/mqtt-broker";
import { startTestStack } from "./local-stack";

/** The local broker and IoT bridge driven from outside, as a hostile page or process on the machine would. */
describe("local MQTT broker and IoT bridge", function () {
  this.timeout(30_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  const clients: MqttClient[] = [];

  before(async () => {
    stack = await startTestStack({ runStages: false });
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await stack?.stopAndClean();
  });

  async function connect(origin?: string): Promise<MqttClient> {
    const client = await mqtt.connectAsync(stack.mqttWsUrl, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...(origin ? { wsOptions: { headers: { Origin: origin } } } : {}),
    });
    clients.push(client);
    return client;
  }

  /** The QoS granted for each filter, one SUBSCRIBE each; 128 is MQTT's "refused". */
  async function granted(client: MqttClient, filters: string[]): Promise<number[]> {
    const grants: number[] = [];
    for (const filter of filters) {
      try {
        grants.push((await client.subscribeAsync(filter, { qos: 1 }))[0].qos);
      } catch (err) {
        // mqtt.js rejects a SUBACK carrying a failure code; the code is in the packet.
        const packet = (err as { packet?: { granted?: Array<number | { qos: number }> } }).packet;
        const code = packet?.granted?.[0];
        if (code === undefined) throw err;
        grants.push(typeof code === "number" ? code : code.qos);
      }
    }
    return grants;
  }

  /** The HTTP status a WebSocket upgrade to the broker gets with this Origin (101: connected). */
  function upgradeStatus(origin: string | undefined, host?: string): Promise<number> {
    return new Promise((resolve) => {
      const headers = { ...(origin ? { Origin: origin } : {}), ...(host ? { Host: host } : {}) };
      const ws = new WebSocket(stack.mqttWsUrl, "mqtt", { headers });
      ws.on("open", () => {
        ws.terminate();
        resolve(101);
      });
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("error", () => resolve(0));
    });
  }

  const publishAs = (credentials: { accessKeyId: string; secretAccessKey: string }, topic: string, body: unknown) => {
    const iot = new IoTDataPlaneClient({ region: stack.env.AWS_REGION, endpoint: stack.iotEndpoint, credentials });
    return iot
      .send(new PublishCommand({ topic, qos: 1, payload: new TextEncoder().encode(JSON.stringify(body)) }))
      .then(
        () => 200,
        (err: { $metadata?: { httpStatusCode?: number } }) => err.$metadata?.httpStatusCode ?? 0,
      )
      .finally(() => iot.destroy());
  };

  const ours = () => ({ accessKeyId: stack.env.AWS_ACCESS_KEY_ID, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY });

  it("takes the WebSocket only from the page's own origin (or a client that is not a browser)", async () => {
    expect(await upgradeStatus("https://evil.example")).to.equal(403);
    expect(await upgradeStatus("null")).to.equal(403);
    expect(await upgradeStatus(stack.webUrl)).to.equal(101);
    expect(await upgradeStatus(undefined)).to.equal(101);
    // A page that rebound its own domain to 127.0.0.1 sends that domain as Host (and Origin).
    expect(await upgradeStatus(undefined, "evil.example")).to.equal(403);
    expect((await connect(stack.webUrl)).connected).to.equal(true);
    expect((await connect()).connected).to.equal(true);
  });

  it("lets a browser subscribe to photo topics and the broadcast topic, never to wildcards or other topics", async () => {
    const client = await connect(stack.webUrl);
    const topic = stack.env.NOTIFY_TOPIC;
    expect(
      await granted(client, [
        `${topic}/3f2b0c1e-1111-4222-8333-444455556666`,
        topic,
        "#",
        `${topic}/#`,
        `${topic}/+`,
        "+/x",
        "$SYS/#",
        "other",
      ]),
    ).to.deep.equal([1, 1, 128, 128, 128, 128, 128, 128]);
  });

  it("never delivers a client's publish: a spoofed photoProcessed reaches nobody", async () => {
    const topic = stack.env.NOTIFY_TOPIC;
    const guest = await connect(stack.webUrl);
    await guest.subscribeAsync([topic, `${topic}/victim`], { qos: 1 });
    const heard: string[] = [];
    guest.on("message", (_t, payload) => heard.push(payload.toString()));

    const attacker = await connect(stack.webUrl);
    const spoof = JSON.stringify({
      type: "photoProcessed",
      message: { ObjectKey: "victim.jpg", URL: "https://evil.example/x.jpg" },
    });
    attacker.publish(topic, spoof, { qos: 0 });
    attacker.publish(`${topic}/victim`, spoof, { qos: 1 });
    // The bridge, signed with the stack's key, is how a notification really arrives; it comes after the spoofs.
    expect(await publishAs(ours(), `${topic}/victim`, { type: "photoProcessed", genuine: true })).to.equal(200);
    const until = Date.now() + 3000;
    while (heard.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).to.have.length(1);
    expect(JSON.parse(heard[0])).to.deep.equal({ type: "photoProcessed", genuine: true });
  });

  it("IoT bridge: refuses a publish not signed with the stack's key, even when it looks signed", async () => {
    const topic = stack.env.NOTIFY_TOPIC;
    expect(await publishAs({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, topic, {})).to.equal(403);
    expect(await publishAs({ accessKeyId: ours().accessKeyId, secretAccessKey: "y".repeat(40) }, topic, {})).to.equal(
      403,
    );
    const shaped = await fetch(`${stack.iotEndpoint}/topics/${topic}?qos=1`, {
      method: "POST",
      body: "{}",
      headers: {
        "x-amz-date": new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, ""),
        authorization: `AWS4-HMAC-SHA256 Credential=${ours().accessKeyId}/20260101/${stack.env.AWS_REGION}/iotdata/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
      },
    });
    expect(shaped.status).to.equal(403);
    expect(await publishAs(ours(), topic, {})).to.equal(200);
    // A photo topic's '/' travels as %2F, which the signature covers encoded twice, as IoT's signer does.
    expect(await publishAs(ours(), `${topic}/a b é`, {})).to.equal(200);
  });

  it("policy: photo topics always, the broadcast topic only while broadcast is on", () => {
    const on = { topic: "notifications", broadcast: true };
    const off = { topic: "notifications", broadcast: false };
    expect(maySubscribe("notifications", on)).to.equal(true);
    expect(maySubscribe("notifications", off)).to.equal(false);
    expect(maySubscribe("notifications/abc", off)).to.equal(true);
    for (const filter of ["notifications/", "notifications/#", "notifications/+", "#", "notificationsX", "other/abc"])
      expect(maySubscribe(filter, on), filter).to.equal(false);
  });

  describe("with broadcast off (NOTIFY_BROADCAST=false)", () => {
    let quiet: Awaited<ReturnType<typeof startTestStack>>;
    const saved = process.env.NOTIFY_BROADCAST;
    before(async () => {
      process.env.NOTIFY_BROADCAST = "false";
      quiet = await startTestStack({ runStages: false });
    });
    after(async () => {
      // Stopping restores the environment the stack found (NOTIFY_BROADCAST=false), so restore after it.
      await quiet?.stopAndClean();
      if (saved === undefined) delete process.env.NOTIFY_BROADCAST;
      else process.env.NOTIFY_BROADCAST = saved;
    });

    it("refuses the broadcast topic and says so in the front-end configuration", async () => {
      const client = await mqtt.connectAsync(quiet.mqttWsUrl, { reconnectPeriod: 0 });
      clients.push(client);
      const topic = quiet.env.NOTIFY_TOPIC;
      expect(await granted(client, [topic, `${topic}/abc`])).to.deep.equal([128, 1]);
      const config = (await (await fetch(`${quiet.webUrl}/frontend-config.json`)).json()) as { broadcast: boolean };
      expect(config.broadcast).to.equal(false);
    });
  });
});
