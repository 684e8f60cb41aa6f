import type { IncomingHttpHeaders } from "node:http";
import type { IssuedCredentials } from "./cognito-identity";
import { sha256Hex, verifySigV4 } from "./sigv4";

export interface SignedWebSocketRules {
  region: string;
  /** The temporary credentials issued under an access key id, while valid. */
  lookup(accessKeyId: string, now: number): IssuedCredentials | undefined;
}

export type WebSocketVerdict = { ok: true; identityId: string } | { ok: false; reason: string };

/**
 * IoT Core's check of a browser's MQTT-over-WebSocket URL: presigned with SigV4 for `iotdevicegateway` (the host
 * header signed, the empty body's hash), by temporary credentials whose session token rides in
 * X-Amz-Security-Token, which IoT leaves out of the signature: it is appended after signing.
 */
export function verifySignedWebSocket(
  rawUrl: string,
  headers: IncomingHttpHeaders,
  rules: SignedWebSocketRules,
  now: number,
): WebSocketVerdict {
  const q = rawUrl.indexOf("?");
  if (q < 0) return { ok: false, reason: "the WebSocket URL is not signed" };
  const params = rawUrl.slice(q + 1).split("&");
  const tokenParam = params.find((p) => p.startsWith("X-Amz-Security-Token="));
  const credential = params.find((p) => p.startsWith("X-Amz-Credential="));
  if (!tokenParam || !credential) return { ok: false, reason: "no credential or session token in the URL" };
  let token: string;
  let accessKeyId: string;
  try {
    token = decodeURIComponent(tokenParam.slice("X-Amz-Security-Token=".length));
    accessKeyId = decodeURIComponent(credential.slice("X-Amz-Credential=".length)).split("/")[0];
  } catch {
    return { ok: false, reason: "malformed query string" };
  }
  const issued = rules.lookup(accessKeyId, now);
  if (!issued || issued.sessionToken !== token) return { ok: false, reason: "unknown or expired credentials" };
  const signedPart = `${rawUrl.slice(0, q)}?${params.filter((p) => p !== tokenParam).join("&")}`;
  const verdict = verifySigV4(
    { method: "GET", rawUrl: signedPart, headers },
    {
      credentials: issued,
      region: rules.region,
      service: "iotdevicegateway",
      now,
      presigned: true,
      payloadHash: sha256Hex(""),
    },
  );
  return verdict.ok ? { ok: true, identityId: issued.identityId } : { ok: false, reason: verdict.message };
}
