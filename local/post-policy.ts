import { createHmac } from "node:crypto";
import { parseAmzDate, sameHex, signingKey } from "./sigv4";
import type { Credentials, Verdict } from "./sigv4";

/**
 * A browser upload through an HTML form (S3 POST Object), checked as S3 checks it: the form carries a policy
 * (base64 JSON: expiration and conditions) signed with SigV4; the policy must not have expired, every condition
 * must hold for the submitted fields and file, and every field the form submits must be named by a condition.
 */

export interface PolicyRules {
  bucket: string;
  credentials: Credentials;
  region: string;
  now: number;
}

export interface PolicyLimits {
  /** from content-length-range, when the policy has one */
  minBytes: number;
  maxBytes: number;
}

/** Fields whose names S3 never requires a condition for. */
const EXEMPT = new Set(["policy", "x-amz-signature", "file"]);

/**
 * Checks the signature and every condition that does not depend on the file's size; gives the size bounds to
 * enforce while the file streams in. `fields` are the form fields before the file, names lower-cased.
 */
export function checkPostPolicy(
  fields: ReadonlyMap<string, string>,
  rules: PolicyRules,
): Verdict & { limits?: PolicyLimits } {
  const policy = fields.get("policy");
  const signature = fields.get("x-amz-signature");
  if (policy === undefined || signature === undefined) return denied("Access Denied");
  if (fields.get("x-amz-algorithm") !== "AWS4-HMAC-SHA256")
    return invalid("InvalidArgument", "x-amz-algorithm must be AWS4-HMAC-SHA256");
  const scope = (fields.get("x-amz-credential") ?? "").split("/");
  const amzDate = fields.get("x-amz-date") ?? "";
  if (scope.length !== 5 || scope[4] !== "aws4_request" || scope[3] !== "s3")
    return invalid("InvalidArgument", "x-amz-credential must be <key>/<date>/<region>/s3/aws4_request");
  if (scope[0] !== rules.credentials.accessKeyId)
    return {
      ok: false,
      status: 403,
      code: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
    };
  if (scope[2] !== rules.region)
    return invalid("AuthorizationHeaderMalformed", `the region '${scope[2]}' is wrong; expecting '${rules.region}'`);
  if (parseAmzDate(amzDate) === undefined || amzDate.slice(0, 8) !== scope[1])
    return invalid("InvalidArgument", "x-amz-date must be yyyyMMddTHHmmssZ and match the credential's date");
  const expected = createHmac("sha256", signingKey(rules.credentials.secretAccessKey, scope[1], scope[2], "s3"))
    .update(policy)
    .digest("hex");
  if (!sameHex(expected, signature))
    return {
      ok: false,
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
    };

  let document: { expiration?: unknown; conditions?: unknown };
  try {
    document = JSON.parse(Buffer.from(policy, "base64").toString("utf8")) as typeof document;
  } catch {
    return invalid("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.");
  }
  const expiration = typeof document?.expiration === "string" ? Date.parse(document.expiration) : NaN;
  if (Number.isNaN(expiration)) return invalid("InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.");
  if (!Array.isArray(document.conditions))
    return invalid("InvalidPolicyDocument", "Invalid Policy: Policy missing conditions.");
  if (rules.now > expiration) return denied("Invalid according to Policy: Policy expired.");

  const value = (name: string): string => (name === "bucket" ? rules.bucket : (fields.get(name) ?? ""));
  const covered = new Set<string>(["bucket"]);
  let limits: PolicyLimits | undefined;
  for (const condition of document.conditions as unknown[]) {
    if (Array.isArray(condition)) {
      const [op, a, b] = condition as unknown[];
      if (op === "content-length-range") {
        const min = Number(a);
        const max = Number(b);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min)
          return invalid("InvalidPolicyDocument", "Invalid Policy: content-length-range needs two integers");
        limits = { minBytes: min, maxBytes: max };
        continue;
      }
      if ((op !== "eq" && op !== "starts-with") || typeof a !== "string" || !a.startsWith("$") || typeof b !== "string")
        return invalid("InvalidPolicyDocument", `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
      const name = a.slice(1).toLowerCase();
      covered.add(name);
      const holds = op === "eq" ? value(name) === b : value(name).startsWith(b);
      if (!holds) return denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    } else if (condition !== null && typeof condition === "object") {
      const entries = Object.entries(condition as Record<string, unknown>);
      if (entries.length !== 1 || typeof entries[0][1] !== "string")
        return invalid("InvalidPolicyDocument", `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
      const name = entries[0][0].toLowerCase();
      covered.add(name);
      if (value(name) !== entries[0][1])
        return denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    } else {
      return invalid("InvalidPolicyDocument", `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`);
    }
  }
  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT.has(name) && !name.startsWith("x-ignore-") && !covered.has(name),
  );
  if (extra.length > 0) return denied(`Invalid according to Policy: Extra input fields: ${extra.join(", ")}`);
  return { ok: true, limits };
}

/** The file's size against the policy's content-length-range, as S3 answers it. */
export function checkFileSize(bytes: number, limits: PolicyLimits | undefined): Verdict {
  if (limits && bytes > limits.maxBytes)
    return {
      ok: false,
      status: 400,
      code: "EntityTooLarge",
      message: "Your proposed upload exceeds the maximum allowed size",
    };
  if (limits && bytes < limits.minBytes)
    return {
      ok: false,
      status: 400,
      code: "EntityTooSmall",
      message: "Your proposed upload is smaller than the minimum allowed size",
    };
  return { ok: true };
}

const denied = (message: string): Verdict => ({ ok: false, status: 403, code: "AccessDenied", message });
const invalid = (code: string, message: string): Verdict => ({ ok: false, status: 400, code, message });
