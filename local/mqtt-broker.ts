import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Aedes } from "aedes" with { "resolution-mode": "import" };
import { WebSocketServer, createWebSocketStream } from "ws";

export interface MqttBroker {
  /** Publishes as AWS IoT Core would for a Data Plane Publish call. */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

/**
 * An MQTT broker reachable over WebSocket at `path` on an existing HTTP server, the way a browser reaches
 * IoT Core (which speaks MQTT over wss on /mqtt).
 */
export async function startMqttBroker(server: Server, path: string): Promise<MqttBroker> {
  // aedes 1.x is an ES module; a dynamic import loads it from this CommonJS module.
  const { Aedes } = await import("aedes");
  const broker: Aedes = await Aedes.createBroker();
  const wss = new WebSocketServer({ noServer: true });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(req.url ?? "/", "http://x").pathname !== path) {
      socket.destroy();
      return;
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
