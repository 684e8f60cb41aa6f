import type { Context, S3Event, S3EventRecord } from "aws-lambda";
import { loadConfig, requireSetting } from "../config";
import type { StageConfig } from "../config";
import { s3Client } from "../clients";
import { isPhotoError } from "../errors";
import { decodeEventKey, finalKey, parsePhotoKey } from "../keys";
import type { PhotoKey } from "../keys";
import { errorMessage, log, timed } from "../log";
import { photoProgress } from "../messages";
import { publishFailedOnce, publishProgress } from "../notifier";
import {
  deleteVersion,
  headOutput,
  madeFromThisOrLater,
  readObject,
  tooBigReason,
  unquote,
  writeOutputOnce,
} from "../storage";
import type { OutputObject, SourceVersion } from "../storage";

/**
 * What makes one photo stage: where it reads, where it writes, and the pure-ish work in between.
 * The S3 plumbing, idempotency and failure reporting are shared by every stage in `photoStage`.
 */
export interface PhotoStage {
  name: string;
  inputBucket(config: StageConfig): string;
  outputBucket(config: StageConfig): string;
  outputKey(photo: PhotoKey): string;
  /**
   * The largest input the stage takes, when its input comes from guests: a larger one is refused from the
   * event's object size, before any download, and deleted (the guest is told).
   */
  inputLimit?(config: StageConfig): number;
  /** `metadata`: the input object's user metadata (a stage passes on what the next one needs, e.g. a hint). */
  process(
    input: Uint8Array,
    photo: PhotoKey,
    config: StageConfig,
    metadata: Record<string, string>,
  ): Promise<StageOutput>;
  /** The step the guest's page is told the photo has reached when this stage starts on it (photoProgress). */
  progressStep?: string;
}

export type StageOutput = OutputObject;

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
  const tell = (reason: string) => tellGuest(config, stage.name, photo, record.s3.object, reason, fields);
  const outKey = stage.outputKey(photo);
  const s3 = s3Client(config);
  const limit = stage.inputLimit?.(config);
  const size = record.s3.object.size ?? 0;
  if (limit !== undefined && size > limit) {
    // S3 takes up to 5 GB through a presigned PUT; a photo that size is refused before a byte is downloaded.
    const reason = tooBigReason(size, limit);
    log("warn", "refused: too big", { ...fields, bytes: size, limit });
    await tell(reason);
    // The guest has their answer either way; an upload left behind expires with the bucket's lifecycle rule. Only
    // the version refused goes: a photo the guest uploaded again meanwhile has an event of its own.
    await deleteVersion(s3, inputBucket, key, record.s3.object.eTag ?? "").then(
      (deleted) => deleted || log("info", "kept a newer upload to the refused key", fields),
      (err: unknown) => log("error", "could not delete the refused upload", { ...fields, error: errorMessage(err) }),
    );
    return;
  }
  const source: SourceVersion = {
    eTag: unquote(record.s3.object.eTag ?? ""),
    sequencer: record.s3.object.sequencer ?? "",
  };
  try {
    await withinTime(timeLimitMs, stage.name, async (abandoned) => {
      const existing = await headOutput(s3, outputBucket, outKey);
      if (madeFromThisOrLater(existing, source)) {
        log("info", "skipped: already processed", fields);
        return;
      }
      // Sent alongside the read; settled before the write, so it reaches the page before the next stage's news.
      const told =
        stage.progressStep === undefined
          ? undefined
          : tellProgress(config, finalKey(photo), stage.progressStep, fields);
      const input = await timed("read", fields, () =>
        readObject(s3, inputBucket, key, limit ?? config.maxUploadBytes, source.eTag),
      );
      if (!input) {
        log("info", "skipped: the input was replaced or removed since this event; its own event follows", fields);
        return;
      }
      abandoned.throwIfAborted();
      const output = await timed("process", fields, () => stage.process(input.bytes, photo, config, input.metadata));
      const made = { ...source, eTag: source.eTag || input.eTag };
      await told;
      // The guest has been told it failed (deadline): a late output would contradict that.
      abandoned.throwIfAborted();
      const write = () => writeOutputOnce(s3, outputBucket, outKey, output, made, existing);
      if (!(await timed("write", fields, write))) {
        log("info", "skipped: a concurrent run of this event wrote the output first", fields);
        return;
      }
      log("info", "done", { ...fields, output: `${outputBucket}/${outKey}`, bytes: output.body.length });
    });
  } catch (err) {
    const photoProblem = isPhotoError(err);
    log(photoProblem ? "warn" : "error", "failed", { ...fields, error: errorMessage(err) });
    await tell(photoProblem ? err.reason : INTERNAL_FAILURE_REASON);
    // A photo we cannot read is done with: retrying it would fail the same way.
    if (!photoProblem) throw err;
  }
}

/** Sends photoFailed once per event (duplicates and the failure reporter find the notice taken); never throws. */
async function tellGuest(
  config: StageConfig,
  stage: string,
  photo: PhotoKey,
  object: S3EventRecord["s3"]["object"],
  reason: string,
  fields: Record<string, unknown>,
): Promise<void> {
  try {
    requireSetting(config, "iotEndpoint", "IOT_ENDPOINT");
    if (await publishFailedOnce(config, stage, photo, object, reason)) {
      log("info", "photoFailed sent", { ...fields, reason });
    } else {
      log("info", "skipped: the guest was already told", { ...fields, reason });
    }
  } catch (err) {
    log("error", "could not send photoFailed", { ...fields, error: errorMessage(err) });
  }
}

/** Best effort: a guest who misses a step still gets the souvenir or photoFailed. */
async function tellProgress(
  config: StageConfig,
  objectKey: string,
  step: string,
  fields: Record<string, unknown>,
): Promise<void> {
  if (!config.iotEndpoint) return;
  try {
    await publishProgress(config, photoProgress(objectKey, step));
  } catch (err) {
    log("warn", "could not send photoProgress", { ...fields, step, error: errorMessage(err) });
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
