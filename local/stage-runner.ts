import type { S3Event, S3EventRecord } from "aws-lambda";
import type { StageContext } from "../pipeline/handlers/stage";

export type StageHandler = (event: S3Event, context?: StageContext) => Promise<void>;

/** One stage as Lambda would host it: the bucket whose ObjectCreated events invoke it, and its timeout. */
export interface StageRoute {
  name: string;
  bucket: string;
  handler: StageHandler;
  /** The function's timeout: the handler sees the time left through its context, as on Lambda. */
  timeoutMs?: number;
}

export interface StageRunner {
  /** Queues the event for the stage of its bucket, like S3 invoking a function asynchronously. */
  dispatch(event: S3Event): void;
  /** Resolves once nothing is queued or running (new events may arrive while waiting). */
  idle(): Promise<void>;
  /** Drops queued events, refuses new ones and resolves when the running invocations have finished. */
  stop(): Promise<void>;
  readonly stats: { invoked: number; failed: number; running: number; queued: number };
}

type Log = (level: "info" | "error", message: string, fields?: Record<string, unknown>) => void;

/**
 * Runs stage invocations with bounded concurrency. Everything shares one Node thread, so the bound protects
 * memory (decoded photos are large) and lets S3 round trips overlap pixel work. Later stages go first: a photo
 * already half done finishes before new uploads start, as separately scaled functions would behave.
 * A failed invocation is logged and dropped (no retries: the handlers report bad photos themselves).
 * `settled` hears of every record whose invocation has finished, whether it succeeded or failed.
 */
export function createStageRunner(
  routes: readonly StageRoute[],
  concurrency: number,
  log: Log,
  settled: (record: S3EventRecord) => void = () => undefined,
): StageRunner {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  const queues = routes.map(() => [] as S3Event[]);
  const stats = { invoked: 0, failed: 0, running: 0, queued: 0 };
  let waiters: Array<() => void> = [];
  let stopped = false;

  const settleIfIdle = (): void => {
    if (stats.running === 0 && stats.queued === 0) {
      const done = waiters;
      waiters = [];
      done.forEach((resolve) => resolve());
    }
  };

  const pump = (): void => {
    while (stats.running < concurrency) {
      const stage = queues.findLastIndex((q) => q.length > 0);
      if (stage < 0) break;
      const event = queues[stage].shift() as S3Event;
      stats.queued--;
      stats.running++;
      stats.invoked++;
      const route = routes[stage];
      // Deferred so a handler never runs inside the S3 server's request that produced its event.
      setImmediate(() => {
        const deadline = route.timeoutMs === undefined ? undefined : Date.now() + route.timeoutMs;
        const context = deadline === undefined ? undefined : { getRemainingTimeInMillis: () => deadline - Date.now() };
        route
          .handler(event, context)
          .catch((err: unknown) => {
            stats.failed++;
            log("error", "invocation failed", {
              stage: route.name,
              error: err instanceof Error ? (err.stack ?? err.message) : String(err),
            });
          })
          .finally(() => {
            stats.running--;
            event.Records.forEach((record) => settled(record));
            pump();
            settleIfIdle();
          });
      });
    }
  };

  return {
    stats,
    dispatch(event) {
      if (stopped) return;
      for (const record of event.Records) {
        if (!record.eventName.startsWith("ObjectCreated:")) continue;
        const stage = routes.findIndex((r) => r.bucket === record.s3.bucket.name);
        if (stage < 0) continue;
        // One record per invocation, as S3 delivers them.
        queues[stage].push({ Records: [record] });
        stats.queued++;
      }
      pump();
    },
    idle() {
      return new Promise((resolve) => {
        waiters.push(resolve);
        settleIfIdle();
      });
    },
    stop() {
      stopped = true;
      for (const queue of queues) queue.length = 0;
      stats.queued = 0;
      return this.idle();
    },
  };
}
