import type { KeyOptions } from "./chromakey";
import { THEMES } from "./themes";

/**
 * Everything a stage reads from its environment, read in one place. The same variables are set by the
 * Pulumi program on Lambda and by the local stack, which is how one handler serves both.
 */
export interface StageConfig {
  region: string;
  uploadBucket: string;
  processingBucket: string;
  finalBucket: string;
  /** Set for an S3-compatible server (the local stack); absent on AWS. */
  s3Endpoint?: string;
  s3ForcePathStyle: boolean;
  /** https URL of the IoT data endpoint, or the local bridge. */
  iotEndpoint?: string;
  topic: string;
  /**
   * Also publish on the shared `topic` (every subscribed browser hears every photo), besides each photo's own
   * `<topic>/<photoId>`. On by default for front-ends that only know the shared topic.
   */
  broadcast: boolean;
  finalUrlBase?: string;
  theme?: string;
  parkName?: string;
  keyOptions: Partial<KeyOptions>;
  uploadUrlExpiresSeconds: number;
  allowedOrigins: string[];
  maxUploadBytes: number;
  /** The failure reporter: the stage whose failed invocations it reports, and the queue it keeps them in. */
  failedStage?: string;
  failureQueueUrl?: string;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): StageConfig {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    uploadBucket: env.UPLOAD_BUCKET ?? "",
    processingBucket: env.PROCESSING_BUCKET ?? "",
    finalBucket: env.FINAL_BUCKET ?? "",
    s3Endpoint: nonEmpty(env.S3_ENDPOINT),
    s3ForcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
    iotEndpoint: nonEmpty(env.IOT_ENDPOINT),
    topic: nonEmpty(env.NOTIFY_TOPIC) ?? "notifications",
    broadcast: bool(env.NOTIFY_BROADCAST, "NOTIFY_BROADCAST", true),
    finalUrlBase: nonEmpty(env.FINAL_URL_BASE)?.replace(/\/+$/, ""),
    theme: parseTheme(env.THEME),
    parkName: nonEmpty(env.PARK_NAME),
    keyOptions: parseKeyOptions(env.CHROMAKEY_OPTIONS),
    uploadUrlExpiresSeconds: positiveInt(env.UPLOAD_URL_EXPIRES, "UPLOAD_URL_EXPIRES", 300),
    allowedOrigins: (nonEmpty(env.ALLOWED_ORIGINS) ?? "*")
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
    maxUploadBytes: positiveInt(env.MAX_UPLOAD_BYTES, "MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
    failedStage: nonEmpty(env.FAILED_STAGE),
    failureQueueUrl: nonEmpty(env.FAILURE_QUEUE_URL),
  };
}

/** A stage cannot do anything useful without these: say which one is missing rather than fail on S3. */
export function requireSetting<K extends keyof StageConfig>(
  config: StageConfig,
  key: K,
  envName: string,
): NonNullable<StageConfig[K]> {
  const value = config[key];
  if (value === undefined || value === "") throw new Error(`${envName} is not set`);
  return value as NonNullable<StageConfig[K]>;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function positiveInt(value: string | undefined, name: string, fallback: number): number {
  if (nonEmpty(value) === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got "${value}"`);
  return n;
}

function bool(value: string | undefined, name: string, fallback: boolean): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return fallback;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

function parseTheme(value: string | undefined): string | undefined {
  const theme = nonEmpty(value);
  if (theme === undefined || theme === "auto") return undefined;
  if (!THEMES.includes(theme)) throw new Error(`THEME must be auto or one of ${THEMES.join(", ")}, got "${theme}"`);
  return theme;
}

function parseKeyOptions(json: string | undefined): Partial<KeyOptions> {
  if (nonEmpty(json) === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json as string);
  } catch {
    throw new Error(`CHROMAKEY_OPTIONS is not valid JSON: ${json}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("CHROMAKEY_OPTIONS must be a JSON object");
  }
  return parsed as Partial<KeyOptions>;
}
