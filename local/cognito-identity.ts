import { randomBytes, randomUUID } from "node:crypto";
import type { Credentials } from "./sigv4";

/**
 * The two Cognito Identity calls a browser makes for unauthenticated credentials (GetId, then
 * GetCredentialsForIdentity), for the local stack's cloud-like mode: the page's cloud code gets short-lived
 * credentials here exactly as from cognito-identity.<region>.amazonaws.com, and the broker accepts a WebSocket
 * only when its URL is signed with them, as IoT Core does.
 */

export interface IssuedCredentials extends Credentials {
  sessionToken: string;
  identityId: string;
  expiresAt: number;
}

export interface IdentityPool {
  poolId: string;
  /** One JSON call (X-Amz-Target without the service prefix, the parsed body); the answer to send. */
  call(target: string | undefined, body: unknown, now: number): { status: number; body: unknown };
  /** The credentials issued under this access key id, while they are valid. */
  lookup(accessKeyId: string, now: number): IssuedCredentials | undefined;
}

/** As long as Cognito's: an hour. */
const LIFETIME_MS = 60 * 60 * 1000;
const TARGET_PREFIX = "AWSCognitoIdentityService.";

export function createIdentityPool(region: string): IdentityPool {
  const poolId = `${region}:${randomUUID()}`;
  const identities = new Set<string>();
  const issued = new Map<string, IssuedCredentials>();
  const error = (status: number, type: string, message: string) => ({ status, body: { __type: type, message } });
  return {
    poolId,
    call(target, body, now) {
      const input = (body ?? {}) as { IdentityPoolId?: unknown; IdentityId?: unknown };
      if (target === `${TARGET_PREFIX}GetId`) {
        if (input.IdentityPoolId !== poolId) return error(400, "ResourceNotFoundException", "IdentityPool not found");
        const identityId = `${region}:${randomUUID()}`;
        identities.add(identityId);
        return { status: 200, body: { IdentityId: identityId } };
      }
      if (target === `${TARGET_PREFIX}GetCredentialsForIdentity`) {
        if (typeof input.IdentityId !== "string" || !identities.has(input.IdentityId))
          return error(400, "ResourceNotFoundException", "Identity not found");
        for (const [key, old] of issued) if (old.expiresAt <= now) issued.delete(key);
        const credentials: IssuedCredentials = {
          accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString("base64"),
          sessionToken: randomBytes(48).toString("base64"),
          identityId: input.IdentityId,
          expiresAt: now + LIFETIME_MS,
        };
        issued.set(credentials.accessKeyId, credentials);
        return {
          status: 200,
          body: {
            IdentityId: credentials.identityId,
            Credentials: {
              AccessKeyId: credentials.accessKeyId,
              SecretKey: credentials.secretAccessKey,
              SessionToken: credentials.sessionToken,
              Expiration: Math.floor(credentials.expiresAt / 1000),
            },
          },
        };
      }
      return error(400, "UnknownOperationException", `unknown operation ${target ?? "(none)"}`);
    },
    lookup(accessKeyId, now) {
      const found = issued.get(accessKeyId);
      return found && found.expiresAt > now ? found : undefined;
    },
  };
}
