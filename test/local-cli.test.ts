import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { readImageHeader } from "../pipeline/image-input";
import { main as cli } from "../pipeline/cli";
import { greenScreenJpeg } from "./local-photo";
import { startTestStack } from "./local-stack";

const PROJECT = path.join(__dirname, "..");

interface Run {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exit: Promise<number | null>;
}

/** `npm start -- <args>` as a child process (tsx on this Node), with its own data folder. */
function start(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ["--import", "tsx", "local/main.ts", ...args], {
    cwd: PROJECT,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => ({ stdout, stderr }), exit };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("local stack: npm start", function () {
  this.timeout(60_000);
  let dataDir: string;
  let blocker: Server;
  let busyPort: number;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "tpp-cli-"));
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    busyPort = (blocker.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise((r) => blocker.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("says in one line that a port is in use, and exits 1", async () => {
    const run = start([], { PORT: String(busyPort), S3_PORT: "0", LOCAL_DATA_DIR: dataDir });
    expect(await run.exit).to.equal(1);
    const lines = run.output().stderr.trim().split("\n");
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^error: port ${busyPort} \\(web server\\) is already in use; .*PORT`));
  });

  it("prints every URL on start-up and shuts down cleanly on SIGINT", async () => {
    const run = start([], { PORT: "0", S3_PORT: "0", LOCAL_DATA_DIR: dataDir });
    await until(() => run.output().stdout.includes("Press Ctrl-C"), 20_000, "the start-up banner");
    const out = run.output().stdout;
    for (const label of [
      "Web page",
      "Upload API",
      "Front-end config",
      "Final images",
      "MQTT (WebSocket)",
      "IoT publish bridge",
      "S3 endpoint",
      "Data",
    ]) {
      expect(out, label).to.match(new RegExp(`${label.replace(/[()]/g, "\\$&")}\\s+\\S+`));
    }
    const web = /Web page\s+(\S+)/.exec(out)?.[1] as string;
    expect((await fetch(`${web}frontend-config.json`)).status).to.equal(200);
    run.child.kill("SIGINT");
    expect(await run.exit).to.equal(0);
    expect(run.output().stdout).to.contain("stopped.");
    expect(run.output().stderr).to.equal("");
  });

  it("--demo runs one photo through the stack headless, prints the URL and file, exits 0", async () => {
    const photo = path.join(dataDir, "selfie.jpg");
    writeFileSync(photo, await greenScreenJpeg());
    // Broadcast off: the demo hears its photo on its own topic, as the page does.
    const run = start(["--demo", photo], {
      PORT: "0",
      S3_PORT: "0",
      LOCAL_DATA_DIR: dataDir,
      NOTIFY_BROADCAST: "false",
    });
    expect(await run.exit, run.output().stderr).to.equal(0);
    const out = run.output().stdout;
    expect(out).to.match(/photoProcessed [0-9a-f-]{36}\.jpg/);
    expect(out).to.match(/URL\s+http:\/\/localhost:\d+\/photos\/[0-9a-f-]{36}\.jpg/);
    const file = /file\s+(\S+)/.exec(out)?.[1] as string;
    expect(existsSync(file), file).to.equal(true);
    expect(await readImageHeader(readFileSync(file))).to.include({ format: "jpeg", width: 1080, height: 1350 });
  });

  it("--demo says when it runs a stack of its own; --theme and --park-name mean what they mean to the CLI", async () => {
    const photo = path.join(dataDir, "themed.jpg");
    writeFileSync(photo, await greenScreenJpeg());
    const run = start(["--demo", photo, "--theme", "tropical", "--park-name", "Demo Land"], {
      PORT: "0",
      S3_PORT: "0",
      LOCAL_DATA_DIR: dataDir,
    });
    expect(await run.exit, run.output().stderr).to.equal(0);
    const out = run.output().stdout;
    expect(out).to.match(/no stack running .* run npm start in another terminal first/);
    const file = /file\s+(\S+)/.exec(out)?.[1] as string;
    // The same photo id, theme and name through the CLI give the very same souvenir.
    const photoId = path.basename(file, ".jpg");
    const cliOut = path.join(dataDir, "cli-souvenir.jpg");
    const code = await cli(
      ["process", photo, cliOut, "--id", photoId, "--theme", "tropical", "--park-name", "Demo Land"],
      {
        out: () => undefined,
        err: (s) => expect.fail(s),
      },
    );
    expect(code).to.equal(0);
    expect(readFileSync(file).equals(readFileSync(cliOut)), "demo souvenir = CLI souvenir").to.equal(true);
  });

  it("--demo uses a stack already running on PORT, which keeps serving the souvenir afterwards", async () => {
    const stack = await startTestStack();
    try {
      const port = new URL(stack.webUrl).port;
      const photo = path.join(dataDir, "running.jpg");
      writeFileSync(photo, await greenScreenJpeg());
      const run = start(["--demo", photo], { PORT: port, S3_PORT: "0", LOCAL_DATA_DIR: dataDir });
      expect(await run.exit, run.output().stderr).to.equal(0);
      const out = run.output().stdout;
      expect(out).to.contain(`using the stack running at http://localhost:${port}`);
      const url = /URL\s+(\S+)/.exec(out)?.[1] as string;
      expect(url.startsWith(`${stack.webUrl}/photos/`), url).to.equal(true);
      expect((await fetch(url)).status).to.equal(200);

      const themed = start(["--demo", photo, "--theme", "castle"], { PORT: port, LOCAL_DATA_DIR: dataDir });
      expect(await themed.exit).to.equal(2);
      expect(themed.output().stderr).to.match(
        /^error: a stack is already running on port \d+ with its own settings.*\n$/,
      );
    } finally {
      await stack.stopAndClean();
    }
  });

  it("refuses an unknown option or theme in one line, with the CLI's words", async () => {
    for (const [args, reason] of [
      [["--theme", "moon"], /unknown theme "moon"; known themes: castle, rollercoaster, tropical/],
      [["--THEME=castle"], /unknown or incomplete option --THEME/],
      [["stray.jpg"], /unexpected argument "stray.jpg"/],
    ] as const) {
      const run = start([...args], { PORT: "0", S3_PORT: "0", LOCAL_DATA_DIR: dataDir });
      expect(await run.exit, args.join(" ")).to.equal(2);
      const lines = run.output().stderr.trim().split("\n");
      expect(lines, args.join(" ")).to.have.length(1);
      expect(lines[0]).to.match(reason);
    }
  });

  it("--demo exits 1 with photoFailed for a file that is not a photo", async () => {
    const junk = path.join(dataDir, "junk.jpg");
    writeFileSync(junk, "definitely not a jpeg");
    const run = start(["--demo", junk], { PORT: "0", S3_PORT: "0", LOCAL_DATA_DIR: dataDir });
    expect(await run.exit).to.equal(1);
    expect(run.output().stderr).to.match(/demo: photoFailed: .+/);
  });
});
