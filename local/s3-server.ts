import S3rver from "@20minutes/s3rver";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";

/** The credentials s3rver accepts (its built-in account); local only, never a secret. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  buckets: { upload: string; processing: string; final: string };
  /** Origins the Upload bucket's CORS lets PUT (["*"] for any). */
  allowedOrigins: readonly string[];
  onEvent(event: unknown): void;
}

export interface S3Server {
  port: number;
  close(): Promise<void>;
}

/**
 * The Upload bucket's CORS, as the cloud bucket has it: the browser PUTs the photo to the presigned URL from the
 * page's origin with a Content-Type header, and may read the ETag.
 */
export function uploadCorsXml(allowedOrigins: readonly string[]): string {
  const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const origins = allowedOrigins.map((o) => `<AllowedOrigin>${escape(o)}</AllowedOrigin>`).join("");
  return (
    `<CORSConfiguration><CORSRule>${origins}<AllowedMethod>PUT</AllowedMethod>` +
    `<AllowedHeader>Content-Type</AllowedHeader><ExposeHeader>ETag</ExposeHeader>` +
    `<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`
  );
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.dataDir,
    // Its per-request log is noise next to the stage logs; the stack logs each created object instead.
    silent: true,
    resetOnClose: false,
    configureBuckets: [
      { name: options.buckets.upload, configs: [uploadCorsXml(options.allowedOrigins)] },
      { name: options.buckets.processing },
      { name: options.buckets.final },
    ],
  });
  server.on("event", options.onEvent);
  const address = (await server.run()) as AddressInfo;
  const http = (server as unknown as { httpServer: Server }).httpServer;
  return {
    port: address.port,
    async close() {
      const closed = server.close();
      // The SDK keeps connections alive; without this, close would wait for them to time out.
      http.closeAllConnections();
      await closed;
    },
  };
}
