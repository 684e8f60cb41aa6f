import S3rver from "@20minutes/s3rver";
import { randomBytes, randomUUID } from "node:crypto";
import { readdir, rename, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { DUMMY_ACCOUNT } from "@20minutes/s3rver/lib/models/account";
import { hostAllowed } from "./host-check";
import { createKeyLock } from "./key-lock";
import { checkPostPolicy } from "./post-policy";
import { readForm } from "./s3-form";
import { checkPrecondition, keyProblem, parsePreconditions, parseTarget } from "./s3-request";
import type { S3Target } from "./s3-request";
import { verifySigV4 } from "./sigv4";
import type { Credentials } from "./sigv4";

export interface S3ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  buckets: { upload: string; processing: string; final: string };
  /** The only credentials whose signatures it accepts (the stack's own; see local/credentials.ts). */
  credentials: Credentials;
  region: string;
  /** Origins the Upload bucket's CORS lets PUT and POST (["*"] for any); other origins get nothing. */
  allowedOrigins: readonly string[];
  /** HTTPS with this key and certificate (npm start -- --host); plain HTTP otherwise. */
  tls?: { key: string; cert: string };
  onEvent(event: unknown): void;
}

export interface S3Server {
  port: number;
  /** Every object the bucket holds now, read from the store (what S3 would have sent events for). */
  objects(bucket: string): Promise<StoredObjectInfo[]>;
  close(): Promise<void>;
}

export interface StoredObjectInfo {
  key: string;
  /** unquoted */
  eTag: string;
  size: number;
}

/** Text as XML character data. */
const escapeXml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The Upload bucket's CORS, as the cloud bucket has it: the browser PUTs the photo to the presigned URL from the
 * page's origin with a Content-Type header (or POSTs the form), and may read the ETag.
 */
export function uploadCorsXml(allowedOrigins: readonly string[]): string {
  const origins = allowedOrigins.map((o) => `<AllowedOrigin>${escapeXml(o)}</AllowedOrigin>`).join("");
  return (
    `<CORSConfiguration><CORSRule>${origins}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>` +
    `<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>` +
    `<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`
  );
}

/**
 * s3rver behind a gate of the stack's own. s3rver stores objects and emits S3 events; the gate makes it behave
 * like a private S3 bucket, which s3rver alone does not: every request carries a valid SigV4 signature (header
 * or presigned URL, expiry honoured) or a signed POST policy whose conditions hold; only the stack's buckets
 * exist and their configuration cannot be changed; keys stay inside their bucket's folder; browsers from other
 * origins are refused; and writes honour `If-None-Match: *` / `If-Match` atomically (one write per key at a
 * time, the condition checked while it holds the key).
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const s3rver = new S3rver({
    directory: options.dataDir,
    // Its per-request log is noise next to the stage logs; the stack logs each created object instead.
    silent: true,
    resetOnClose: false,
    // Path-style only: a Host header must never choose the folder.
    vhostBuckets: false,
    // The gate has verified the signature already, strictly; s3rver's own check mis-signs some valid requests
    // (a bucket path's trailing slash, as the SDK sends for ListObjectsV2). It still requires the stack's key.
    allowMismatchedSignatures: true,
    configureBuckets: [
      { name: options.buckets.upload, configs: [uploadCorsXml(options.allowedOrigins)] },
      { name: options.buckets.processing },
      { name: options.buckets.final },
    ],
  });
  writeObjectsWhole(s3rver);
  s3rver.on("event", options.onEvent);
  await s3rver.configureBuckets();
  for (const bucket of Object.values(options.buckets)) await removeUnfinishedWrites(path.join(options.dataDir, bucket));
  // s3rver must know only the stack's key, not its well-known one.
  DUMMY_ACCOUNT.revokeAccessKey("S3RVER");
  DUMMY_ACCOUNT.createKeyPair(options.credentials.accessKeyId, options.credentials.secretAccessKey);
  const gate = createGate(s3rver, {
    buckets: Object.values(options.buckets),
    uploadBucket: options.buckets.upload,
    allowedOrigins: options.allowedOrigins,
    credentials: options.credentials,
    region: options.region,
  });

  const serve: RequestListener = (req, res) => {
    gate(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, req.method, 500, "InternalError", errorText(err));
      else res.destroy();
    });
  };
  const http = options.tls ? createHttpsServer(options.tls, serve) : createServer(serve);
  const port = await new Promise<number>((resolve, reject) => {
    http.once("error", (err) => {
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
      DUMMY_ACCOUNT.revokeAccessKey(options.credentials.accessKeyId);
      reject(err);
    });
    http.listen(options.port, options.host, () => {
      http.removeAllListeners("error");
      resolve((http.address() as AddressInfo).port);
    });
  });
  return {
    port,
    async objects(bucket) {
      const { objects } = await s3rver.store.listObjects(bucket, {});
      return objects.map((o) => ({
        key: o.key,
        eTag: String(o.metadata.etag ?? "").replace(/"/g, ""),
        size: Number(o.metadata["content-length"] ?? 0),
      }));
    },
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // The SDK keeps connections alive; without this, close would wait for them to time out.
      http.closeAllConnections();
      await closed;
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
      DUMMY_ACCOUNT.revokeAccessKey(options.credentials.accessKeyId);
    },
  };
}

type Gate = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface GateOptions {
  buckets: readonly string[];
  uploadBucket: string;
  allowedOrigins: readonly string[];
  credentials: Credentials;
  region: string;
}

/** Bucket sub-resources that read or change a bucket's configuration: the stack's credentials may not. */
const BUCKET_CONFIG = new Set([
  "acl",
  "analytics",
  "cors",
  "delete",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "lifecycle",
  "logging",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "replication",
  "requestPayment",
  "tagging",
  "versioning",
  "website",
  "accelerate",
]);

function createGate(s3rver: S3rver, options: GateOptions): Gate {
  const forward = s3rver.callback();
  const lockKey = createKeyLock();
  const { buckets, uploadBucket, allowedOrigins, credentials, region } = options;
  const originAllowed = (origin: string): boolean => allowedOrigins.includes("*") || allowedOrigins.includes(origin);

  const currentETag = async (bucket: string, key: string): Promise<string | undefined> => {
    try {
      return (await s3rver.store.getMetadata(bucket, key)).etag;
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw err;
    }
  };

  return async (req, res) => {
    const method = req.method ?? "GET";
    const origin = req.headers.origin;
    const parsed = parseTarget(req.url ?? "/", buckets);
    const refuse = (status: number, code: string, message: string, detail?: Record<string, string>): void => {
      // The page may read why its upload was refused, as S3 adds CORS headers to errors when a rule matches.
      if (origin !== undefined && originAllowed(origin) && parsed.ok && parsed.value.bucket === uploadBucket) {
        res.setHeader("Access-Control-Allow-Origin", origin);
        res.setHeader("Vary", "Origin");
      }
      sendError(res, method, status, code, message, detail);
    };

    // Any web page the user opens can send requests to localhost: a browser from elsewhere gets nothing here,
    // nor does a page that rebound its own domain name to this machine.
    if (!hostAllowed(req.headers.host, allowedOrigins))
      return refuse(400, "InvalidHostHeader", "The Host header names no host of this stack.");
    if (origin !== undefined && !originAllowed(origin))
      return refuse(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
    if (!parsed.ok) return refuse(parsed.status, parsed.code, parsed.message);
    const target = parsed.value;
    if (method === "OPTIONS") return preflight(req, res, target, uploadBucket);
    if (target.bucket === "") return refuse(403, "AccessDenied", "Access Denied");

    const has = (name: string): boolean => target.query.some(([n]) => n === name);
    if (target.key === undefined && method === "POST" && target.query.length === 0) {
      return postForm(req, res, target.bucket);
    }
    const auth = verifySigV4(
      { method, rawUrl: req.url ?? "/", headers: req.headers },
      { credentials, region, service: "s3", now: Date.now(), presigned: true },
    );
    if (!auth.ok) return refuse(auth.status, auth.code, auth.message);

    if (target.key === undefined) {
      // Listing and reading the bucket; its configuration, and the bucket itself, belong to the deployment.
      if ((method === "GET" || method === "HEAD") && !target.query.some(([n]) => BUCKET_CONFIG.has(n)))
        return forward(req, res);
      return refuse(403, "AccessDenied", "Access Denied");
    }
    const problem = subresourceProblem(req, target, buckets);
    if (problem) return refuse(400, "InvalidArgument", problem);

    const write = objectWrite(method, has);
    if (!write) return forward(req, res);
    // Held until the response is done: a second write to the key checks its condition only after this one landed.
    const release = await lockKey(`${target.bucket}/${target.key}`);
    res.once("close", release);
    if (write.conditional) {
      const condition = parsePreconditions(req.headers);
      if (!condition.ok) return refuse(condition.status, condition.code, condition.message);
      if (method === "DELETE" && condition.value.ifNoneMatch)
        return refuse(501, "NotImplemented", "A header you provided implies functionality that is not implemented");
      const verdict = checkPrecondition(condition.value, await currentETag(target.bucket, target.key));
      if (!verdict.ok) return refuse(verdict.status, verdict.code, verdict.message, { Condition: verdict.condition });
    }
    forward(req, res);
  };

  async function postForm(req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
    const form = await readForm(req, (fields) =>
      checkPostPolicy(fields, { bucket, credentials, region, now: Date.now() }),
    );
    const origin = req.headers.origin;
    if (!form.ok) {
      if (origin !== undefined && bucket === uploadBucket) {
        res.setHeader("Access-Control-Allow-Origin", origin);
        res.setHeader("Vary", "Origin");
      }
      return sendError(res, req.method, form.status, form.code, form.message);
    }
    const key = form.fields.get("key") ?? "";
    const problem = keyProblem(key);
    if (problem) return sendError(res, req.method, 400, "InvalidArgument", problem);
    const release = await lockKey(`${bucket}/${key}`);
    res.once("close", release);
    // s3rver stores the form and emits its ObjectCreated:Post event; it reads the body the gate already read.
    const replay = Object.assign(Readable.from([form.raw]), {
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      httpVersionMajor: req.httpVersionMajor,
      httpVersionMinor: req.httpVersionMinor,
      socket: req.socket,
      connection: req.socket,
      complete: true,
    });
    forward(replay as unknown as IncomingMessage, res);
  }
}

/** A CORS preflight, answered from the Upload bucket's rule (the page PUTs or POSTs a photo); S3 echoes the origin. */
function preflight(req: IncomingMessage, res: ServerResponse, target: S3Target, uploadBucket: string): void {
  const origin = req.headers.origin;
  const requestMethod = req.headers["access-control-request-method"];
  if (origin === undefined || requestMethod === undefined)
    return sendError(res, "OPTIONS", 400, "BadRequest", "Insufficient information. Origin request header needed.");
  const requested = (req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowed =
    target.bucket === uploadBucket &&
    ["PUT", "POST"].includes(requestMethod) &&
    requested.every((h) => h === "content-type");
  if (!allowed)
    return sendError(res, "OPTIONS", 403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.");
  res.writeHead(200, {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "PUT, POST",
    ...(requested.length > 0 ? { "Access-Control-Allow-Headers": requested.join(", ") } : {}),
    "Access-Control-Max-Age": "3000",
    Vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    "Content-Length": "0",
  });
  res.end();
}

/**
 * What s3rver would otherwise take on trust and join into a path: a multipart upload id and part number, and a
 * copy's source object.
 */
function subresourceProblem(req: IncomingMessage, target: S3Target, buckets: readonly string[]): string | undefined {
  const value = (name: string): string | undefined => target.query.find(([n]) => n === name)?.[1];
  const uploadId = value("uploadId");
  if (uploadId !== undefined && !/^[0-9a-f]{32}$/.test(uploadId)) return "uploadId is not one this server issued";
  const part = value("partNumber");
  if (part !== undefined && !(/^[1-9]\d{0,4}$/.test(part) && Number(part) <= 10000))
    return "partNumber must be an integer from 1 to 10000";
  const source = req.headers["x-amz-copy-source"];
  if (source !== undefined) {
    const raw = (Array.isArray(source) ? source[0] : source).replace(/^\//, "").split("?")[0];
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return "x-amz-copy-source is not URL-encoded correctly";
    }
    const slash = decoded.indexOf("/");
    if (slash < 0 || !buckets.includes(decoded.slice(0, slash)))
      return "x-amz-copy-source names no bucket of this stack";
    const problem = keyProblem(decoded.slice(slash + 1));
    if (problem) return `x-amz-copy-source: ${problem}`;
  }
  return undefined;
}

/**
 * Whether the request replaces or removes an object's content, and whether S3 evaluates preconditions on it
 * (PutObject, CopyObject, CompleteMultipartUpload; DeleteObject takes If-Match only).
 */
function objectWrite(method: string, has: (name: string) => boolean): { conditional: boolean } | undefined {
  if (method === "PUT" && !has("tagging") && !has("uploadId")) return { conditional: true };
  if (method === "POST" && has("uploadId")) return { conditional: true };
  if (method === "DELETE" && !has("tagging") && !has("uploadId")) return { conditional: true };
  return undefined;
}

const INCOMING = /\.incoming-[0-9a-f]{12}$/;

/** Temporary files of writes a crash interrupted: never objects (the client was not told they were stored). */
async function removeUnfinishedWrites(bucketDir: string): Promise<void> {
  const names = await readdir(bucketDir, { recursive: true });
  await Promise.all(names.filter((n) => INCOMING.test(n)).map((n) => rm(path.join(bucketDir, n), { force: true })));
}

/**
 * s3rver writes an object in place, so a reader or a crash mid-write meets half a photo. Written to a temporary
 * file beside it and renamed, an object is either the old one or the new one, whole.
 */
function writeObjectsWhole(s3rver: S3rver): void {
  const store = s3rver.store;
  const putContent = store.putContent.bind(store);
  store.putContent = async (objectPath, content) => {
    const temp = `${objectPath}.incoming-${randomBytes(6).toString("hex")}`;
    try {
      const result = await putContent(temp, content);
      await rename(temp, objectPath);
      return result;
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  };
}

function sendError(
  res: ServerResponse,
  method: string | undefined,
  status: number,
  code: string,
  message: string,
  detail: Record<string, string> = {},
): void {
  const extra = Object.entries(detail)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join("");
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
    `${extra}<RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
  res.end(method === "HEAD" ? undefined : body);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
