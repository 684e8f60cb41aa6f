import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { S3Event } from "aws-lambda";
import { sqsClient } from "../clients";
import { loadConfig, requireSetting } from "../config";
import {
  decodeEventKey,
  eventVersion,
  finalImageUrl,
  NOTIFIED_PREFIX,
  parsePhotoKey,
  recoveredNoticeId,
} from "../keys";
import { log } from "../log";
import { photoProcessed } from "../messages";
import { publishFailedOnce, publishOnce } from "../notifier";
import { unquote } from "../storage";
import { INTERNAL_FAILURE_REASON } from "./stage";

/**
 * What Lambda hands an asynchronous invocation's on-failure destination: the original event, and why the
 * invocation failed (an error the stage threw, a timeout, running out of memory, a crashed runtime).
 */
export interface FailedInvocation {
  version?: string;
  timestamp?: string;
  requestContext?: { requestId?: string; functionArn?: string; condition?: string; approximateInvokeCount?: number };
  requestPayload?: S3Event;
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string };
  responsePayload?: { errorType?: string; errorMessage?: string } | null;
}

/**
 * The failure reporter: a stage's on-failure destination. However the stage's invocation ended, the guest is
 * told (photoFailed, unless the stage itself managed to: the notice is claimed once per event; for notify, whose
 * souvenir exists, photoProcessed), and the record
 * is then kept in the stage's failure queue for inspection and redrive. Telling comes first and is deduplicated,
 * so a retry of this function after a failed queue write tells nobody twice.
 */
export async function handler(failure: FailedInvocation): Promise<void> {
  const config = loadConfig();
  const stage = requireSetting(config, "failedStage", "FAILED_STAGE");
  const queueUrl = requireSetting(config, "failureQueueUrl", "FAILURE_QUEUE_URL");
  const error = failure.responsePayload?.errorType ?? failure.responseContext?.functionError ?? "unknown";
  for (const record of failure.requestPayload?.Records ?? []) {
    const key = decodeEventKey(record.s3?.object?.key ?? "");
    const photo = parsePhotoKey(key);
    if (!record.eventName?.startsWith("ObjectCreated") || !photo || key.startsWith(NOTIFIED_PREFIX)) continue;
    const fields = { stage: `${stage}-failed`, photoId: photo.photoId, key, error };
    const version = eventVersion(record.s3.object);
    // Notify runs on a souvenir that exists: its guest is told it is ready, under a notice of its own, since
    // a notify that died after claiming its notice may not have published. A second photoProcessed with the
    // same URL is harmless; a photoFailed for a souvenir that was made, or silence, is not.
    const told =
      stage === "notify"
        ? await publishOnce(
            config,
            photoProcessed(
              key,
              finalImageUrl(
                requireSetting(config, "finalUrlBase", "FINAL_URL_BASE"),
                key,
                unquote(record.s3.object.eTag ?? ""),
              ),
            ),
            recoveredNoticeId(version),
          )
        : await publishFailedOnce(config, stage, photo, record.s3.object, INTERNAL_FAILURE_REASON);
    log(
      told ? "warn" : "info",
      told ? "the guest was told after a failed invocation" : "the stage had told the guest",
      {
        ...fields,
        condition: failure.requestContext?.condition,
      },
    );
  }
  await sqsClient(config).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(failure) }));
}
