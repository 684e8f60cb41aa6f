import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Credentials } from "./sigv4";

/**
 * The stack's own access key, the only one its S3 server and IoT bridge accept. Random per data folder (a
 * well-known key would let any web page sign its own requests to localhost) and kept there, readable by the
 * user only, so a restart keeps presigned URLs already handed out valid, as S3 would.
 */
export function loadOrCreateCredentials(dataDir: string): Credentials {
  const file = path.join(dataDir, ".stack", "credentials.json");
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Partial<Credentials>;
    if (
      /^LOCAL[A-Z0-9]{15}$/.test(stored.accessKeyId ?? "") &&
      /^[A-Za-z0-9+/]{40}$/.test(stored.secretAccessKey ?? "")
    )
      return { accessKeyId: stored.accessKeyId as string, secretAccessKey: stored.secretAccessKey as string };
  } catch {
    // none yet, or unreadable: a new pair replaces it
  }
  const credentials = {
    accessKeyId: `LOCAL${randomBytes(15).toString("hex").toUpperCase().slice(0, 15)}`,
    secretAccessKey: randomBytes(30).toString("base64"),
  };
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
