import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { toApiGatewayEvent } from "./apigw-event";
import type { IdentityPool } from "./cognito-identity";
import { hostAllowed } from "./host-check";
import { parsePublishRequest, MAX_PAYLOAD_BYTES } from "./iot-bridge";
import { sha256Hex, verifySigV4 } from "./sigv4";
import type { Credentials } from "./sigv4";
import { PAGE_CONTENT_TYPES } from "./page-files";
import { isJpeg, photoKeyFromPath } from "./photo-path";

/** The same shape the Pulumi program outputs as `frontendConfig` (the cloud one adds `identityPoolId`). */
export interface FrontendConfig {
  uploadUrl: string;
  mqttUrl: string;
  topic: string;
  /** Whether notifications also go to `topic` itself; each photo's own topic is `<topic>/<photoId>` either way. */
  broadcast: boolean;
  region: string;
  imageBaseUrl: string;
  /** The cloud's (and the cloud-like local stack's) Cognito identity pool for browsers. */
  identityPoolId?: string;
  /** Only the cloud-like local stack: where Cognito Identity answers (else cognito-identity.<region>.amazonaws.com). */
  identityEndpoint?: string;
}

export interface StoredImage {
  body: Uint8Array;
  eTag?: string;
  cacheControl?: string;
}

export interface WebServerDeps {
  presign(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  /** The Final bucket object, or undefined when there is none. */
  getFinalImage(key: string): Promise<StoredImage | undefined>;
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** The only signer the IoT bridge accepts: the stack's credentials, in its region. */
  iotSigner: { credentials: Credentials; region: string };
  frontendConfig: FrontendConfig;
  /** Origins the page may be served from (ALLOWED_ORIGINS); their hosts, and loopback names, may be the Host. */
  allowedOrigins: readonly string[];
  webDir: string;
  mqttClientScript: string;
  /** Cloud-like mode: the Cognito Identity endpoint the page gets its credentials from. */
  identityPool?: IdentityPool;
  log(line: string): void;
}

/** Where the cloud-like stack answers Cognito Identity's JSON calls (frontendConfig.identityEndpoint). */
export const IDENTITY_PATH = "/cognito-identity/";

/**
 * The local stand-ins for API Gateway (/Upload), CloudFront (/photos), the IoT data endpoint (/topics) and the
 * static front-end, on one HTTP server. The MQTT WebSocket shares the server through its upgrade event.
 */
export function createRequestListener(deps: WebServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    res.on("finish", () =>
      deps.log(`${req.method} ${req.url} ${res.statusCode} ${Math.round(performance.now() - started)}ms`),
    );
    route(deps, req, res).catch((err: unknown) => {
      deps.log(`error serving ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) send(res, 500, { "Content-Type": "text/plain; charset=utf-8" }, "internal error\n");
      else res.destroy();
    });
  };
}

async function route(deps: WebServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const pathname = (req.url ?? "/").split("?")[0];
  if (!hostAllowed(req.headers.host, deps.allowedOrigins))
    return send(res, 421, { "Content-Type": "text/plain; charset=utf-8" }, "misdirected request\n", method);

  if (pathname === "/Upload") return presign(deps, req, res);
  if (pathname === IDENTITY_PATH && deps.identityPool) return identity(deps.identityPool, req, res);
  if (pathname.startsWith("/topics/")) return bridgePublish(deps, req, res);
  if (method !== "GET" && method !== "HEAD") {
    return send(res, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }, "method not allowed\n");
  }
  if (pathname.startsWith("/photos/")) return servePhoto(deps, pathname.slice("/photos/".length), method, res);
  if (pathname === "/frontend-config.json") {
    return send(
      res,
      200,
      { "Content-Type": "application/json", "Cache-Control": "no-store" },
      JSON.stringify(deps.frontendConfig),
      method,
    );
  }
  if (pathname === "/vendor/mqtt.min.js") return serveFile(deps.mqttClientScript, ".js", method, res);
  const name = pathname === "/" ? "index.html" : pathname.slice(1);
  // Only plain file names directly in the web folder: nothing else on disk is reachable.
  if (/^[a-z0-9][a-z0-9-]*\.[a-z]+$/.test(name) && PAGE_CONTENT_TYPES[path.extname(name)]) {
    return serveFile(path.join(deps.webDir, name), path.extname(name), method, res);
  }
  return send(res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "not found\n", method);
}

async function presign(deps: WebServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, 64 * 1024);
  if (body === undefined) return send(res, 413, { "Content-Type": "text/plain; charset=utf-8" }, "request too large\n");
  const event = toApiGatewayEvent(
    {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      body: body.length > 0 ? body.toString("utf8") : null,
      sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      now: Date.now(),
      requestId: randomUUID(),
    },
    "/Upload",
  );
  const result = await deps.presign(event);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values.map(String);
  const payload = result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body;
  send(res, result.statusCode, headers, payload, req.method);
}

/** Cognito Identity's public calls, unsigned, open to any origin as the real endpoint is. */
async function identity(pool: IdentityPool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cors = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "content-type, x-amz-target, x-amz-user-agent",
  };
  if (req.method === "OPTIONS") return send(res, 204, cors, "");
  if (req.method !== "POST") return send(res, 405, { ...cors, Allow: "POST, OPTIONS" }, "");
  const body = await readBody(req, 64 * 1024);
  let input: unknown;
  try {
    input = JSON.parse(body?.toString("utf8") || "{}");
  } catch {
    input = undefined;
  }
  const target = req.headers["x-amz-target"];
  const answer = pool.call(typeof target === "string" ? target : undefined, input, Date.now());
  send(res, answer.status, { ...cors, "Content-Type": "application/x-amz-json-1.1" }, JSON.stringify(answer.body));
}

async function bridgePublish(deps: WebServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, MAX_PAYLOAD_BYTES);
  const parsed = parsePublishRequest(
    req.method ?? "GET",
    req.url ?? "/",
    req.headers.authorization,
    body?.length ?? MAX_PAYLOAD_BYTES + 1,
  );
  const refuse = (status: number, error: string, message: string): void =>
    send(res, status, { "Content-Type": "application/json", "x-amzn-ErrorType": error }, JSON.stringify({ message }));
  if (!parsed.ok) return refuse(parsed.status, parsed.error, parsed.message);
  // The signature itself, not just its shape: only the stages (holding the stack's key) may publish.
  const signed = verifySigV4(
    { method: req.method ?? "POST", rawUrl: req.url ?? "/", headers: req.headers },
    { ...deps.iotSigner, service: "iotdata", now: Date.now(), presigned: false, payloadHash: sha256Hex(body ?? "") },
  );
  if (!signed.ok) return refuse(403, "ForbiddenException", signed.message);
  await deps.publish(parsed.topic, body ?? Buffer.alloc(0), parsed.qos);
  send(res, 200, { "Content-Type": "application/json" }, "{}");
}

async function servePhoto(deps: WebServerDeps, encodedKey: string, method: string, res: ServerResponse): Promise<void> {
  const key = photoKeyFromPath(encodedKey);
  if (key === undefined) return send(res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "not found\n", method);
  const image = await deps.getFinalImage(key);
  if (!image || !isJpeg(image.body))
    return send(res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "not found\n", method);
  const headers: Record<string, string> = {
    "Content-Type": "image/jpeg",
    "X-Content-Type-Options": "nosniff",
    // Even opened on its own, the response may run nothing and load nothing.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    // The page may show it from any origin, as from the CDN.
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": image.cacheControl ?? "public, max-age=86400",
  };
  if (image.eTag) headers.ETag = image.eTag;
  send(res, 200, headers, Buffer.from(image.body.buffer, image.body.byteOffset, image.body.byteLength), method);
}

async function serveFile(file: string, ext: string, method: string, res: ServerResponse): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return send(res, 404, { "Content-Type": "text/plain; charset=utf-8" }, "not found\n", method);
  }
  send(
    res,
    200,
    { "Content-Type": PAGE_CONTENT_TYPES[ext] ?? "application/octet-stream", "Cache-Control": "no-cache" },
    body,
    method,
  );
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer,
  method?: string,
): void {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, "Content-Length": String(bytes.length) });
  res.end(method === "HEAD" ? undefined : bytes);
}

/** The request body, or undefined when it is longer than `limit` bytes. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
