import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { s3Client } from "../clients";
import { loadConfig, requireSetting } from "../config";
import type { StageConfig } from "../config";
import { errorMessage, log } from "../log";

/**
 * GET /Upload: a fresh photo name and a short-lived presigned PUT for it, so the browser uploads straight to
 * the Upload bucket. The Content-Type is signed: the bucket takes only what the front-end says it sends.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const config = loadConfig();
  const cors = corsHeaders(config, headerValue(event.headers, "origin"));
  if (event.httpMethod === "OPTIONS") return { statusCode: 204, headers: cors, body: "" };
  if (event.httpMethod !== "GET") return json(405, { message: "use GET" }, { ...cors, Allow: "GET, OPTIONS" });

  const photoFilename = `${randomUUID()}.jpg`;
  try {
    const bucket = requireSetting(config, "uploadBucket", "UPLOAD_BUCKET");
    const uploadURL = await getSignedUrl(
      s3Client(config),
      new PutObjectCommand({ Bucket: bucket, Key: photoFilename, ContentType: "image/jpeg" }),
      // Signing the header (rather than leaving it out) makes S3 refuse a PUT of any other type.
      { expiresIn: config.uploadUrlExpiresSeconds, signableHeaders: new Set(["content-type"]) },
    );
    log("info", "upload url issued", {
      stage: "presign",
      photoId: photoFilename.slice(0, -4),
      expiresIn: config.uploadUrlExpiresSeconds,
    });
    return json(200, { uploadURL, photoFilename }, cors);
  } catch (err) {
    log("error", "could not sign an upload url", { stage: "presign", error: errorMessage(err) });
    return json(500, { message: "could not prepare an upload; please try again" }, cors);
  }
}

export function corsHeaders(config: StageConfig, origin: string | undefined): Record<string, string> {
  const anyOrigin = config.allowedOrigins.includes("*");
  const allowed = anyOrigin ? "*" : origin !== undefined && config.allowedOrigins.includes(origin) ? origin : undefined;
  return {
    ...(allowed ? { "Access-Control-Allow-Origin": allowed } : {}),
    "Access-Control-Allow-Methods": "GET, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
    ...(anyOrigin ? {} : { Vary: "Origin" }),
  };
}

function headerValue(headers: APIGatewayProxyEvent["headers"] | null | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value ?? undefined;
  }
  return undefined;
}

function json(statusCode: number, body: unknown, headers: Record<string, string>): APIGatewayProxyResult {
  // A signed URL is single-use by intent: never let a cache hand the same one to two guests.
  return {
    statusCode,
    headers: { ...headers, "Content-Type": "application/json", "Cache-Control": "no-store" },
    body: JSON.stringify(body),
  };
}
