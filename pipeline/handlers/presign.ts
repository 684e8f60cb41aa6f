import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { s3Client } from "../clients";
import { loadConfig, requireSetting } from "../config";
import type { StageConfig } from "../config";
import { errorMessage, log } from "../log";

/**
 * GET /Upload: a fresh photo name and two short-lived ways to upload it straight to the Upload bucket: a
 * presigned PUT (`uploadURL`, the workshop front-end's contract) and a presigned POST form (`uploadForm`). Both
 * sign the Content-Type; only the form can bound the size, so S3 itself refuses an oversized upload.
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const config = loadConfig();
  const cors = corsHeaders(config, headerValue(event.headers, "origin"));
  if (event.httpMethod === "OPTIONS") return { statusCode: 204, headers: cors, body: "" };
  if (event.httpMethod !== "GET") return json(405, { message: "use GET" }, { ...cors, Allow: "GET, OPTIONS" });

  const photoFilename = `${randomUUID()}.jpg`;
  try {
    const bucket = requireSetting(config, "uploadBucket", "UPLOAD_BUCKET");
    const s3 = s3Client(config);
    const uploadURL = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: bucket, Key: photoFilename, ContentType: "image/jpeg" }),
      // Signing the header (rather than leaving it out) makes S3 refuse a PUT of any other type.
      { expiresIn: config.uploadUrlExpiresSeconds, signableHeaders: new Set(["content-type"]) },
    );
    // The policy also holds `{"key": ...}`, `{"bucket": ...}` and each field below as exact matches.
    const uploadForm = await createPresignedPost(s3, {
      Bucket: bucket,
      Key: photoFilename,
      Fields: { "Content-Type": "image/jpeg" },
      Conditions: [["content-length-range", 1, config.maxUploadBytes]],
      Expires: config.uploadUrlExpiresSeconds,
    });
    log("info", "upload url issued", {
      stage: "presign",
      photoId: photoFilename.slice(0, -4),
      expiresIn: config.uploadUrlExpiresSeconds,
    });
    return json(200, { uploadURL, photoFilename, uploadForm }, cors);
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
