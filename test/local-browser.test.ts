import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { SAMPLE_PHOTO } from "../local/load";
import { startTestStack } from "./local-stack";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");

describe("local stack: the web page in a browser", function () {
  this.timeout(60_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;

  before(async function () {
    // CI installs Chromium: a missing browser is a failure to fix, not a test to skip.
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `headless Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
      );
    }
    stack = await startTestStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The fake camera feeds getUserMedia a test pattern and grants permission without a prompt.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await stack?.stopAndClean();
  });

  it("uploads a chosen photo and shows the composited souvenir, then a clear message for a bad file", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`${res.status()} for ${res.url()}`);
    });
    await page.goto(`${stack.webUrl}/`);
    // Ready only once subscribed to the topic: uploading before that could miss the notification.
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    expect(await page.isEnabled("#file-input")).to.equal(true);

    const dir = path.join(tmpdir(), `tpp-browser-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    await page.setInputFiles("#file-input", SAMPLE_PHOTO);

    const souvenir = page.locator(".photo.done img.souvenir");
    await souvenir.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>(".photo.done img.souvenir");
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    const size = await souvenir.evaluate((img: HTMLImageElement) => ({
      w: img.naturalWidth,
      h: img.naturalHeight,
      src: img.src,
    }));
    expect(size.w).to.equal(1080);
    expect(size.h).to.equal(1350);
    // The souvenir's URL carries its version (?v=<ETag>), so a re-upload never shows a cached older souvenir.
    expect(size.src).to.match(new RegExp(`^${stack.webUrl}/photos/[0-9a-f-]{36}\\.jpg\\?v=[0-9a-f]{32}$`));
    expect(await page.locator(".photo.done .download").getAttribute("href")).to.equal(size.src);
    expect(await page.locator(".photo.done .status").textContent()).to.contain("ready");

    const badFile = path.join(dir, "holiday.heic");
    writeFileSync(badFile, Buffer.from("not really an image"));
    await page.setInputFiles("#file-input", badFile);
    const failed = page.locator(".photo.failed .status");
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.textContent()).to.match(/could not be made into a souvenir: .+/);
    expect(await page.isVisible(".photo.failed .download")).to.equal(false);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "local-browser.png"), fullPage: true });
    expect(problems).to.deep.equal([]);
  });

  it("takes a photo with the camera (getUserMedia) and gets an answer for it", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${stack.webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    await page.click("#camera-button");
    await page.waitForFunction(
      () => (document.querySelector<HTMLVideoElement>("#video")?.videoWidth ?? 0) > 0,
      undefined,
      { timeout: 10_000 },
    );
    await page.click("#shutter");
    expect(await page.isVisible("#camera")).to.equal(false);
    // The fake camera shows a test pattern, not a person on a green screen: any answer proves the capture path.
    const card = page.locator(".photo.done, .photo.failed");
    await card.waitFor({ timeout: 30_000 });
    expect(await page.locator(".photo").count()).to.equal(1);
    expect(await card.getAttribute("data-key")).to.match(/^[0-9a-f-]{36}\.jpg$/);
  });
});
