import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { request } from "node:http";
import { startStack } from "../local/stack";
import type { Stack, StackOptions } from "../local/stack";

/**
 * A local stack for one test file: ephemeral ports, a fresh data folder, quiet, stage logs at warn, and any stage
 * settings in `env` (NOTIFY_BROADCAST=false, say). Call in `before`, and `stopAndClean` in `after`: it puts the
 * environment back after the stack's own stop, which restores what the stack found (`env` included).
 */
export async function startTestStack(
  opts: Pick<StackOptions, "runStages" | "cloudLike" | "stageTimeoutsMs"> & { env?: Record<string, string> } = {},
): Promise<Stack & { stopAndClean(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "tpp-local-"));
  const { env = {}, ...stackOpts } = opts;
  const saved = Object.fromEntries(["LOG_LEVEL", ...Object.keys(env)].map((k) => [k, process.env[k]]));
  process.env.LOG_LEVEL ??= "warn";
  Object.assign(process.env, env);
  const stack = await startStack({ port: 0, s3Port: 0, dataDir, quiet: true, ...stackOpts });
  return {
    ...stack,
    async stopAndClean() {
      await stack.stop();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { stackS3Client } from "../local/stack";

/**
 * The status of a request sent exactly as given: the path with no URL normalisation on the way (fetch would
 * resolve dot segments itself) and any Host header.
 */
export function rawStatus(
  endpoint: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: rawPath, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(method === "PUT" ? "x" : undefined);
  });
}
