import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { PhotoError } from "./errors";

/**
 * Thin S3 reads and writes the stages share; no image knowledge here. Writes are conditional (S3's If-None-Match
 * and If-Match), so two runs of a stage for one event (S3 delivers at least once, sometimes at the same moment)
 * cannot both write: exactly one wins and the other learns it lost.
 */

/** Which version of an input object an output was made from: the ObjectCreated event's ETag and sequencer. */
export interface SourceVersion {
  eTag: string;
  /** Orders the events of one key (hex; larger is later); "" when unknown. */
  sequencer: string;
}

export interface StoredObject {
  bytes: Uint8Array;
  eTag: string;
  /** The object's user metadata (x-amz-meta-*), names in lower case. */
  metadata: Record<string, string>;
}

export interface ExistingOutput {
  eTag: string;
  /** Undefined for an object no stage wrote (no metadata). */
  source: SourceVersion | undefined;
}

export interface OutputObject {
  body: Uint8Array;
  contentType: string;
  cacheControl?: string;
  /** User metadata for the output object (a stage passes on what the next one needs, e.g. the keyer's hint). */
  metadata?: Record<string, string>;
}

/**
 * Reads the object an event announced. With `eTag`, only that version (If-Match): undefined when the key has
 * since been replaced or removed, whose own event will bring the newer version.
 */
export async function readObject(
  s3: S3Client,
  bucket: string,
  key: string,
  maxBytes: number,
  eTag?: string,
): Promise<StoredObject | undefined> {
  let res;
  try {
    res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: eTag ? quote(eTag) : undefined }));
  } catch (err) {
    if (eTag && (isStatus(err, 412) || isStatus(err, 404))) return undefined;
    throw err;
  }
  if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  if (res.ContentLength !== undefined && res.ContentLength > maxBytes) {
    // Do not download a body we will refuse anyway.
    res.Body.transformToWebStream()
      .cancel()
      .catch(() => undefined);
    throw new PhotoError(tooBigReason(res.ContentLength, maxBytes));
  }
  const bytes = await res.Body.transformToByteArray();
  return { bytes, eTag: unquote(res.ETag ?? ""), metadata: res.Metadata ?? {} };
}

/** The output already at `key`, or undefined when there is none. */
export async function headOutput(s3: S3Client, bucket: string, key: string): Promise<ExistingOutput | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const eTag = head.Metadata?.["source-etag"];
    return {
      eTag: unquote(head.ETag ?? ""),
      source: eTag === undefined ? undefined : { eTag, sequencer: head.Metadata?.["source-sequencer"] ?? "" },
    };
  } catch (err) {
    if (isStatus(err, 404)) return undefined;
    throw err;
  }
}

/**
 * Writes `output` only if the key still holds `expected` (If-Match its ETag), or nothing when `expected` is
 * undefined (If-None-Match: *). Resolves false when another writer changed the key first.
 */
async function writeOutput(
  s3: S3Client,
  bucket: string,
  key: string,
  output: OutputObject,
  source: SourceVersion,
  expected: ExistingOutput | undefined,
): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: output.body,
        ContentType: output.contentType,
        CacheControl: output.cacheControl,
        // Records which input this output was made from: a repeated event for the same input is then a no-op.
        Metadata: { ...output.metadata, "source-etag": source.eTag, "source-sequencer": source.sequencer },
        ...(expected ? { IfMatch: quote(expected.eTag) } : { IfNoneMatch: "*" }),
      }),
    );
    return true;
  } catch (err) {
    if (lostTheRace(err, expected !== undefined)) return false;
    throw err;
  }
}

/** Conditional writes lost to writers of other versions before giving up (each loss means the key changed). */
const WRITE_ATTEMPTS = 3;

/**
 * Writes the output unless a run for this or a later version of the input already did: conditionally on what the
 * key held when the run began, then, each time another writer got there first, on what it holds now.
 */
export async function writeOutputOnce(
  s3: S3Client,
  bucket: string,
  key: string,
  output: OutputObject,
  source: SourceVersion,
  expected: ExistingOutput | undefined,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    if (await writeOutput(s3, bucket, key, output, source, expected)) return true;
    expected = await headOutput(s3, bucket, key);
    if (madeFromThisOrLater(expected, source)) return false;
    if (attempt === WRITE_ATTEMPTS) throw new Error(`${bucket}/${key} kept changing while writing it`);
  }
}

/** Whether the output at a key was made from this version of the input or a later one. */
export function madeFromThisOrLater(existing: ExistingOutput | undefined, source: SourceVersion): boolean {
  return existing?.source !== undefined && isSameOrLater(existing.source, source);
}

/** Creates an empty object at `key` unless one exists: true for the one caller that created it. */
export async function claimKey(s3: S3Client, bucket: string, key: string, timeoutMs?: number): Promise<boolean> {
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: new Uint8Array(0), IfNoneMatch: "*" }),
      timeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(timeoutMs) },
    );
    return true;
  } catch (err) {
    if (lostTheRace(err, false)) return false;
    throw err;
  }
}

export async function deleteObject(s3: S3Client, bucket: string, key: string): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

/**
 * Deletes `key` if it still holds the version `eTag` names: false when another upload has replaced it (or it is
 * gone), which is then left alone.
 */
export async function deleteVersion(s3: S3Client, bucket: string, key: string, eTag: string): Promise<boolean> {
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: quote(eTag) }));
    return true;
  } catch (err) {
    if (lostTheRace(err, true)) return false;
    throw err;
  }
}

/** True when `a` is the same input version as `b`, or a later one of the same key. */
function isSameOrLater(a: SourceVersion, b: SourceVersion): boolean {
  if (a.sequencer === b.sequencer) return a.eTag === b.eTag;
  return compareSequencers(a.sequencer, b.sequencer) > 0;
}

/** S3's rule: left-pad the shorter sequencer with zeros, then compare as strings. */
function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const [x, y] = [a.toUpperCase().padStart(width, "0"), b.toUpperCase().padStart(width, "0")];
  return x < y ? -1 : x > y ? 1 : 0;
}

export const unquote = (eTag: string): string => eTag.replace(/^"|"$/g, "");
const quote = (eTag: string): string => `"${unquote(eTag)}"`;

export function tooBigReason(bytes: number, maxBytes: number): string {
  return `the photo is too big (${megabytes(bytes)}; the limit is ${megabytes(maxBytes)})`;
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function isStatus(err: unknown, status: number): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.$metadata.httpStatusCode === status ||
      (status === 404 && (err.name === "NotFound" || err.name === "NoSuchKey")))
  );
}

/**
 * 412: the condition failed (the key exists, or holds another ETag); 409: another conditional write to the key
 * was in flight; NoSuchKey: an If-Match target was deleted meanwhile (a missing bucket is a fault, not a race).
 */
function lostTheRace(err: unknown, ifMatch: boolean): boolean {
  return (
    isStatus(err, 412) ||
    isStatus(err, 409) ||
    (ifMatch && err instanceof S3ServiceException && err.name === "NoSuchKey")
  );
}
