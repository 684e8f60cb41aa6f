import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { runDemo } from "./demo";
import { PROJECT_DIR, PortInUseError, startStack } from "./stack";
import type { Stack } from "./stack";

const USAGE = `usage: npm start [-- --demo [PHOTO]] [-- --reset]
  (no options)     run the local stack until Ctrl-C
  --demo [PHOTO]   run one photo (default assets/samples/greenscreen-portrait.jpg) through the stack and exit
  --reset          delete the local data (all buckets) before starting
environment: PORT (3000), S3_PORT (4568), LOCAL_DATA_DIR (.local-data), THEME, PARK_NAME, CHROMAKEY_OPTIONS`;

interface Args {
  demo?: string;
  reset: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { reset: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--demo") {
      const next = argv[i + 1];
      args.demo =
        next !== undefined && !next.startsWith("--")
          ? (i++, path.resolve(next))
          : path.join(PROJECT_DIR, "assets", "samples", "greenscreen-portrait.jpg");
    } else if (arg === "--reset") args.reset = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option "${arg}"\n${USAGE}`);
  }
  return args;
}

function banner(stack: Stack): string {
  const { webUrl, s3Endpoint, mqttWsUrl, buckets, env } = stack;
  return [
    "theme-park-photos: local stack running",
    `  Web page           ${webUrl}/`,
    `  Upload API         ${webUrl}/Upload`,
    `  Front-end config   ${webUrl}/frontend-config.json`,
    `  Final images       ${webUrl}/photos/<key>`,
    `  MQTT (WebSocket)   ${mqttWsUrl}   topic "${env.NOTIFY_TOPIC}"`,
    `  IoT publish bridge ${webUrl}/topics/<topic>`,
    `  S3 endpoint        ${s3Endpoint}   buckets ${buckets.upload}, ${buckets.processing}, ${buckets.final}`,
    `  Data               ${stack.dataDir}   (reset: npm start -- --reset)`,
    "Press Ctrl-C to stop.",
  ].join("\n");
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const dataDir = path.resolve(process.env.LOCAL_DATA_DIR ?? path.join(PROJECT_DIR, ".local-data"));
  if (args.reset) {
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`deleted ${dataDir}`);
  }
  if (args.demo !== undefined && !existsSync(args.demo)) throw new Error(`demo photo not found: ${args.demo}`);

  // A script wants the result lines, not every stage step: LOG_LEVEL=info brings those back.
  if (args.demo !== undefined) process.env.LOG_LEVEL ??= "warn";
  const stack = await startStack({ dataDir, quiet: args.demo !== undefined });
  if (args.demo !== undefined) {
    try {
      console.log(`demo: ${path.relative(process.cwd(), args.demo) || args.demo} -> ${stack.webUrl}/Upload`);
      const result = await runDemo(stack, args.demo);
      if (result.notification.type !== "photoProcessed") {
        console.error(`demo: photoFailed: ${result.notification.message.reason ?? "no reason given"}`);
        return 1;
      }
      console.log(`demo: photoProcessed ${result.notification.message.ObjectKey}`);
      console.log(`  URL   ${result.url}   (served while npm start runs on this port)`);
      console.log(`  file  ${result.file}`);
      return 0;
    } finally {
      await stack.stop();
    }
  }

  console.log(banner(stack));
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`${signal} again: exiting without a clean shutdown`);
        process.exit(1);
      }
      stopping = true;
      console.log(`\n${signal}: stopping…`);
      stack.stop().then(resolve, (err: unknown) => {
        console.error(`error while stopping: ${err instanceof Error ? err.message : String(err)}`);
        resolve();
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  console.log("stopped.");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof PortInUseError) {
      const variable = err.what === "S3 server" ? "S3_PORT" : "PORT";
      console.error(
        `error: ${err.message}; stop whatever uses it or set ${variable} to another port (0 picks a free one)`,
      );
    } else {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  },
);
