import type { S3Event } from "aws-lambda";
import { loadConfig, requireSetting } from "../config";
import { decodeEventKey, eventVersion, finalImageUrl, NOTIFIED_PREFIX, processedNoticeId } from "../keys";
import { log, timed } from "../log";
import { photoProcessed } from "../messages";
import { publishOnce } from "../notifier";
import { unquote } from "../storage";

/**
 * Final bucket -> IoT topics: tells the front-end its souvenir is ready, exactly once per souvenir written.
 * S3 may deliver an event twice, even at the same moment: only the run that claims the notice publishes
 * (notifier.ts publishOnce). A re-upload writes a new souvenir (a new sequencer, and a new URL version), so it
 * is announced again, once.
 */
export async function handler(event: S3Event): Promise<void> {
  const config = loadConfig();
  const urlBase = requireSetting(config, "finalUrlBase", "FINAL_URL_BASE");
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
    const url = finalImageUrl(urlBase, key, eTag);
    const told = await timed("publish", fields, () =>
      publishOnce(config, photoProcessed(key, url), processedNoticeId(eventVersion(record.s3.object))),
    );
    if (!told) {
      log("info", "skipped: already notified", fields);
      continue;
    }
    log("info", "done", { ...fields, url });
  }
}
