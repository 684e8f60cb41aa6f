import mqtt from "mqtt";
import type { MqttClient } from "mqtt";

/**
 * What the front-end does, in Node: ask for an upload URL, PUT the photo, listen on the topic.
 * Shared by the demo, the load run and the tests, so they exercise the same contract the page uses.
 */

export interface Notification {
  level: string;
  type: "photoProcessed" | "photoFailed";
  message: { ObjectKey: string; URL?: string; reason?: string };
}

export interface UploadTicket {
  uploadURL: string;
  photoFilename: string;
}

export async function requestUpload(uploadUrl: string): Promise<UploadTicket> {
  const res = await fetch(uploadUrl);
  if (res.status !== 200) throw new Error(`GET ${uploadUrl} answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as Partial<UploadTicket>;
  if (typeof body.uploadURL !== "string" || typeof body.photoFilename !== "string") {
    throw new Error(`GET ${uploadUrl} answered without uploadURL/photoFilename: ${JSON.stringify(body)}`);
  }
  return { uploadURL: body.uploadURL, photoFilename: body.photoFilename };
}

/** PUTs the bytes as the browser does: the Content-Type the URL was signed for. */
export async function putPhoto(uploadURL: string, photo: Uint8Array): Promise<void> {
  const res = await fetch(uploadURL, {
    method: "PUT",
    body: Buffer.from(photo),
    headers: { "Content-Type": "image/jpeg" },
  });
  if (res.status !== 200) throw new Error(`PUT to the upload URL answered ${res.status}: ${await res.text()}`);
}

export interface TopicListener {
  /** Every notification received so far, in arrival order, with the time it arrived (performance.now()). */
  readonly received: ReadonlyArray<{ at: number; notification: Notification }>;
  /** The first notification for `objectKey` (already received or still to come). */
  waitFor(objectKey: string, timeoutMs: number): Promise<Notification>;
  close(): Promise<void>;
}

/** Connects over MQTT/WebSocket and subscribes (QoS 1) before returning, as the page must before uploading. */
export async function listen(mqttUrl: string, topic: string): Promise<TopicListener> {
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000 });
  const received: Array<{ at: number; notification: Notification }> = [];
  const waiting = new Map<string, Array<(n: Notification) => void>>();
  client.on("message", (_topic, payload) => {
    let notification: Notification;
    try {
      notification = JSON.parse(payload.toString("utf8")) as Notification;
    } catch {
      return;
    }
    // Progress (photoProgress, on a photo's own topic) is not an answer: only the two final messages are.
    if (notification?.type !== "photoProcessed" && notification?.type !== "photoFailed") return;
    received.push({ at: performance.now(), notification });
    const key = notification?.message?.ObjectKey;
    for (const resolve of waiting.get(key) ?? []) resolve(notification);
    waiting.delete(key);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    received,
    waitFor(objectKey, timeoutMs) {
      const already = received.find((r) => r.notification.message?.ObjectKey === objectKey);
      if (already) return Promise.resolve(already.notification);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no notification for ${objectKey} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const list = waiting.get(objectKey) ?? [];
        list.push((n) => {
          clearTimeout(timer);
          resolve(n);
        });
        waiting.set(objectKey, list);
      });
    },
    async close() {
      await client.endAsync();
    },
  };
}
