import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startStack } from "../local/stack";
import type { Stack, StackOptions } from "../local/stack";

/**
 * A local stack for one test file: ephemeral ports, a fresh data folder, quiet, stage logs at warn.
 * Call in `before`, and `stop` in `after`.
 */
export async function startTestStack(
  opts: Pick<StackOptions, "runStages" | "cloudLike" | "stageTimeoutsMs"> = {},
): Promise<Stack & { stopAndClean(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tpp-local-"));
  const savedLogLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL ??= "warn";
  const stack = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true, ...opts });
  return {
    ...stack,
    async stopAndClean() {
      await stack.stop();
      if (savedLogLevel === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = savedLogLevel;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
