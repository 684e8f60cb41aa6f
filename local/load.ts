import { paginateListObjectsV2 } from "@aws-sdk/client-s3";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { listen, putPhoto, requestUpload } from "./client";
import type { Notification } from "./client";
import { stackS3Client } from "./stack";
import type { Stack } from "./stack";

export const SAMPLE_PHOTO = path.join(__dirname, "..", "assets", "samples", "greenscreen-portrait.jpg");

export interface LoadOptions {
  /** The photo every upload sends (JPEG or PNG bytes); default the project's sample green-screen portrait. */
  photo?: Uint8Array;
  /** How long to wait for all notifications; default 120 s. */
  timeoutMs?: number;
  /** How long to keep listening after the last expected notification, to catch duplicates; default 500 ms. */
  graceMs?: number;
}

export interface LoadResult {
  uploads: number;
  processed: number;
  failed: number;
  /** Uploads that got no notification before the timeout. */
  missing: string[];
  /** Uploads notified more than once. */
  duplicated: string[];
  /** Final bucket objects per upload key after the run (1 when there, 0 when not): each should be 1. */
  finalImages: Record<string, number>;
  /** Times each final image was written (ObjectCreated in the Final bucket): each should be exactly 1. */
  finalWrites: Record<string, number>;
  /** Upload start -> notification received, ms, sorted ascending (processed and failed alike). */
  latenciesMs: number[];
  p50Ms: number;
  p95Ms: number;
  wallMs: number;
  failures: Notification[];
}

/**
 * `n` guests upload at once through the running stack: n presigned URLs, n concurrent PUTs, then every
 * notification on the topic. Counts what arrived against what was sent; the figures are for the benchmark and
 * the load test, which assert on counts only.
 */
export async function runLoad(stack: Stack, n: number, opts: LoadOptions = {}): Promise<LoadResult> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`the number of uploads must be a positive integer, got ${n}`);
  const photo =
    opts.photo ??
    (await readFile(SAMPLE_PHOTO).catch(() => {
      throw new Error(`no photo given and the sample ${SAMPLE_PHOTO} cannot be read`);
    }));
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const topic = stack.env.NOTIFY_TOPIC;
  const listener = await listen(stack.mqttWsUrl, topic);
  const finalWrites: Record<string, number> = {};
  const unsubscribe = stack.onObjectCreated((bucket, key) => {
    if (bucket === stack.buckets.final) finalWrites[key] = (finalWrites[key] ?? 0) + 1;
  });
  try {
    const tickets = await Promise.all(Array.from({ length: n }, () => requestUpload(`${stack.webUrl}/Upload`)));
    const keys = tickets.map((t) => t.photoFilename);
    const startedAt = new Map<string, number>();
    const wallStart = performance.now();
    await Promise.all(
      tickets.map(async (t) => {
        startedAt.set(t.photoFilename, performance.now());
        await putPhoto(t.uploadURL, photo);
      }),
    );
    const deadline = wallStart + timeoutMs;
    const outcomes = await Promise.allSettled(
      keys.map((k) => listener.waitFor(k, Math.max(1, deadline - performance.now()))),
    );
    const wallMs = performance.now() - wallStart;
    await new Promise((resolve) => setTimeout(resolve, opts.graceMs ?? 500));

    const ours = new Set(keys);
    const byKey = new Map<string, Array<{ at: number; notification: Notification }>>();
    for (const r of listener.received) {
      const key = r.notification.message?.ObjectKey;
      if (ours.has(key)) byKey.set(key, [...(byKey.get(key) ?? []), r]);
    }
    const latenciesMs = keys
      .filter((k) => byKey.has(k))
      .map((k) => (byKey.get(k) as Array<{ at: number }>)[0].at - (startedAt.get(k) as number))
      .sort((a, b) => a - b);
    const firsts = keys.flatMap((k) =>
      byKey.has(k) ? [(byKey.get(k) as Array<{ notification: Notification }>)[0].notification] : [],
    );
    return {
      uploads: n,
      processed: firsts.filter((f) => f.type === "photoProcessed").length,
      failed: firsts.filter((f) => f.type === "photoFailed").length,
      missing: keys.filter((k, i) => outcomes[i].status === "rejected" && !byKey.has(k)),
      duplicated: keys.filter((k) => (byKey.get(k)?.length ?? 0) > 1),
      finalImages: await countFinalImages(stack, keys),
      finalWrites: Object.fromEntries(keys.map((k) => [k, finalWrites[k] ?? 0])),
      latenciesMs,
      p50Ms: percentile(latenciesMs, 0.5),
      p95Ms: percentile(latenciesMs, 0.95),
      wallMs,
      failures: firsts.filter((f) => f.type === "photoFailed"),
    };
  } finally {
    unsubscribe();
    await listener.close();
  }
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

async function countFinalImages(stack: Stack, keys: readonly string[]): Promise<Record<string, number>> {
  const s3 = stackS3Client(stack);
  try {
    const present = new Set<string>();
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: stack.buckets.final })) {
      for (const object of page.Contents ?? []) if (object.Key) present.add(object.Key);
    }
    return Object.fromEntries(keys.map((k) => [k, present.has(k) ? 1 : 0]));
  } finally {
    s3.destroy();
  }
}
