import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs as parseNodeArgs } from "node:util";
import { THEMES } from "../pipeline/themes";
import * as qrcode from "qrcode-terminal";
import { findRunningStack, runDemo } from "./demo";
import { lanAddress, loadOrCreateCertificate } from "./lan";
import type { Certificate } from "./lan";
import type { DemoTarget } from "./demo";
import { PROJECT_DIR, PortInUseError, startStack } from "./stack";
import type { Stack } from "./stack";

const DEFAULT_DEMO_PHOTO = path.join("assets", "samples", "greenscreen-portrait.jpg");

const USAGE = `usage: npm start [-- OPTIONS]
  (no options)        run the local stack until Ctrl-C
  --demo [PHOTO]      send one photo (default ${DEFAULT_DEMO_PHOTO}) through the stack and exit:
                      the stack already running on PORT if there is one, else one started for the photo
  --theme NAME        ${THEMES.join(", ")} for every photo (default: chosen from the photo id)
  --park-name TEXT    text on the souvenir's banner
  --host              serve on this machine's network address over HTTPS (a self-signed certificate), so a
                      phone on the same network can open the page and use its camera; prints a QR code
  --reset             delete the local data (all buckets) before starting
  --help
environment: PORT (3000), S3_PORT (4568), LOCAL_DATA_DIR (.local-data), LAN_ADDRESS (--host: the address to
  serve on; default the first non-internal IPv4), CHROMAKEY_OPTIONS, LOG_LEVEL`;

/** A command line that cannot run: one line, then the usage. */
class UsageError extends Error {}

interface Args {
  demo?: string;
  reset: boolean;
  host: boolean;
  theme?: string;
  parkName?: string;
  help: boolean;
}

/** The same option names and meanings as the CLI (pipeline/cli.ts), so one spelling works in both. */
function parseArgs(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        demo: { type: "boolean" },
        reset: { type: "boolean" },
        host: { type: "boolean" },
        theme: { type: "string" },
        "park-name": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    const option = /option '([^']+)'/i.exec((err as Error).message)?.[1];
    throw new UsageError(option ? `unknown or incomplete option ${option}` : (err as Error).message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  if (positionals.length > (values.demo ? 1 : 0)) {
    throw new UsageError(`unexpected argument "${positionals[values.demo ? 1 : 0]}" (a photo goes after --demo)`);
  }
  if (values.host && values.demo) throw new UsageError("--demo sends its photo itself: it needs no --host");
  if (values.theme !== undefined && !THEMES.includes(values.theme)) {
    throw new UsageError(`unknown theme "${values.theme}"; known themes: ${THEMES.join(", ")}`);
  }
  return {
    demo: values.demo ? path.resolve(positionals[0] ?? path.join(PROJECT_DIR, DEFAULT_DEMO_PHOTO)) : undefined,
    reset: values.reset ?? false,
    host: values.host ?? false,
    theme: values.theme,
    parkName: values["park-name"],
    help: values.help ?? false,
  };
}

/**
 * --demo: the stack already running on PORT when there is one (its page shows the souvenir too, and keeps serving
 * it), else a stack started for this one photo.
 */
async function demo(args: Args, dataDir: string): Promise<number> {
  const port = process.env.PORT?.trim() || "3000";
  const running = port === "0" ? undefined : await findRunningStack(`http://localhost:${port}`);
  const photo = path.relative(process.cwd(), args.demo as string) || (args.demo as string);
  let target: DemoTarget;
  let stack: Stack | undefined;
  if (running) {
    if (args.theme !== undefined || args.parkName !== undefined) {
      throw new UsageError(
        `a stack is already running on port ${port} with its own settings; give --theme and --park-name to that ` +
          "npm start, or set PORT=0 to run the demo on a stack of its own",
      );
    }
    target = running;
    console.log(`demo: using the stack running at http://localhost:${port}`);
  } else {
    // A script wants the result lines, not every stage step: LOG_LEVEL=info brings those back.
    process.env.LOG_LEVEL ??= "warn";
    stack = await startStack({ dataDir, quiet: true });
    target = { uploadUrl: `${stack.webUrl}/Upload`, mqttUrl: stack.mqttWsUrl, topic: stack.env.NOTIFY_TOPIC };
    console.log(
      `demo: no stack running on port ${port}, so one runs for this photo only ` +
        "(to keep the souvenir's URL working, run npm start in another terminal first)",
    );
  }
  try {
    console.log(`demo: ${photo} -> ${target.uploadUrl}`);
    const result = await runDemo(target, args.demo as string, path.join(dataDir, "demo"));
    if (result.notification.type !== "photoProcessed") {
      console.error(`demo: photoFailed: ${result.notification.message.reason ?? "no reason given"}`);
      return 1;
    }
    console.log(`demo: photoProcessed ${result.notification.message.ObjectKey}`);
    console.log(`  URL   ${result.url}${stack ? "   (served until this demo exits)" : ""}`);
    console.log(`  file  ${result.file}`);
    return 0;
  } finally {
    await stack?.stop();
  }
}

/** What to do on the phone: the URL as text and as a QR code, and how to check the certificate's warning. */
async function phoneHelp(stack: Stack, certificate: Certificate): Promise<string> {
  const qr = await new Promise<string>((resolve) => qrcode.generate(`${stack.webUrl}/`, { small: true }, resolve));
  const file = path.relative(process.cwd(), certificate.file);
  return [
    `On a phone on the same network, open ${stack.webUrl}/ (or scan):`,
    qr,
    "The phone's browser warns that the certificate is not trusted: it is this stack's own, self-signed",
    `(${file.startsWith("..") ? certificate.file : file}, ${certificate.created ? "made now" : "kept from the last start"}). ` +
      `Check its SHA-256 fingerprint, ${certificate.fingerprint},`,
    `and accept it; then open ${stack.s3Endpoint}/ once and accept it there too: the upload goes to that address.`,
  ].join("\n");
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
  ].join("\n");
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // The stage settings, as Lambda reads them from its environment.
  if (args.theme !== undefined) process.env.THEME = args.theme;
  if (args.parkName !== undefined) process.env.PARK_NAME = args.parkName;
  const dataDir = path.resolve(process.env.LOCAL_DATA_DIR ?? path.join(PROJECT_DIR, ".local-data"));
  if (args.demo !== undefined && !existsSync(args.demo)) throw new Error(`demo photo not found: ${args.demo}`);
  if (args.reset) {
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`deleted ${dataDir}`);
  }
  if (args.demo !== undefined) return demo(args, dataDir);
  let stack: Stack;
  if (args.host) {
    const address = lanAddress();
    const certificate = await loadOrCreateCertificate(dataDir, address);
    stack = await startStack({ dataDir, host: address, tls: certificate });
    console.log(banner(stack));
    console.log(await phoneHelp(stack, certificate));
  } else {
    stack = await startStack({ dataDir });
    console.log(banner(stack));
  }
  console.log("Press Ctrl-C to stop.");
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
    if (err instanceof UsageError) {
      console.error(`error: ${err.message} (npm start -- --help)`);
      process.exit(2);
    }
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
