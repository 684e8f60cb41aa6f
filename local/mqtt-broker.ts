import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Aedes } from "aedes" with { "resolution-mode": "import" };
import { WebSocketServer, createWebSocketStream } from "ws";
import { verifySignedWebSocket } from "./iot-websocket-auth";
import type { SignedWebSocketRules } from "./iot-websocket-auth";
import { hostAllowed } from "./host-check";

export interface MqttBroker {
  /** Publishes as AWS IoT Core would for a Data Plane Publish call. */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

/** What the cloud's Cognito role lets a browser do, mirrored by the local broker. */
export interface BrowserPolicy {
  /** Origins whose pages may open the WebSocket (["*"] for any); a client sending no Origin is not a browser. */
  allowedOrigins: readonly string[];
  /** the notification topic: photo topics are `<topic>/<photoId>` */
  topic: string;
  /** whether the broadcast topic `<topic>` may be subscribed to */
  broadcast: boolean;
  /**
   * Cloud-like mode: the WebSocket URL must be SigV4-signed with Cognito credentials (local/cognito-identity.ts),
   * and the MQTT client id must be that identity, as the cloud policy's iot:Connect on client/<identity> demands.
   */
  signedUrls?: SignedWebSocketRules;
}

/**
 * Whether a client may subscribe to `filter`, as the cloud policy allows it: a photo's own topic
 * `<topic>/<photoId>`, the broadcast topic only while broadcast is on, and never an MQTT wildcard (IoT policy
 * resources match `+` and `#` literally, so the cloud policy denies them explicitly; here they are refused).
 */
export function maySubscribe(filter: string, policy: Pick<BrowserPolicy, "topic" | "broadcast">): boolean {
  if (/[+#]/.test(filter)) return false;
  if (filter === policy.topic) return policy.broadcast;
  return filter.startsWith(`${policy.topic}/`) && filter.length > policy.topic.length + 1;
}

/**
 * An MQTT broker reachable over WebSocket at `path` on an existing HTTP server, the way a browser reaches
 * IoT Core (which speaks MQTT over wss on /mqtt). Like IoT Core with the cloud's policies, only pages from the
 * allowed origins connect, clients subscribe only to what the browser role allows, and no client publishes:
 * notifications come from the stages through the IoT bridge (`publish`), as they do through the Data Plane.
 */
export async function startMqttBroker(server: Server, path: string, policy: BrowserPolicy): Promise<MqttBroker> {
  // aedes 1.x is an ES module; a dynamic import loads it from this CommonJS module.
  const { Aedes } = await import("aedes");
  const identities = new WeakMap<object, string>();
  const broker: Aedes = await Aedes.createBroker({
    // Signed URLs: a client connects only under the identity that signed its URL.
    authenticate: (client, _username, _password, callback) =>
      callback(null, !policy.signedUrls || identities.get(client.req as object) === client.id),
    // null: the broker's own publishes (a will being cleared); every client's publish is refused.
    authorizePublish: (client, _packet, callback) =>
      callback(client === null ? null : new Error("clients may not publish; notifications come from the stages")),
    // A refused filter is answered with the SUBACK failure code (0x80); the connection stays up.
    authorizeSubscribe: (_client, subscription, callback) =>
      callback(null, maySubscribe(subscription.topic, policy) ? subscription : null),
  });
  const wss = new WebSocketServer({ noServer: true });
  const originAllowed = (origin: string | undefined): boolean =>
    origin === undefined || policy.allowedOrigins.includes("*") || policy.allowedOrigins.includes(origin);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(req.url ?? "/", "http://x").pathname !== path) {
      socket.destroy();
      return;
    }
    // Any page the user opens may try ws://localhost: only the stack's own page gets through.
    if (!originAllowed(req.headers.origin) || !hostAllowed(req.headers.host, policy.allowedOrigins)) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    if (policy.signedUrls) {
      const verdict = verifySignedWebSocket(req.url ?? "/", req.headers, policy.signedUrls, Date.now());
      if (!verdict.ok) {
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      identities.set(req, verdict.identityId);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      // A client that vanishes mid-packet must not take the broker down.
      stream.on("error", () => ws.terminate());
      broker.handle(stream, req);
    });
  };
  server.on("upgrade", onUpgrade);

  return {
    publish(topic, payload, qos) {
      return new Promise((resolve, reject) => {
        broker.publish({ cmd: "publish", topic, payload, qos, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    },
    async close() {
      server.off("upgrade", onUpgrade);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
