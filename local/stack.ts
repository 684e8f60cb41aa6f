import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import path from "node:path";
import { chromakey, composite, notify, presign } from "../pipeline/handlers";
import { loadConfig } from "../pipeline/config";
import { DEFAULTS as CLOUD_DEFAULTS } from "../infra/config";
import { decodeEventKey } from "../pipeline/keys";
import { log as stageLog } from "../pipeline/log";
import { eventId, openEventJournal } from "./event-journal";
import { startMqttBroker } from "./mqtt-broker";
import { toLambdaS3Event } from "./s3-event";
import { loadOrCreateCredentials } from "./credentials";
import { startS3Server } from "./s3-server";
import type { S3Server } from "./s3-server";
import { createStageRunner } from "./stage-runner";
import type { StageRoute } from "./stage-runner";
import { createIdentityPool } from "./cognito-identity";
import { MQTT_CLIENT_SCRIPT } from "./page-files";
import { createRequestListener, IDENTITY_PATH } from "./web-server";
import type { S3Event, S3EventRecord } from "aws-lambda";
import type { FrontendConfig, StoredImage } from "./web-server";

export interface StackOptions {
  /** web/API/MQTT-over-WebSocket/IoT-bridge HTTP port; default env PORT or 3000; 0 = ephemeral */
  port?: number;
  /** S3-compatible server port; default env S3_PORT or 4568; 0 = ephemeral */
  s3Port?: number;
  /** default env LOCAL_DATA_DIR or <project>/.local-data */
  dataDir?: string;
  /** default true: S3 ObjectCreated events run the stage handlers in-process */
  runStages?: boolean;
  /** no start-up banner / request logs (tests) */
  quiet?: boolean;
  /**
   * Serve the web server and S3 over HTTPS with this key and certificate, on `host` (npm start -- --host: a
   * phone on the LAN, whose camera needs HTTPS). The certificate is trusted by this process, for the stages.
   */
  tls?: { key: string; cert: string };
  /** The address to listen on and to put in every URL; default 127.0.0.1, with URLs on localhost. */
  host?: string;
  /**
   * Cloud-like browser access: a Cognito Identity endpoint hands out temporary credentials, and the broker takes
   * only WebSocket URLs signed with them, so the page runs its cloud code (frontendConfig.identityPoolId).
   */
  cloudLike?: boolean;
  /** Each stage's time limit, as its Lambda function's timeout; default the cloud stack's defaults. */
  stageTimeoutsMs?: { chromakey: number; composite: number; notify: number };
}

export interface Stack {
  webUrl: string;
  s3Endpoint: string;
  mqttWsUrl: string;
  iotEndpoint: string;
  buckets: { upload: string; processing: string; final: string };
  /** Exactly the environment the stage handlers need to run against this stack. */
  env: Record<string, string>;
  dataDir: string;
  /** Calls `listener` for every object created in any bucket (key decoded); returns the unsubscribe. */
  onObjectCreated(listener: (bucket: string, key: string) => void): () => void;
  stop(): Promise<void>;
}

/** An S3 client of the stack's, signed with its own key as the stages sign (the S3 server refuses anything else). */
export function stackS3Client(stack: Pick<Stack, "env" | "s3Endpoint">): S3Client {
  return new S3Client({
    region: stack.env.AWS_REGION,
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: stack.env.AWS_ACCESS_KEY_ID, secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY },
  });
}

export const PROJECT_DIR = path.resolve(__dirname, "..");
const BUCKETS = { upload: "tpp-upload", processing: "tpp-processing", final: "tpp-final" } as const;
/** Loopback only: the stack has no authentication and is meant for this machine. */
const HOST = "127.0.0.1";
/** Settings a user may set for the stages; passed through to them when set. */
const PASS_THROUGH = [
  "THEME",
  "PARK_NAME",
  "CHROMAKEY_OPTIONS",
  "UPLOAD_URL_EXPIRES",
  "MAX_UPLOAD_BYTES",
  "NOTIFY_BROADCAST",
  "ASSETS_DIR",
];

/** A port that is already taken, said in one line by the caller. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
  ) {
    super(`port ${port} (${what}) is already in use`);
    this.name = "PortInUseError";
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const port = opts.port ?? portFromEnv("PORT", 3000);
  const s3Port = opts.s3Port ?? portFromEnv("S3_PORT", 4568);
  const dataDir = path.resolve(opts.dataDir ?? process.env.LOCAL_DATA_DIR ?? path.join(PROJECT_DIR, ".local-data"));
  const runStages = opts.runStages ?? true;
  const log = opts.quiet ? () => undefined : (line: string) => console.log(line);
  const region = process.env.AWS_REGION ?? "us-east-1";
  mkdirSync(dataDir, { recursive: true });
  const credentials = loadOrCreateCredentials(dataDir);

  const cleanups: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const host = opts.host ?? HOST;
    // URLs name the address a browser elsewhere can reach; on loopback, localhost (a secure context for the camera).
    const urlHost = opts.host === undefined ? "localhost" : host.includes(":") ? `[${host}]` : host;
    const scheme = opts.tls ? "https" : "http";
    // The stages and the stack's own S3 client call these servers too: they must trust the certificate.
    if (opts.tls) setDefaultCACertificates([...getCACertificates("default"), opts.tls.cert]);
    const http = opts.tls ? createHttpsServer(opts.tls) : createServer();
    const webPort = await listen(http, host, port, "web server");
    cleanups.push(() => closeHttp(http));
    const webUrl = `${scheme}://${urlHost}:${webPort}`;
    const allowedOrigins = process.env.ALLOWED_ORIGINS?.trim()
      ? process.env.ALLOWED_ORIGINS.split(",")
          .map((o) => o.trim())
          .filter(Boolean)
      : opts.host === undefined
        ? [webUrl, `http://${HOST}:${webPort}`]
        : [webUrl];

    // Each stage gets the time its Lambda function has (the cloud stack's defaults), so a hung S3 or IoT call
    // ends in photoFailed as it would there, instead of holding the photo (and a worker) forever.
    const timeouts = opts.stageTimeoutsMs ?? {
      chromakey: CLOUD_DEFAULTS.chromakey.timeout * 1000,
      composite: CLOUD_DEFAULTS.composite.timeout * 1000,
      notify: CLOUD_DEFAULTS.notify.timeout * 1000,
    };
    const routes: StageRoute[] = [
      { name: "chromakey", bucket: BUCKETS.upload, handler: chromakey, timeoutMs: timeouts.chromakey },
      { name: "composite", bucket: BUCKETS.processing, handler: composite, timeoutMs: timeouts.composite },
      { name: "notify", bucket: BUCKETS.final, handler: notify, timeoutMs: timeouts.notify },
    ];
    // Events live in memory; the journal records which ones are done, so a restart resumes the rest.
    const journal = openEventJournal(dataDir);
    const inFlight = new Set<string>();
    const recordId = (r: S3EventRecord): string =>
      eventId(r.s3.bucket.name, decodeEventKey(r.s3.object.key), r.s3.object.eTag ?? "");
    const runner = createStageRunner(
      routes,
      Math.max(2, availableParallelism()),
      // The stages' own JSON log lines (pipeline/log.ts), so LOG_LEVEL and the tests' log handling apply.
      stageLog,
      (record) => {
        const id = recordId(record);
        inFlight.delete(id);
        journal.done(id);
      },
    );
    const dispatch = (event: S3Event): void => {
      for (const record of event.Records) {
        if (record.eventName.startsWith("ObjectCreated:")) inFlight.add(recordId(record));
      }
      runner.dispatch(event);
    };
    // Sequencers only grow for a key, across restarts too, as S3's do: the stages tell a new upload to a key from
    // a late copy of an older event by them. A millisecond clock with room for 1000 events per millisecond.
    let sequence = Date.now() * 1000;
    const createdListeners = new Set<(bucket: string, key: string) => void>();
    const s3 = await startS3Server({
      host,
      port: s3Port,
      tls: opts.tls,
      dataDir,
      buckets: BUCKETS,
      credentials,
      region,
      allowedOrigins,
      onEvent(raw) {
        const event = toLambdaS3Event(raw, region, ++sequence);
        for (const r of event.Records) {
          log(`s3: ${r.eventName} ${r.s3.bucket.name}/${r.s3.object.key} (${r.s3.object.size} bytes)`);
          if (r.eventName.startsWith("ObjectCreated:")) {
            const key = decodeEventKey(r.s3.object.key);
            createdListeners.forEach((listener) => listener(r.s3.bucket.name, key));
          }
        }
        if (runStages) dispatch(event);
      },
    }).catch((err: unknown) => {
      throw isAddressInUse(err) ? new PortInUseError(s3Port, "S3 server") : err;
    });
    cleanups.push(() => s3.close());
    const s3Endpoint = `${scheme}://${urlHost}:${s3.port}`;
    const mqttWsUrl = `${opts.tls ? "wss" : "ws"}://${urlHost}:${webPort}/mqtt`;

    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      UPLOAD_BUCKET: BUCKETS.upload,
      PROCESSING_BUCKET: BUCKETS.processing,
      FINAL_BUCKET: BUCKETS.final,
      S3_ENDPOINT: s3Endpoint,
      S3_FORCE_PATH_STYLE: "true",
      IOT_ENDPOINT: webUrl,
      NOTIFY_TOPIC: process.env.NOTIFY_TOPIC?.trim() || "notifications",
      FINAL_URL_BASE: `${webUrl}/photos`,
      ALLOWED_ORIGINS: allowedOrigins.join(","),
    };
    for (const name of PASS_THROUGH) {
      const value = process.env[name];
      if (value !== undefined && value.trim() !== "") env[name] = value;
    }
    // A bad THEME or CHROMAKEY_OPTIONS would fail every photo: say so now, in one line.
    const stageConfig = loadConfig(env);
    // The handlers read process.env when called, as on Lambda; restored on stop so stacks do not leak into each other.
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    cleanups.unshift(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    // The stages' own reading of NOTIFY_BROADCAST, so the broker allows exactly the topics they publish on.
    const { broadcast } = stageConfig;
    const identityPool = opts.cloudLike ? createIdentityPool(region) : undefined;
    const broker = await startMqttBroker(http, "/mqtt", {
      allowedOrigins,
      topic: env.NOTIFY_TOPIC,
      broadcast,
      signedUrls: identityPool && { region, lookup: identityPool.lookup },
    });
    cleanups.push(() => broker.close());

    const s3Client = new S3Client({
      region,
      endpoint: s3Endpoint,
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    cleanups.push(() => s3Client.destroy());
    // Cleanups run last-in-first-out: running stages finish while S3, the broker and the bridge are still up.
    cleanups.push(() => runner.stop());
    const frontendConfig: FrontendConfig = {
      uploadUrl: `${webUrl}/Upload`,
      mqttUrl: mqttWsUrl,
      topic: env.NOTIFY_TOPIC,
      broadcast,
      region,
      imageBaseUrl: `${webUrl}/photos`,
      ...(identityPool && { identityPoolId: identityPool.poolId, identityEndpoint: `${webUrl}${IDENTITY_PATH}` }),
    };
    http.on(
      "request",
      createRequestListener({
        presign,
        getFinalImage: (key) => getImage(s3Client, BUCKETS.final, key),
        publish: (topic, payload, qos) => broker.publish(topic, payload, qos),
        iotSigner: { credentials, region },
        frontendConfig,
        allowedOrigins,
        webDir: path.join(PROJECT_DIR, "local", "web"),
        mqttClientScript: MQTT_CLIENT_SCRIPT,
        identityPool,
        log,
      }),
    );

    // Last, once the handlers' environment, the broker and the bridge are all up.
    if (runStages) await resume(s3, region, () => ++sequence, journal, inFlight, dispatch, log);

    return {
      webUrl,
      s3Endpoint,
      mqttWsUrl,
      iotEndpoint: webUrl,
      buckets: { ...BUCKETS },
      env,
      dataDir,
      onObjectCreated(listener) {
        createdListeners.add(listener);
        return () => createdListeners.delete(listener);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Runs again every object the buckets hold whose event was never finished: photos in flight when the process
 * died, or queued when it stopped. This is what S3's event delivery and Lambda's retries give the cloud stack.
 */
async function resume(
  s3: S3Server,
  region: string,
  nextSequence: () => number,
  journal: ReturnType<typeof openEventJournal>,
  inFlight: ReadonlySet<string>,
  dispatch: (event: S3Event) => void,
  log: (line: string) => void,
): Promise<void> {
  const present = new Set<string>();
  let resumed = 0;
  for (const bucket of Object.values(BUCKETS)) {
    for (const object of await s3.objects(bucket)) {
      const id = eventId(bucket, object.key, object.eTag);
      present.add(id);
      if (journal.has(id) || inFlight.has(id)) continue;
      const raw = {
        Records: [
          {
            eventVersion: "2.1",
            eventSource: "aws:s3",
            awsRegion: region,
            eventTime: new Date().toISOString(),
            eventName: "ObjectCreated:Put",
            s3: { s3SchemaVersion: "1.0", bucket: { name: bucket }, object: { ...object } },
          },
        ],
      };
      dispatch(toLambdaS3Event(raw, region, nextSequence()));
      resumed++;
    }
  }
  // Entries for objects since deleted (or expired) are dropped, so the journal stays the size of the buckets.
  journal.retainOnly(present);
  if (resumed > 0) log(`resumed ${resumed} unfinished event${resumed === 1 ? "" : "s"} from the buckets`);
}

async function getImage(s3: S3Client, bucket: string, key: string): Promise<StoredImage | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!res.Body) return undefined;
    return {
      body: await res.Body.transformToByteArray(),
      eTag: res.ETag,
      cacheControl: res.CacheControl,
    };
  } catch (err) {
    if (
      err instanceof NoSuchKey ||
      (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
    )
      return undefined;
    throw err;
  }
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return port;
}

function listen(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => reject(isAddressInUse(err) ? new PortInUseError(port, what) : err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function isAddressInUse(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "EADDRINUSE";
}
