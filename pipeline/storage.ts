import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { PhotoError } from "./errors";

/** Thin S3 reads and writes the stages share; no image knowledge here. */

export interface StoredObject {
  bytes: Uint8Array;
  eTag: string;
  /** The object's user metadata (x-amz-meta-*), names in lower case. */
  metadata: Record<string, string>;
}

export async function readObject(s3: S3Client, bucket: string, key: string, maxBytes: number): Promise<StoredObject> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  if (res.ContentLength !== undefined && res.ContentLength > maxBytes) {
    // Do not download a body we will refuse anyway.
    res.Body.transformToWebStream()
      .cancel()
      .catch(() => undefined);
    throw new PhotoError(`the photo is too big (${megabytes(res.ContentLength)}; the limit is ${megabytes(maxBytes)})`);
  }
  const bytes = await res.Body.transformToByteArray();
  return { bytes, eTag: unquote(res.ETag ?? ""), metadata: res.Metadata ?? {} };
}

export async function writeObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array,
  contentType: string,
  sourceETag: string,
  cacheControl?: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentType: contentType,
      CacheControl: cacheControl,
      // Records which input this output was made from: a repeated event for the same input is then a no-op.
      Metadata: { ...metadata, "source-etag": sourceETag },
    }),
  );
}

/** The source ETag an existing output was made from, or undefined when there is no output yet. */
export async function outputSourceETag(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.Metadata?.["source-etag"] ?? "";
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === "NotFound" || err.$metadata.httpStatusCode === 404)) {
      return undefined;
    }
    throw err;
  }
}

export const unquote = (eTag: string): string => eTag.replace(/^"|"$/g, "");

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
