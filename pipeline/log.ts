/**
 * Structured log lines: one JSON object a line, so CloudWatch Logs Insights (and grep) can query by photo
 * and step. The local stack prints the same lines.
 */
type Level = "info" | "warn" | "error";
type Fields = Record<string, unknown>;

const RANK: Record<string, number> = { info: 0, warn: 1, error: 2, silent: 3 };

export function log(level: Level, message: string, fields: Fields = {}): void {
  // LOG_LEVEL=warn (or silent) quiets the per-step lines, e.g. in tests and benchmarks.
  if (RANK[level] < (RANK[process.env.LOG_LEVEL ?? "info"] ?? 0)) return;
  const line = JSON.stringify({ level, message, ...fields });
  if (level === "info") console.log(line);
  else console.error(line);
}

/** Runs one step and logs how long it took, so slow steps show per photo. */
export async function timed<T>(step: string, fields: Fields, work: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    log("info", "step", { ...fields, step, ms: Math.round((performance.now() - start) * 10) / 10 });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
