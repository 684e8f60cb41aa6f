import S3rver from "@20minutes/s3rver";
import { randomBytes, randomUUID } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createKeyLock } from "./key-lock";
import { checkPrecondition, parsePreconditions, parseTarget } from "./s3-request";
import type { S3Target } from "./s3-request";

/** The credentials s3rver accepts (its built-in account); local only, never a secret. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  buckets: { upload: string; processing: string; final: string };
  /** Origins the Upload bucket's CORS lets PUT (["*"] for any). */
  allowedOrigins: readonly string[];
  onEvent(event: unknown): void;
}

export interface S3Server {
  port: number;
  close(): Promise<void>;
}

/**
 * The Upload bucket's CORS, as the cloud bucket has it: the browser PUTs the photo to the presigned URL from the
 * page's origin with a Content-Type header, and may read the ETag.
 */
export function uploadCorsXml(allowedOrigins: readonly string[]): string {
  const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const origins = allowedOrigins.map((o) => `<AllowedOrigin>${escape(o)}</AllowedOrigin>`).join("");
  return (
    `<CORSConfiguration><CORSRule>${origins}<AllowedMethod>PUT</AllowedMethod>` +
    `<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>` +
    `<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`
  );
}

/**
 * s3rver behind a gate of the stack's own. s3rver stores objects and emits S3 events; the gate adds what a
 * private S3 bucket does and s3rver does not: only the stack's buckets exist, keys stay inside their bucket's
 * folder, and writes honour `If-None-Match: *` / `If-Match` atomically (one write per key at a time, the
 * condition checked while it holds the key).
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const s3rver = new S3rver({
    directory: options.dataDir,
    // Its per-request log is noise next to the stage logs; the stack logs each created object instead.
    silent: true,
    resetOnClose: false,
    // Path-style only: a Host header must never choose the folder.
    vhostBuckets: false,
    configureBuckets: [
      { name: options.buckets.upload, configs: [uploadCorsXml(options.allowedOrigins)] },
      { name: options.buckets.processing },
      { name: options.buckets.final },
    ],
  });
  writeObjectsWhole(s3rver);
  s3rver.on("event", options.onEvent);
  await s3rver.configureBuckets();
  const gate = createGate(s3rver, Object.values(options.buckets));

  const http = createServer((req, res) => {
    gate(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, req.method, 500, "InternalError", errorText(err));
      else res.destroy();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => {
      http.off("error", reject);
      resolve((http.address() as AddressInfo).port);
    });
  });
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // The SDK keeps connections alive; without this, close would wait for them to time out.
      http.closeAllConnections();
      await closed;
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
    },
  };
}

type Gate = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function createGate(s3rver: S3rver, buckets: readonly string[]): Gate {
  const forward = s3rver.callback();
  const lockKey = createKeyLock();

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
    const parsed = parseTarget(req.url ?? "/", buckets);
    if (!parsed.ok) return sendError(res, method, parsed.status, parsed.code, parsed.message);
    const target = parsed.value;

    const write = objectWrite(method, target);
    if (!write) return forward(req, res);

    // Held until the response is done: a second write to the key checks its condition only after this one landed.
    const release = await lockKey(`${target.bucket}/${target.key}`);
    res.once("close", release);
    if (write.conditional) {
      const condition = parsePreconditions(req.headers);
      if (!condition.ok) return sendError(res, method, condition.status, condition.code, condition.message);
      const verdict = checkPrecondition(condition.value, await currentETag(target.bucket, target.key as string));
      if (!verdict.ok) {
        return sendError(res, method, verdict.status, verdict.code, verdict.message, { Condition: verdict.condition });
      }
    }
    forward(req, res);
  };
}

/**
 * Whether the request replaces or removes an object's content, and whether S3 evaluates preconditions on it
 * (PutObject, CopyObject, CompleteMultipartUpload do; DeleteObject is serialised but unconditional here).
 */
function objectWrite(method: string, target: S3Target): { conditional: boolean } | undefined {
  if (target.key === undefined) return undefined;
  const has = (name: string): boolean => target.query.some(([n]) => n === name);
  if (method === "PUT" && !has("tagging") && !has("uploadId")) return { conditional: true };
  if (method === "POST" && has("uploadId")) return { conditional: true };
  if (method === "DELETE" && !has("tagging") && !has("uploadId")) return { conditional: false };
  return undefined;
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
  const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const extra = Object.entries(detail)
    .map(([name, value]) => `<${name}>${escape(value)}</${name}>`)
    .join("");
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escape(message)}</Message>` +
    `${extra}<RequestId>${randomUUID()}</RequestId></Error>`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
  res.end(method === "HEAD" ? undefined : body);
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
