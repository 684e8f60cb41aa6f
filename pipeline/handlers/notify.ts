import { HeadObjectCommand } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { s3Client } from "../clients";
import { loadConfig, requireSetting } from "../config";
import type { StageConfig } from "../config";
import { decodeEventKey, eventVersion, finalImageUrl, NOTIFIED_PREFIX, processedNoticeId } from "../keys";
import { errorMessage, log, timed } from "../log";
import { HINT_METADATA, photoProcessed } from "../messages";
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
    const hint = await readHint(config, bucket, key, eTag);
    const told = await timed("publish", fields, () =>
      publishOnce(config, photoProcessed(key, url, hint), processedNoticeId(eventVersion(record.s3.object))),
    );
    if (!told) {
      log("info", "skipped: already notified", fields);
      continue;
    }
    log("info", "done", { ...fields, url });
  }
}

/**
 * The keyer's hint for the guest, carried as metadata on the final photo. Best effort: a souvenir is announced
 * without its hint rather than not at all (the object may have been replaced since this event, say).
 */
async function readHint(config: StageConfig, bucket: string, key: string, eTag: string): Promise<string | undefined> {
  try {
    const head = await s3Client(config).send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(eTag ? { IfMatch: `"${eTag}"` } : {}) }),
    );
    return head.Metadata?.[HINT_METADATA];
  } catch (err) {
    log("warn", "could not read the photo's hint; telling the guest without it", {
      stage: "notify",
      key,
      error: errorMessage(err),
    });
    return undefined;
  }
}
