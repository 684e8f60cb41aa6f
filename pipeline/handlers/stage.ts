import type { Context, S3Event, S3EventRecord } from "aws-lambda";
import { loadConfig, requireSetting } from "../config";
import type { StageConfig } from "../config";
import { s3Client } from "../clients";
import { isPhotoError } from "../errors";
import { decodeEventKey, finalKey, parsePhotoKey } from "../keys";
import type { PhotoKey } from "../keys";
import { errorMessage, log, timed } from "../log";
import { photoFailed } from "../messages";
import { publish } from "../notifier";
import { outputSourceETag, readObject, unquote, writeObject } from "../storage";

/**
 * What makes one photo stage: where it reads, where it writes, and the pure-ish work in between.
 * The S3 plumbing, idempotency and failure reporting are shared by every stage in `photoStage`.
 */
export interface PhotoStage {
  name: string;
  inputBucket(config: StageConfig): string;
  outputBucket(config: StageConfig): string;
  outputKey(photo: PhotoKey): string;
  /** `metadata`: the input object's user metadata (a stage passes on what the next one needs, e.g. a hint). */
  process(
    input: Uint8Array,
    photo: PhotoKey,
    config: StageConfig,
    metadata: Record<string, string>,
  ): Promise<StageOutput>;
}

export interface StageOutput {
  body: Uint8Array;
  contentType: string;
  cacheControl?: string;
  /** User metadata for the output object. */
  metadata?: Record<string, string>;
}

/** User metadata (on the processing PNG, then the final JPEG) carrying the keyer's hint to the notification. */
export const HINT_METADATA = "hint";

/** Said to the guest when the fault is ours, not their photo's. */
export const INTERNAL_FAILURE_REASON = "something went wrong on our side while processing the photo; please try again";

/**
 * Time kept back before the function's timeout: enough to tell the guest (one IoT publish) before the platform
 * stops the invocation mid-step, which would leave them waiting with no message at all.
 */
export const DEADLINE_RESERVE_MS = 3000;

/** The part of Lambda's context a stage uses; absent where nothing imposes a time limit (local stack, CLI). */
export type StageContext = Partial<Pick<Context, "getRemainingTimeInMillis">>;

export class DeadlineError extends Error {
  constructor(stage: string) {
    super(`${stage}: ran out of time before the function's timeout`);
    this.name = "DeadlineError";
  }
}

export function photoStage(stage: PhotoStage): (event: S3Event, context?: StageContext) => Promise<void> {
  return async (event, context) => {
    const config = loadConfig();
    let firstFault: unknown;
    for (const record of event.Records ?? []) {
      try {
        const msLeft = context?.getRemainingTimeInMillis?.();
        await handleRecord(stage, config, record, msLeft === undefined ? undefined : msLeft - DEADLINE_RESERVE_MS);
      } catch (err) {
        firstFault ??= err;
      }
    }
    // Rethrown so the platform records the invocation as failed (and routes it to the on-failure queue).
    if (firstFault !== undefined) throw firstFault;
  };
}

async function handleRecord(
  stage: PhotoStage,
  config: StageConfig,
  record: S3EventRecord,
  timeLimitMs: number | undefined,
): Promise<void> {
  const inputBucket = stage.inputBucket(config);
  const outputBucket = stage.outputBucket(config);
  if (inputBucket === outputBucket) throw new Error(`${stage.name}: input and output bucket are both "${inputBucket}"`);

  const bucket = record.s3?.bucket?.name;
  const key = decodeEventKey(record.s3?.object?.key ?? "");
  if (!record.eventName?.startsWith("ObjectCreated") || bucket !== inputBucket) {
    log("warn", "skipped: not an object created in this stage's bucket", {
      stage: stage.name,
      eventName: record.eventName,
      bucket,
      key,
    });
    return;
  }
  const photo = parsePhotoKey(key);
  if (!photo) {
    log("warn", "skipped: not a photo key", { stage: stage.name, bucket, key });
    return;
  }

  const fields = { stage: stage.name, photoId: photo.photoId, key };
  const outKey = stage.outputKey(photo);
  const s3 = s3Client(config);
  try {
    await withinTime(timeLimitMs, stage.name, async (abandoned) => {
      const eventETag = unquote(record.s3.object.eTag ?? "");
      if (eventETag && (await outputSourceETag(s3, outputBucket, outKey)) === eventETag) {
        log("info", "skipped: already processed", fields);
        return;
      }
      const input = await timed("read", fields, () => readObject(s3, inputBucket, key, config.maxUploadBytes));
      abandoned.throwIfAborted();
      const output = await timed("process", fields, () => stage.process(input.bytes, photo, config, input.metadata));
      // The guest has been told it failed: a late output would contradict that.
      abandoned.throwIfAborted();
      await timed("write", fields, () =>
        writeObject(
          s3,
          outputBucket,
          outKey,
          output.body,
          output.contentType,
          input.eTag,
          output.cacheControl,
          output.metadata,
        ),
      );
      log("info", "done", { ...fields, output: `${outputBucket}/${outKey}`, bytes: output.body.length });
    });
  } catch (err) {
    const photoProblem = isPhotoError(err);
    log(photoProblem ? "warn" : "error", "failed", { ...fields, error: errorMessage(err) });
    await tellGuest(config, finalKey(photo), photoProblem ? err.reason : INTERNAL_FAILURE_REASON, fields);
    // A photo we cannot read is done with: retrying it would fail the same way.
    if (!photoProblem) throw err;
  }
}

async function tellGuest(
  config: StageConfig,
  objectKey: string,
  reason: string,
  fields: Record<string, unknown>,
): Promise<void> {
  try {
    requireSetting(config, "iotEndpoint", "IOT_ENDPOINT");
    await publish(config, photoFailed(objectKey, reason));
    log("info", "photoFailed sent", { ...fields, reason });
  } catch (err) {
    log("error", "could not send photoFailed", { ...fields, error: errorMessage(err) });
  }
}

/**
 * Runs `work`, or rejects with DeadlineError once `limitMs` has passed. The work cannot be cancelled, and Lambda
 * resumes a frozen promise in the next invocation, so the work is told through `abandoned` not to write anything.
 */
async function withinTime(
  limitMs: number | undefined,
  stage: string,
  work: (abandoned: AbortSignal) => Promise<void>,
): Promise<void> {
  const abandoned = new AbortController();
  if (limitMs === undefined) return work(abandoned.signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const err = new DeadlineError(stage);
        abandoned.abort(err);
        reject(err);
      },
      Math.max(0, limitMs),
    );
  });
  try {
    await Promise.race([work(abandoned.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
