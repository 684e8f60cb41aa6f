// Stack configuration (namespace `theme-park-photos:`), validated up front so a bad value stops
// `pulumi preview` with one clear line instead of a failed deployment.

export interface FunctionSize {
  memory: number;
  timeout: number;
}

export interface StackSettings {
  topic: string;
  /** Also publish on the shared topic (any browser hears every photo), besides each photo's own topic. */
  broadcast: boolean;
  /** Largest upload in bytes: the presigned POST's bound, and what the chromakey stage accepts. */
  maxUploadBytes: number;
  allowedOrigins: string[];
  retentionDays: number;
  /** Undefined: each photo's theme is chosen from its id. */
  theme?: string;
  parkName?: string;
  /** JSON for CHROMAKEY_OPTIONS, or undefined for the pipeline's defaults. */
  keyingOptions?: string;
  uploadUrlExpires: number;
  chromakey: FunctionSize;
  composite: FunctionSize;
  notify: FunctionSize;
  apiRateLimit: number;
  apiBurstLimit: number;
}

export const DEFAULTS = {
  topic: "notifications",
  broadcast: true,
  maxUploadBytes: 25 * 1024 * 1024,
  allowedOrigins: ["http://localhost:3000"],
  retentionDays: 7,
  uploadUrlExpires: 300,
  chromakey: { memory: 2048, timeout: 60 },
  composite: { memory: 1536, timeout: 30 },
  notify: { memory: 256, timeout: 10 },
  apiRateLimit: 20,
  apiBurstLimit: 40,
} as const;

/** The subset of pulumi.Config the settings need: raw strings, parsed here. */
export type ConfigSource = (key: string) => string | undefined;

/**
 * @param keyingOptionNames the chromakey options the pipeline knows (keys of DEFAULT_KEY_OPTIONS),
 * so a typo fails the preview instead of being ignored by every photo.
 */
export function readSettings(
  get: ConfigSource,
  keyingOptionNames: readonly string[] = [],
  themeNames: readonly string[] = [],
): StackSettings {
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = get(key);
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`theme-park-photos:${key} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = get(key)?.trim().toLowerCase();
    if (raw === undefined || raw === "") return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    throw new Error(`theme-park-photos:${key} must be true or false, got "${get(key)}"`);
  };
  const text = (key: string): string | undefined => {
    const raw = get(key)?.trim();
    return raw ? raw : undefined;
  };

  const topic = text("topic") ?? DEFAULTS.topic;
  // MQTT wildcards or a leading "$" would widen the browsers' subscribe grant or hit reserved topics.
  if (!/^[A-Za-z0-9_\-/]+$/.test(topic) || topic.startsWith("/")) {
    throw new Error(`theme-park-photos:topic must be a plain MQTT topic (letters, digits, _ - /), got "${topic}"`);
  }

  const theme = text("theme");
  // Otherwise every photo would fail at the composite stage with the same mistake.
  if (theme !== undefined && theme !== "auto" && themeNames.length > 0 && !themeNames.includes(theme)) {
    throw new Error(`theme-park-photos:theme must be auto or one of ${themeNames.join(", ")}, got "${theme}"`);
  }
  return {
    topic,
    broadcast: flag("broadcast", DEFAULTS.broadcast),
    // Up to 1 GB: a chromakey function runs out of memory decoding far less than S3's 5 GB single upload.
    maxUploadBytes: int("maxUploadBytes", DEFAULTS.maxUploadBytes, 1024, 1024 * 1024 * 1024),
    allowedOrigins: parseOrigins(get("allowedOrigins")),
    retentionDays: int("retentionDays", DEFAULTS.retentionDays, 1, 3650),
    theme: theme === "auto" ? undefined : theme,
    parkName: text("parkName"),
    keyingOptions: parseKeyingOptions(get("keyingOptions"), keyingOptionNames),
    uploadUrlExpires: int("uploadUrlExpires", DEFAULTS.uploadUrlExpires, 30, 3600),
    chromakey: {
      memory: int("chromakeyMemory", DEFAULTS.chromakey.memory, 128, 10240),
      timeout: int("chromakeyTimeout", DEFAULTS.chromakey.timeout, 3, 900),
    },
    composite: {
      memory: int("compositeMemory", DEFAULTS.composite.memory, 128, 10240),
      timeout: int("compositeTimeout", DEFAULTS.composite.timeout, 3, 900),
    },
    notify: {
      memory: int("notifyMemory", DEFAULTS.notify.memory, 128, 10240),
      timeout: int("notifyTimeout", DEFAULTS.notify.timeout, 3, 900),
    },
    apiRateLimit: int("apiRateLimit", DEFAULTS.apiRateLimit, 1, 10000),
    apiBurstLimit: int("apiBurstLimit", DEFAULTS.apiBurstLimit, 1, 5000),
  };
}

function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return [...DEFAULTS.allowedOrigins];
  let origins: unknown;
  try {
    origins = JSON.parse(raw);
  } catch {
    throw new Error(`theme-park-photos:allowedOrigins must be a list, e.g. ["https://photos.example.com"]`);
  }
  if (!Array.isArray(origins) || origins.length === 0 || !origins.every((o) => typeof o === "string")) {
    throw new Error(`theme-park-photos:allowedOrigins must be a non-empty list of origins`);
  }
  for (const origin of origins as string[]) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`theme-park-photos:allowedOrigins: "${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  return origins as string[];
}

function parseKeyingOptions(raw: string | undefined, known: readonly string[]): string | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  let options: unknown;
  try {
    options = JSON.parse(raw);
  } catch {
    throw new Error(`theme-park-photos:keyingOptions must be an object of chromakey options`);
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new Error(`theme-park-photos:keyingOptions must be an object of chromakey options`);
  }
  const unknown = Object.keys(options).filter((name) => known.length > 0 && !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `theme-park-photos:keyingOptions: unknown option(s) ${unknown.join(", ")} (known: ${known.join(", ")})`,
    );
  }
  return JSON.stringify(options);
}
