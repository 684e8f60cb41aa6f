import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect as tlsConnect, getCACertificates, setDefaultCACertificates } from "node:tls";
import { expect } from "chai";
import { WebSocket } from "ws";
import type { Browser } from "playwright-core";
import { SAMPLE_PHOTO } from "../local/load";
import { lanAddress } from "../local/lan";
import { launchChromium } from "./support/chromium";

const PROJECT = path.join(__dirname, "..");

/** This machine's LAN address when it has one; else loopback, so the test runs on a machine with no network. */
function address(): string {
  try {
    return lanAddress({});
  } catch {
    return "127.0.0.1";
  }
}

describe("local stack: npm start -- --host (a phone on the LAN, over HTTPS)", function () {
  this.timeout(90_000);
  let dataDir: string;
  let child: ChildProcess;
  let stdout = "";
  let stderr = "";
  let exit: Promise<number | null>;
  let webUrl: string;
  let s3Url: string;
  let browser: Browser;
  const host = address();

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "tpp-lan-"));
    // LOG_LEVEL=error: the fake camera's photo fails on purpose (a warning); anything worse must still be silent.
    child = spawn(process.execPath, ["--import", "tsx", "local/main.ts", "--host"], {
      cwd: PROJECT,
      env: { ...process.env, PORT: "0", S3_PORT: "0", LOCAL_DATA_DIR: dataDir, LAN_ADDRESS: host, LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    exit = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    const end = Date.now() + 30_000;
    while (!stdout.includes("Press Ctrl-C")) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no start-up banner: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    webUrl = (/Web page\s+(\S+)/.exec(stdout)?.[1] as string).replace(/\/$/, "");
    s3Url = /S3 endpoint\s+(\S+)/.exec(stdout)?.[1] as string;
    // What accepting the certificate on the phone does, for this test process's own requests.
    setDefaultCACertificates([...getCACertificates("default"), readFileSync(path.join(dataDir, "tls", "cert.pem"))]);
  });

  after(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      child.kill("SIGINT");
      await exit;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the page and S3 on the network address over HTTPS only, and prints the URL as a QR code", async () => {
    expect(webUrl).to.match(new RegExp(`^https://${host.replace(/\./g, "\\.")}:\\d+$`));
    expect(s3Url).to.match(new RegExp(`^https://${host.replace(/\./g, "\\.")}:\\d+$`));
    expect(stdout).to.contain(`open ${webUrl}/`);
    // A QR code: rows of block characters, all the same width.
    const rows = stdout.split("\n").filter((line) => /^[█▀▄ ]{20,}$/.test(line));
    expect(rows.length).to.be.at.least(10);
    expect(new Set(rows.map((r) => r.length)).size).to.equal(1);

    // The certificate the server presents covers the address and is the one whose fingerprint was printed.
    const presented = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tlsConnect({ host, port: Number(new URL(webUrl).port), servername: undefined }, () => {
        const cert = socket.getPeerX509Certificate();
        socket.end();
        if (cert) resolve(cert);
        else reject(new Error("no certificate"));
      });
      socket.on("error", reject);
    });
    expect(presented.checkIP(host)).to.equal(host);
    expect(stdout).to.contain(presented.fingerprint256);
    expect((await fetch(`${webUrl}/frontend-config.json`)).status).to.equal(200);
    // Plain HTTP on the same port gets no page.
    const plain = await fetch(webUrl.replace("https:", "http:") + "/").then(
      (res) => res.status,
      () => "refused",
    );
    expect(plain).to.not.equal(200);
  });

  it("keeps the hardening: unsigned S3 requests and foreign origins are refused", async () => {
    expect((await fetch(`${s3Url}/tpp-upload/x.jpg`, { method: "PUT", body: "x" })).status).to.equal(403);
    const config = (await (await fetch(`${webUrl}/frontend-config.json`)).json()) as { mqttUrl: string };
    const upgrade = (origin: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(config.mqttUrl, "mqtt", { headers: { Origin: origin } });
        ws.on("open", () => {
          ws.terminate();
          resolve(101);
        });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("error", reject);
      });
    expect(await upgrade(webUrl), "the page's own origin").to.equal(101);
    const foreign = await upgrade("https://evil.example").then(
      (status) => (status === 101 ? "connected" : "refused"),
      () => "refused",
    );
    expect(foreign).to.equal("refused");
  });

  it("Chromium (a fake camera, the certificate accepted) takes a selfie and uploads a photo through it", async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(err.message));
    await page.goto(`${webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 15_000 });
    // A secure context: the camera is offered, as on a phone.
    expect(await page.evaluate(() => window.isSecureContext && !!navigator.mediaDevices)).to.equal(true);
    await page.click("#camera-button");
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>("#video")?.videoWidth ?? 0) > 0);
    await page.click("#shutter");
    // The fake camera films a test pattern, not a green screen: the answer may be photoFailed ("no green screen
    // was found"); either answer shows the selfie went the whole way through the LAN stack.
    const answered = page.locator(".photo.done, .photo.failed");
    await answered.waitFor({ timeout: 30_000 });
    expect(await answered.getAttribute("data-key")).to.match(/^[0-9a-f-]{36}\.jpg$/);

    await page.setInputFiles("#file-input", SAMPLE_PHOTO);
    const souvenir = page.locator(".photo.done img.souvenir");
    await page.waitForFunction(() => document.querySelectorAll(".photo.done img.souvenir").length > 0, undefined, {
      timeout: 30_000,
    });
    expect(await souvenir.first().getAttribute("src")).to.match(new RegExp(`^${webUrl}/photos/`));
    expect(problems).to.deep.equal([]);

    // A phone that accepted the page's certificate but not S3's: the page says what to do.
    await page.route(`${s3Url}/**`, (route) => route.abort("failed"));
    await page.setInputFiles("#file-input", SAMPLE_PHOTO);
    const failed = page.locator(".photo.failed .status", { hasText: `could not reach ${s3Url} (open it once` });
    await failed.waitFor({ timeout: 15_000 });

    child.kill("SIGINT");
    expect(await exit).to.equal(0);
    expect(stderr).to.equal("");
  });
});
