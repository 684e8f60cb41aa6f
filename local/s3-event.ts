import type { S3Event, S3EventRecord } from "aws-lambda";

/**
 * S3 event notifications carry the object key URL-encoded, with '+' for a space ("my photo (1).jpg" arrives as
 * "my+photo+%281%29.jpg") while '/' stays as is. s3rver hands out the raw key, so a handler that forgot to
 * decode would pass locally and fail on AWS; encoding here keeps the local stack as strict as the cloud.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, "/")
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The parts of an s3rver event record this module relies on; anything else is passed through. */
interface S3rverRecord {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string } };
}

function isS3rverEvent(value: unknown): value is { Records: S3rverRecord[] } {
  if (value === null || typeof value !== "object") return false;
  const records = (value as { Records?: unknown }).Records;
  return (
    Array.isArray(records) &&
    records.every(
      (r) =>
        typeof r?.eventName === "string" &&
        typeof r?.s3?.bucket?.name === "string" &&
        typeof r?.s3?.object?.key === "string",
    )
  );
}

/**
 * Turns an s3rver event into what S3 delivers to Lambda: encoded key, the stack's region, a correct bucket ARN,
 * and a sequencer that orders events for one key (s3rver's is a millisecond clock, which repeats).
 */
export function toLambdaS3Event(raw: unknown, region: string, sequence: number): S3Event {
  if (!isS3rverEvent(raw)) throw new Error("not an S3 event from the local S3 server");
  return {
    Records: raw.Records.map((record): S3EventRecord => {
      const base = record as unknown as S3EventRecord;
      const bucket = record.s3.bucket.name;
      return {
        ...base,
        awsRegion: region,
        s3: {
          ...base.s3,
          bucket: { ...base.s3.bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            ...base.s3.object,
            key: encodeEventKey(record.s3.object.key),
            size: record.s3.object.size ?? 0,
            eTag: record.s3.object.eTag ?? "",
            sequencer: sequence.toString(16).toUpperCase().padStart(16, "0"),
          },
        },
      };
    }),
  };
}
