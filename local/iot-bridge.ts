/**
 * The AWS IoT Data Plane `Publish` call as the SDK sends it to a custom endpoint:
 * `POST /topics/{url-encoded topic}?qos=N`, the payload as the body, signed with SigV4 for "iotdata".
 * Parsing is pure so the rules IoT applies (no wildcards, qos 0 or 1, 128 KB) are checked like the service does.
 */
export const MAX_PAYLOAD_BYTES = 128 * 1024;

export type PublishRequest =
  { ok: true; topic: string; qos: 0 | 1 } | { ok: false; status: number; error: string; message: string };

export function parsePublishRequest(
  method: string,
  url: string,
  authorization: string | undefined,
  bodyBytes: number,
): PublishRequest {
  const parsed = new URL(url, "http://local");
  const match = /^\/topics\/([^/]+)$/.exec(parsed.pathname);
  if (method !== "POST" || !match)
    return { ok: false, status: 404, error: "ResourceNotFoundException", message: "no such route" };
  // IoT refuses unsigned calls; checking the scheme keeps a handler that forgot credentials from passing locally.
  if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/iotdata\/aws4_request/.test(authorization ?? "")) {
    return {
      ok: false,
      status: 403,
      error: "ForbiddenException",
      message: "missing or invalid SigV4 signature for iotdata",
    };
  }
  let topic: string;
  try {
    topic = decodeURIComponent(match[1]);
  } catch {
    return { ok: false, status: 400, error: "InvalidRequestException", message: "topic is not URL-encoded correctly" };
  }
  if (topic === "" || /[+#]/.test(topic) || Buffer.byteLength(topic) > 256) {
    return { ok: false, status: 400, error: "InvalidRequestException", message: `invalid topic name "${topic}"` };
  }
  const qosParam = parsed.searchParams.get("qos") ?? "0";
  if (qosParam !== "0" && qosParam !== "1") {
    return {
      ok: false,
      status: 400,
      error: "InvalidRequestException",
      message: `qos must be 0 or 1, got "${qosParam}"`,
    };
  }
  if (bodyBytes > MAX_PAYLOAD_BYTES) {
    return { ok: false, status: 413, error: "RequestEntityTooLargeException", message: "payload exceeds 128 KB" };
  }
  return { ok: true, topic, qos: qosParam === "1" ? 1 : 0 };
}
