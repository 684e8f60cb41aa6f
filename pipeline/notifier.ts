import { PublishCommand } from "@aws-sdk/client-iot-data-plane";
import { iotClient, s3Client } from "./clients";
import type { StageConfig } from "./config";
import { eventVersion, failedNoticeId, finalKey, notifiedMarkerKey, photoTopic } from "./keys";
import type { PhotoKey } from "./keys";
import { errorMessage, log } from "./log";
import { photoFailed } from "./messages";
import type { Notification, PhotoProgress } from "./messages";
import { claimKey, deleteObject } from "./storage";

/** How long a claim may take before the guest is told anyway: a duplicate beats silence. */
const CLAIM_TIMEOUT_MS = 1000;

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

/**
 * Publishes `notification` unless it was already published under the same `noticeId` (one per event: S3 may
 * deliver an event twice, at the same moment, and a failed invocation is reported again by the failure
 * reporter). The run that creates the notice's marker object in the Final bucket (If-None-Match) publishes;
 * the others resolve false. When publishing fails the marker is removed again, so a redrive can still tell.
 */
export async function publishOnce(config: StageConfig, notification: Notification, noticeId: string): Promise<boolean> {
  const objectKey = notification.message.ObjectKey;
  const marker = notifiedMarkerKey(objectKey, noticeId);
  const s3 = s3Client(config);
  let claimed: boolean | "unknown";
  try {
    if (!config.finalBucket) throw new Error("FINAL_BUCKET is not set");
    claimed = await claimKey(s3, config.finalBucket, marker, CLAIM_TIMEOUT_MS);
  } catch (err) {
    log("warn", "could not claim the notification; telling the guest anyway", {
      key: objectKey,
      error: errorMessage(err),
    });
    claimed = "unknown";
  }
  if (claimed === false) return false;
  try {
    await publish(config, notification);
  } catch (err) {
    if (claimed === true) {
      await deleteObject(s3, config.finalBucket, marker).catch((e: unknown) =>
        log("error", "could not release the notification claim", { key: objectKey, error: errorMessage(e) }),
      );
    }
    throw err;
  }
  return true;
}

/**
 * Tells the guest that `stage` could not make their photo, once for the S3 event `object` came in: the stage and
 * its failure reporter both tell under this notice, so whichever comes second finds it taken.
 */
export function publishFailedOnce(
  config: StageConfig,
  stage: string,
  photo: PhotoKey,
  object: { sequencer?: string; eTag?: string },
  reason: string,
): Promise<boolean> {
  return publishOnce(config, photoFailed(finalKey(photo), reason), failedNoticeId(stage, eventVersion(object)));
}

/** Publishes a progress message on the photo's own topic, if it has one (QoS 0: a lost one only skips a step). */
export async function publishProgress(config: StageConfig, progress: PhotoProgress): Promise<void> {
  const topic = photoTopic(config.topic, progress.message.ObjectKey);
  if (topic === undefined) return;
  const payload = new TextEncoder().encode(JSON.stringify(progress));
  await iotClient(config).send(new PublishCommand({ topic, qos: 0, contentType: "application/json", payload }));
}
