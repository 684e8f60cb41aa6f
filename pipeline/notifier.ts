import { PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { iotClient } from "./clients";
import type { StageConfig } from "./config";
import { photoTopic } from "./keys";
import type { Notification, PhotoProgress } from "./messages";

/**
 * The topics one notification goes to: the photo's own topic, and the shared topic while `broadcast` is on (the
 * workshop front-end listens there). Throws when neither can carry it, rather than telling nobody quietly.
 */
export function notificationTopics(config: StageConfig, objectKey: string): string[] {
  const own = photoTopic(config.topic, objectKey);
  const topics = [...(own ? [own] : []), ...(config.broadcast ? [config.topic] : [])];
  if (topics.length === 0) {
    throw new Error(`"${objectKey}" cannot be an MQTT topic level and the broadcast topic is off: nobody can hear it`);
  }
  return topics;
}

/** Publishes one notification on each of its topics (QoS 1: delivered at least once). */
export async function publish(config: StageConfig, notification: Notification): Promise<void> {
  const payload = new TextEncoder().encode(JSON.stringify(notification));
  const client = iotClient(config);
  await Promise.all(
    notificationTopics(config, notification.message.ObjectKey).map((topic) =>
      client.send(new PublishCommand({ topic, qos: 1, contentType: "application/json", payload })),
    ),
  );
}

/** Publishes a progress message on the photo's own topic, if it has one (QoS 0: a lost one only skips a step). */
export async function publishProgress(config: StageConfig, progress: PhotoProgress): Promise<void> {
  const topic = photoTopic(config.topic, progress.message.ObjectKey);
  if (topic === undefined) return;
  const payload = new TextEncoder().encode(JSON.stringify(progress));
  await iotClient(config).send(new PublishCommand({ topic, qos: 0, contentType: "application/json", payload }));
}
