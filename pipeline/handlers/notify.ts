import type { S3Event } from "aws-lambda";
import { s3Client } from "../clients";
import { loadConfig, requireSetting } from "../config";
import { decodeEventKey, finalImageUrl, NOTIFIED_PREFIX, notifiedMarkerKey } from "../keys";
import { errorMessage, log, timed } from "../log";
import { photoProcessed } from "../messages";
import { publish } from "../notifier";
import { claimKey, deleteObject, unquote } from "../storage";

/**
 * Final bucket -> IoT topics: tells the front-end its souvenir is ready, exactly once per souvenir written.
 * S3 may deliver an event twice, even at the same moment: before publishing, each run tries to create the
 * souvenir's marker object with If-None-Match, and only the run that created it publishes. A re-upload writes a
 * new souvenir (new sequencer and URL version), so it is announced again, once.
 */
export async function handler(event: S3Event): Promise<void> {
  const config = loadConfig();
  const urlBase = requireSetting(config, "finalUrlBase", "FINAL_URL_BASE");
  const s3 = s3Client(config);
  for (const record of event.Records ?? []) {
    const bucket = record.s3?.bucket?.name;
    const key = decodeEventKey(record.s3?.object?.key ?? "");
    // Our own markers (the cloud trigger filters them out; the local stack delivers every event).
    if (bucket === config.finalBucket && key.startsWith(NOTIFIED_PREFIX)) continue;
    if (!record.eventName?.startsWith("ObjectCreated") || bucket !== config.finalBucket || !/\.jpg$/i.test(key)) {
      log("warn", "skipped: not a final photo", { stage: "notify", eventName: record.eventName, bucket, key });
      continue;
    }
    const fields = { stage: "notify", photoId: key.replace(/^.*\//, "").replace(/\.jpg$/i, ""), key };
    const eTag = unquote(record.s3.object.eTag ?? "");
    const marker = notifiedMarkerKey(key, record.s3.object.sequencer || eTag);
    if (!(await claimKey(s3, bucket, marker))) {
      log("info", "skipped: already notified", fields);
      continue;
    }
    const url = finalImageUrl(urlBase, key, eTag);
    try {
      await timed("publish", fields, () => publish(config, photoProcessed(key, url)));
    } catch (err) {
      // Unclaimed again, so a redrive of this event from the failure queue can still tell the guest.
      await deleteObject(s3, bucket, marker).catch((e: unknown) =>
        log("error", "could not release the notification claim", { ...fields, error: errorMessage(e) }),
      );
      throw err;
    }
    log("info", "done", { ...fields, url });
  }
}
