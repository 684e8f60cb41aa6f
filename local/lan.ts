import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { generate } from "selfsigned";

/**
 * npm start -- --host: the stack on this machine's LAN address over HTTPS, so a phone on the same network can
 * open the page and use its camera (browsers allow getUserMedia only on HTTPS or localhost).
 */

/** `LAN_ADDRESS` if set, else this machine's first non-internal IPv4 address. */
export function lanAddress(env: NodeJS.ProcessEnv = process.env, interfaces = networkInterfaces()): string {
  const chosen = env.LAN_ADDRESS?.trim();
  if (chosen) return chosen;
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) {
      if (entry.family === "IPv4" && !entry.internal) return entry.address;
    }
  }
  throw new Error("this machine has no network address a phone could reach; join a network or set LAN_ADDRESS");
}

export interface Certificate {
  key: string;
  cert: string;
  /** SHA-256 fingerprint, to compare with what the phone's browser shows. */
  fingerprint: string;
  file: string;
  created: boolean;
}

const VALID_DAYS = 90;
/** A certificate this close to expiry is replaced, so a session never runs into it. */
const RENEW_DAYS = 7;

/**
 * The stack's self-signed certificate for `address` (and localhost), kept in `<dataDir>/tls/` so the exception a
 * phone's browser was told to make survives restarts; a new one when the address changed or expiry is near.
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  address: string,
  now = new Date(),
): Promise<Certificate> {
  const dir = path.join(dataDir, "tls");
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, "utf8");
    const x509 = new X509Certificate(cert);
    const fresh = new Date(x509.validTo).getTime() - now.getTime() > RENEW_DAYS * 86_400_000;
    if (fresh && covers(x509, address)) {
      return {
        key: readFileSync(keyFile, "utf8"),
        cert,
        fingerprint: x509.fingerprint256,
        file: certFile,
        created: false,
      };
    }
  }
  const isIp = /^[\d.]+$|:/.test(address);
  const pems = await generate([{ name: "commonName", value: `theme-park-photos local stack (${address})` }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + VALID_DAYS * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          isIp ? { type: 7, ip: address } : { type: 2, value: address },
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert);
  const x509 = new X509Certificate(pems.cert);
  return { key: pems.private, cert: pems.cert, fingerprint: x509.fingerprint256, file: certFile, created: true };
}

function covers(x509: X509Certificate, address: string): boolean {
  return /^[\d.]+$|:/.test(address) ? x509.checkIP(address) !== undefined : x509.checkHost(address) !== undefined;
}
