import { PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { iotClient } from "./clients";
import type { StageConfig } from "./config";
import type { Notification } from "./messages";

/** Publishes one notification on the topic the front-end subscribes to (QoS 1: delivered at least once). */
export async function publish(config: StageConfig, notification: Notification): Promise<void> {
  await iotClient(config).send(
    new PublishCommand({
      topic: config.topic,
      qos: 1,
      contentType: "application/json",
      payload: new TextEncoder().encode(JSON.stringify(notification)),
    }),
  );
}
