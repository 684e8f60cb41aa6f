import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import type { S3Event } from "aws-lambda";
import { s3Client } from "../clients";
import { loadConfig, requireSetting } from "../config";
import { decodeEventKey, finalImageUrl } from "../keys";
import { log, timed } from "../log";
import { photoProcessed } from "../messages";
import { publish } from "../notifier";
import { HINT_METADATA } from "./stage";

/**
 * Final bucket -> IoT topic: tells the front-end its souvenir is ready. A tag on the final object records that
 * the guest was told, so S3 delivering the same event twice does not notify twice (tagging is not an
 * ObjectCreated event, so it does not trigger anything).
 */
const NOTIFIED_TAG = "notified";

export async function handler(event: S3Event): Promise<void> {
  const config = loadConfig();
  const urlBase = requireSetting(config, "finalUrlBase", "FINAL_URL_BASE");
  const s3 = s3Client(config);
  for (const record of event.Records ?? []) {
    const bucket = record.s3?.bucket?.name;
    const key = decodeEventKey(record.s3?.object?.key ?? "");
    if (!record.eventName?.startsWith("ObjectCreated") || bucket !== config.finalBucket || !/\.jpg$/i.test(key)) {
      log("warn", "skipped: not a final photo", { stage: "notify", eventName: record.eventName, bucket, key });
      continue;
    }
    const fields = { stage: "notify", photoId: key.replace(/^.*\//, "").replace(/\.jpg$/i, ""), key };
    if (await wasNotified(s3, bucket, key)) {
      log("info", "skipped: already notified", fields);
      continue;
    }
    const url = finalImageUrl(urlBase, key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const hint = head.Metadata?.[HINT_METADATA];
    await timed("publish", fields, () => publish(config, photoProcessed(key, url, hint)));
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: bucket,
        Key: key,
        Tagging: { TagSet: [{ Key: NOTIFIED_TAG, Value: "true" }] },
      }),
    );
    log("info", "done", { ...fields, url });
  }
}

async function wasNotified(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return (tags.TagSet ?? []).some((tag) => tag.Key === NOTIFIED_TAG);
}
