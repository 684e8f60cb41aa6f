/**
 * Pure reading of a request to the local S3 server: which bucket and key it names (path-style only), and the S3
 * rules for a write's preconditions. Nothing here touches the disk.
 */
import { parseQuery } from "./sigv4";

export interface S3Target {
  bucket: string;
  /** undefined for a bucket-level request */
  key?: string;
  /** raw query pairs, decoded, in order */
  query: Array<[string, string]>;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; status: number; code: string; message: string };

const refuse = (
  status: number,
  code: string,
  message: string,
): { ok: false; status: number; code: string; message: string } => ({
  ok: false,
  status,
  code,
  message,
});

/**
 * The bucket and key of a raw request URL, decoded the way the server's router decodes them. The path is taken
 * as sent (no URL normalisation, which would silently resolve `..`), and a key that could name anything outside
 * its bucket's folder is refused: empty, `.` or `..` segments, backslashes, NUL.
 */
export function parseTarget(rawUrl: string, buckets: readonly string[]): Parsed<S3Target> {
  if (!rawUrl.startsWith("/")) return refuse(400, "InvalidRequest", "the request target must be a path");
  const q = rawUrl.indexOf("?");
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q < 0 ? "" : rawUrl.slice(q + 1);
  const query = parseQuery(rawQuery);
  if (!query) return refuse(400, "InvalidArgument", "malformed query string");
  const slash = rawPath.indexOf("/", 1);
  const bucket = decode(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
  if (bucket === undefined) return refuse(400, "InvalidURI", "malformed bucket name");
  if (bucket === "") return { ok: true, value: { bucket, query } };
  if (!buckets.includes(bucket)) {
    return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) && !bucket.includes("..")
      ? refuse(404, "NoSuchBucket", "The specified bucket does not exist")
      : refuse(400, "InvalidBucketName", "The specified bucket is not valid.");
  }
  if (slash < 0 || slash === rawPath.length - 1) return { ok: true, value: { bucket, query } };
  const key = decode(rawPath.slice(slash + 1));
  if (key === undefined) return refuse(400, "InvalidURI", "malformed object key");
  const problem = keyProblem(key);
  if (problem) return refuse(400, "InvalidArgument", problem);
  return { ok: true, value: { bucket, key, query } };
}

/** Why a key cannot be stored under its bucket's folder, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key === "") return "the object key is empty";
  if (Buffer.byteLength(key) > 1024) return "the object key is longer than 1024 bytes";
  if (/[\\\0]/.test(key)) return "the object key contains a backslash or NUL";
  if (key.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
    return "the object key has an empty, '.' or '..' segment, which the local stack refuses";
  return undefined;
}

export type Precondition = { ifNoneMatch?: "*"; ifMatch?: string };

/** The preconditions of a write as S3 accepts them: `If-None-Match` only with `*`, `If-Match` with an ETag. */
export function parsePreconditions(headers: Record<string, string | string[] | undefined>): Parsed<Precondition> {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(",") : v;
  };
  const noneMatch = one("if-none-match")?.trim();
  const match = one("if-match")?.trim();
  if (noneMatch !== undefined && noneMatch !== "*")
    return refuse(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
  if (match !== undefined && match === "") return refuse(400, "InvalidArgument", "If-Match needs an ETag");
  return {
    ok: true,
    value: { ...(noneMatch ? { ifNoneMatch: "*" as const } : {}), ...(match ? { ifMatch: match } : {}) },
  };
}

/**
 * Whether a write may go ahead given the object's current ETag (undefined: no object), as S3 decides it:
 * 412 PreconditionFailed when If-None-Match: * meets an object or If-Match meets another ETag, 404 NoSuchKey
 * when If-Match meets no object.
 */
export function checkPrecondition(
  condition: Precondition,
  currentETag: string | undefined,
): { ok: true } | { ok: false; status: number; code: string; message: string; condition: string } {
  if (condition.ifNoneMatch && currentETag !== undefined) {
    return { ...failed, condition: "If-None-Match" };
  }
  if (condition.ifMatch !== undefined) {
    if (currentETag === undefined)
      return {
        ok: false,
        status: 404,
        code: "NoSuchKey",
        message: "The specified key does not exist.",
        condition: "If-Match",
      };
    const wanted = condition.ifMatch.split(",").map((t) => unquote(t.trim()));
    if (!wanted.includes("*") && !wanted.includes(unquote(currentETag))) return { ...failed, condition: "If-Match" };
  }
  return { ok: true };
}

const failed = {
  ok: false as const,
  status: 412,
  code: "PreconditionFailed",
  message: "At least one of the pre-conditions you specified did not hold",
};

const unquote = (eTag: string): string => eTag.replace(/^W\//, "").replace(/^"|"$/g, "");

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
