import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * AWS Signature Version 4, checked as the services check it: the local S3 server (header or presigned query) and
 * the IoT bridge (header) accept a request only when it was signed with the stack's own secret, for their service
 * and region, within its validity. Pure: the caller gives the clock and, where the service hashes the body
 * itself, the body's SHA-256.
 */

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SigV4Rules {
  credentials: Credentials;
  region: string;
  service: string;
  now: number;
  /** Presigned URLs (query-string authentication) are accepted: S3 yes, IoT Data Plane no. */
  presigned: boolean;
  /** The body's SHA-256 (hex), for services whose signers do not send x-amz-content-sha256. */
  payloadHash?: string;
}

export interface SignedRequest {
  method: string;
  /** the request target exactly as received: path and query, still encoded */
  rawUrl: string;
  headers: IncomingHttpHeaders;
}

export type Verdict = { ok: true } | { ok: false; status: number; code: string; message: string };

const DENIED = { ok: false as const, status: 403, code: "AccessDenied", message: "Access Denied" };
/** How far a header-signed request's clock may be from ours (S3's limit; IoT uses the same here). */
const MAX_SKEW_MS = 15 * 60 * 1000;
const ALGORITHM = "AWS4-HMAC-SHA256";

export function verifySigV4(req: SignedRequest, rules: SigV4Rules): Verdict {
  const q = req.rawUrl.indexOf("?");
  const rawPath = q < 0 ? req.rawUrl : req.rawUrl.slice(0, q);
  const query = parseQuery(q < 0 ? "" : req.rawUrl.slice(q + 1));
  if (!query) return fail(400, "InvalidArgument", "malformed query string");
  const param = (name: string): string | undefined => query.find(([n]) => n === name)?.[1];
  const authorization = header(req.headers, "authorization");
  const inQuery = param("X-Amz-Algorithm") !== undefined;

  if (authorization !== undefined && inQuery)
    return fail(
      400,
      "InvalidArgument",
      "Only one auth mechanism allowed; the X-Amz-Algorithm query parameter or the Authorization header",
    );
  if (authorization === undefined && !inQuery) return DENIED;
  if (inQuery && !rules.presigned) return DENIED;

  let auth: { algorithm: string; credential: string; signedHeaders: string; signature: string; amzDate: string };
  if (inQuery) {
    const fields = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"];
    const values = fields.map(param);
    if (values.some((v) => v === undefined) || param("X-Amz-Expires") === undefined)
      return fail(
        400,
        "AuthorizationQueryParametersError",
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
      );
    const [algorithm, credential, signedHeaders, signature, amzDate] = values as string[];
    auth = { algorithm, credential, signedHeaders, signature, amzDate };
  } else {
    const m = /^(\S+) Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/.exec(
      authorization as string,
    );
    if (!m) return fail(400, "AuthorizationHeaderMalformed", "The authorization header is malformed.");
    const amzDate = header(req.headers, "x-amz-date");
    if (amzDate === undefined)
      return fail(403, "AccessDenied", "AWS authentication requires a valid x-amz-date header");
    auth = { algorithm: m[1], credential: m[2], signedHeaders: m[3], signature: m[4], amzDate };
  }
  if (auth.algorithm !== ALGORITHM) return fail(400, "InvalidArgument", `Unsupported algorithm; only ${ALGORITHM}`);

  const scope = auth.credential.split("/");
  if (scope.length !== 5) return fail(400, "AuthorizationHeaderMalformed", "malformed credential scope");
  const [accessKeyId, date, region, service, terminator] = scope;
  if (accessKeyId !== rules.credentials.accessKeyId)
    return fail(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  if (region !== rules.region)
    return fail(400, "AuthorizationHeaderMalformed", `the region '${region}' is wrong; expecting '${rules.region}'`);
  if (service !== rules.service || terminator !== "aws4_request")
    return fail(400, "AuthorizationHeaderMalformed", `the credential scope must be for ${rules.service}/aws4_request`);

  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === undefined || auth.amzDate.slice(0, 8) !== date)
    return fail(403, "AccessDenied", "X-Amz-Date must be yyyyMMddTHHmmssZ and match the credential's date");
  if (inQuery) {
    const expires = Number(param("X-Amz-Expires"));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800)
      return fail(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800 seconds");
    if (rules.now > signedAt + expires * 1000) return fail(403, "AccessDenied", "Request has expired");
    if (signedAt > rules.now + MAX_SKEW_MS) return fail(403, "AccessDenied", "Request is not valid yet");
  } else if (Math.abs(rules.now - signedAt) > MAX_SKEW_MS) {
    return fail(
      403,
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
    );
  }

  const signedHeaders = auth.signedHeaders.split(";");
  if (!signedHeaders.includes("host")) return fail(403, "AccessDenied", "the host header must be signed");
  if (signedHeaders.some((name) => name !== name.toLowerCase() || header(req.headers, name) === undefined))
    return fail(403, "AccessDenied", "a signed header is missing from the request");
  if (inQuery) {
    // A presigned URL fixes what may ride along: S3 refuses x-amz-* headers its signature does not cover.
    const unsigned = Object.keys(req.headers).filter((n) => n.startsWith("x-amz-") && !signedHeaders.includes(n));
    if (unsigned.length > 0)
      return fail(
        403,
        "AccessDenied",
        `There were headers present in the request which were not signed: ${unsigned.join(", ")}`,
      );
  }

  let payloadHash: string;
  // S3's presigned URLs leave the payload unsigned; IoT's signed WebSocket URL signs the empty body's hash.
  if (inQuery) payloadHash = param("X-Amz-Content-Sha256") ?? rules.payloadHash ?? "UNSIGNED-PAYLOAD";
  else if (rules.payloadHash !== undefined) payloadHash = rules.payloadHash;
  else {
    const declared = header(req.headers, "x-amz-content-sha256");
    if (declared === undefined)
      return fail(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    payloadHash = declared;
  }

  const canonicalRequest = [
    req.method,
    canonicalPath(rawPath, rules.service === "s3"),
    query
      .filter(([name]) => !(inQuery && name === "X-Amz-Signature"))
      .map(([name, value]) => [awsEncode(name), awsEncode(value)])
      .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join("&"),
    signedHeaders.map((name) => `${name}:${canonicalHeaderValue(header(req.headers, name) as string)}\n`).join(""),
    auth.signedHeaders,
    payloadHash,
  ].join("\n");
  const stringToSign = [ALGORITHM, auth.amzDate, scope.slice(1).join("/"), sha256Hex(canonicalRequest)].join("\n");
  const expected = createHmac("sha256", signingKey(rules.credentials.secretAccessKey, date, region, service))
    .update(stringToSign)
    .digest("hex");
  if (!sameHex(expected, auth.signature))
    return fail(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    );
  return { ok: true };
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const dateKey = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  const regionKey = createHmac("sha256", dateKey).update(region).digest();
  const serviceKey = createHmac("sha256", regionKey).update(service).digest();
  return createHmac("sha256", serviceKey).update("aws4_request").digest();
}

export function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(given, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** yyyyMMddTHHmmssZ as milliseconds, or undefined. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(t) ? undefined : t;
}

export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ escaped. */
const awsEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * S3 signs the path once-encoded as sent; every other service signs the already-encoded path encoded again
 * (the SDK's uriEscapePath), so a topic's `%2F` is signed as `%252F`.
 */
function canonicalPath(rawPath: string, s3: boolean): string {
  return rawPath
    .split("/")
    .map((segment) => {
      if (!s3) return awsEncode(segment);
      try {
        return awsEncode(decodeURIComponent(segment));
      } catch {
        return segment;
      }
    })
    .join("/");
}

/** A raw query string's name-value pairs, decoded; undefined when one is malformed. */
export function parseQuery(raw: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    try {
      pairs.push([
        decodeURIComponent(eq < 0 ? part : part.slice(0, eq)),
        decodeURIComponent(eq < 0 ? "" : part.slice(eq + 1)),
      ]);
    } catch {
      return undefined;
    }
  }
  return pairs;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

const canonicalHeaderValue = (value: string): string => value.trim().replace(/\s+/g, " ");

const fail = (status: number, code: string, message: string): Verdict => ({ ok: false, status, code, message });
