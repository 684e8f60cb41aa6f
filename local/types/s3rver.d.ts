// The package ships no types; this covers the part of its API the local stack uses.
declare module "@20minutes/s3rver" {
  import { EventEmitter } from "node:events";
  import type { IncomingMessage, ServerResponse } from "node:http";
  import type { AddressInfo } from "node:net";
  import type { Readable } from "node:stream";

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
  }

  /** Its filesystem store: one folder per bucket, `<key>._S3rver_object` plus metadata files. */
  interface FilesystemStore {
    /** The object's stored metadata with `etag` (quoted); rejects with code ENOENT when there is none. */
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    putContent(objectPath: string, content: Buffer | Readable): Promise<[number, string]>;
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: Array<{ key: string; metadata: Record<string, string> }>; isTruncated: boolean }>;
  }

  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    reset(): void;
    /** Creates the configured buckets (what run() does before listening). */
    configureBuckets(): Promise<void>;
    /** Its Koa request handler, to mount on a server of one's own. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    store: FilesystemStore;
    logger: { exceptions: { unhandle(): void }; close(): void };
  }

  export = S3rver;
}

declare module "@20minutes/s3rver/lib/models/account" {
  /** The one account s3rver knows; its key pairs are the credentials s3rver's own signature check accepts. */
  export const DUMMY_ACCOUNT: {
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  };
}
