import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { SAMPLE_PHOTO } from "../local/load";
import { startTestStack } from "./local-stack";
import { launchChromium } from "./support/chromium";

const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");

const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1280, height: 800 };

function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} for ${res.url()}`);
  });
  return problems;
}

async function waitForSouvenir(page: Page): Promise<{ w: number; h: number; src: string }> {
  const souvenir = page.locator(".photo.done img.souvenir").first();
  await souvenir.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>(".photo.done img.souvenir");
    return img !== null && img.complete && img.naturalWidth > 0;
  });
  return souvenir.evaluate((img: HTMLImageElement) => ({ w: img.naturalWidth, h: img.naturalHeight, src: img.src }));
}

/** Each element wholly inside the viewport as it is now: the guest sees it without scrolling. */
async function expectInView(page: Page, selectors: string[]): Promise<void> {
  const view = page.viewportSize() as { width: number; height: number };
  for (const selector of selectors) {
    const box = await page.locator(selector).first().boundingBox();
    expect(box, selector).to.not.equal(null);
    const { x, y, width, height } = box as { x: number; y: number; width: number; height: number };
    expect(width > 0 && height > 0, `${selector} has a size`).to.equal(true);
    expect(
      x >= 0 && y >= 0 && x + width <= view.width && y + height <= view.height,
      `${selector} in view: ${JSON.stringify(box)} of ${JSON.stringify(view)}`,
    ).to.equal(true);
  }
}

interface FocusStop {
  text: string;
  ring: boolean;
}

/** Presses Tab until `done` holds for the focused element (at most 20 times); returns each stop. */
async function tabUntil(page: Page, done: (stop: FocusStop) => boolean): Promise<FocusStop[]> {
  const stops: FocusStop[] = [];
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return { text: "", ring: false };
      const style = getComputedStyle(el);
      return {
        text: (el.getAttribute("aria-label") || el.textContent || "").trim(),
        ring: el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
      };
    });
    stops.push(stop);
    if (done(stop)) return stops;
  }
  throw new Error(`never reached by Tab; stops: ${JSON.stringify(stops)}`);
}

/** Records every status text a card shows, from now on; returns a reader. */
async function recordStatuses(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenStatuses: string[] }).seenStatuses = seen;
    new MutationObserver(() => {
      const text = document.querySelector(".photo .status-text")?.textContent ?? "";
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.getElementById("photos") as HTMLElement, {
      subtree: true,
      childList: true,
      characterData: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { seenStatuses: string[] }).seenStatuses);
}

describe("local stack: the web page in a browser", function () {
  this.timeout(60_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;

  before(async function () {
    stack = await startTestStack();
    browser = await launchChromium();
  });

  // One page at a time, closed after its test: a page left open elsewhere can hold the keyboard focus.
  let open: Page | undefined;
  async function newPage(options: {
    viewport: { width: number; height: number };
    deviceScaleFactor?: number;
  }): Promise<Page> {
    open = await browser.newPage(options);
    return open;
  }
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });

  after(async () => {
    await browser?.close();
    await stack?.stopAndClean();
  });

  it("uploads a chosen photo and shows the composited souvenir, then a clear message for a bad file", async () => {
    const page = await newPage({ viewport: PHONE, deviceScaleFactor: 1 });
    const problems = watchProblems(page);
    await page.goto(`${stack.webUrl}/`);
    // Ready only once subscribed to the topic: uploading before that could miss the notification.
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    expect(await page.isEnabled("#file-button")).to.equal(true);

    const dir = path.join(tmpdir(), `tpp-browser-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    await page.setInputFiles("#file-input", SAMPLE_PHOTO);
    const size = await waitForSouvenir(page);
    expect(size.w).to.equal(1080);
    expect(size.h).to.equal(1350);
    // The souvenir's URL carries its version (?v=<ETag>), so a re-upload never shows a cached older souvenir.
    expect(size.src).to.match(new RegExp(`^${stack.webUrl}/photos/[0-9a-f-]{36}\\.jpg\\?v=[0-9a-f]{32}$`));
    expect(await page.locator(".photo.done .download").getAttribute("href")).to.equal(size.src);
    expect((await page.locator(".photo.done .status").textContent())?.trim()).to.equal("Your souvenir is ready!");
    await expectInView(page, [".photo.done img.souvenir", ".photo.done .status", ".photo.done .download"]);

    const badFile = path.join(dir, "holiday.heic");
    writeFileSync(badFile, Buffer.from("not really an image"));
    await page.setInputFiles("#file-input", badFile);
    const failed = page.locator(".photo.failed .status");
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.textContent()).to.match(/could not be made into a souvenir: .+/);
    expect(await page.isVisible(".photo.failed .download")).to.equal(false);
    await expectInView(page, [".photo.failed .status", ".photo.failed .try-again"]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "local-browser.png"), fullPage: true });
    expect(problems).to.deep.equal([]);
  });

  it("works by keyboard alone at 1280x800: Choose a photo, the souvenir and Download land in view", async () => {
    const page = await newPage({ viewport: LAPTOP, deviceScaleFactor: 1 });
    // Listening from the start turns on the file chooser's interception before anything can open it.
    const chooser = page.waitForEvent("filechooser", { timeout: 45_000 });
    const problems = watchProblems(page);
    await page.goto(`${stack.webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    const statuses = await recordStatuses(page);
    const uploads: string[] = [];
    page.on("request", (req) => {
      if (req.url().startsWith(stack.s3Endpoint)) uploads.push(`${req.method()} ${req.headers()["content-type"]}`);
    });

    // Tab from the top of the page to "Choose a photo"; every stop on the way shows a focus ring.
    const stops = await tabUntil(page, (el) => el.text === "Choose a photo");
    expect(stops.map((s) => s.text)).to.deep.equal(["Take a photo", "Choose a photo"]);
    for (const stop of stops) expect(stop.ring, stop.text).to.equal(true);
    await page.keyboard.press("Enter");
    await (await chooser).setFiles(SAMPLE_PHOTO);

    await waitForSouvenir(page);
    await expectInView(page, [".photo.done img.souvenir", ".photo.done .status", ".photo.done .download"]);
    expect(await page.evaluate(() => window.scrollY), "the page did not have to scroll").to.equal(0);
    // While waiting, the guest was told each step, in order.
    const seen = (await statuses()).map((t) => t.replace(/[0-9 %]+$/, "").trim());
    // "Placing you in the park" comes from the backend: the composite stage's photoProgress on the photo's topic.
    const order = [
      "Getting an upload link…",
      "Uploading…",
      "Cutting out the green screen…",
      "Placing you in the park…",
      "Your souvenir is ready!",
    ];
    expect(seen.filter((t, i) => order.includes(t) && seen[i - 1] !== t)).to.deep.equal(order);
    // The bounded form the presign answer offers, not the PUT URL beside it.
    expect(uploads).to.have.length(1);
    expect(uploads[0]).to.match(/^POST multipart\/form-data; boundary=/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "local-browser-1280x800.png") });
    // Download is the next stop from "Choose a photo" (the page holds nothing else focusable in between).
    const next = await tabUntil(page, (el) => el.text === "Download");
    expect(next.at(-1)).to.deep.include({ text: "Download", ring: true });
    expect(problems).to.deep.equal([]);
  });

  it("names every control for a screen reader and announces the status", async () => {
    const page = await newPage({ viewport: LAPTOP });
    await page.goto(`${stack.webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    const snapshot = await page.locator("body").ariaSnapshot();
    for (const line of ['heading "Theme Park Photos"', 'button "Take a photo"', 'button "Choose a photo"', "status"]) {
      expect(snapshot, line).to.contain(line);
    }
    // Nothing focusable without a name (a hidden input or an empty button would be read as just "button").
    const unnamed = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>("button, a[href], input, select, textarea, [tabindex]"))
        .filter((el) => el.tabIndex >= 0 && el.getClientRects().length > 0)
        .filter((el) => !(el.getAttribute("aria-label") || el.textContent || "").trim())
        .map((el) => el.outerHTML),
    );
    expect(unnamed).to.deep.equal([]);
  });

  it("at 1280x800, a failed photo shows its whole reason and Try again, which sends it again", async () => {
    const page = await newPage({ viewport: LAPTOP });
    const dir = path.join(tmpdir(), `tpp-browser-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const badFile = path.join(dir, "not-a-photo.jpg");
    writeFileSync(badFile, Buffer.from("this is not a JPEG"));
    // An older backend's presign answer: no upload form, so the page PUTs to uploadURL.
    const methods: string[] = [];
    page.on("request", (req) => {
      if (req.url().startsWith(stack.s3Endpoint)) methods.push(req.method());
    });
    await page.route(`${stack.webUrl}/Upload`, async (route) => {
      const res = await route.fetch();
      const { uploadURL, photoFilename } = (await res.json()) as { uploadURL: string; photoFilename: string };
      await route.fulfill({ response: res, json: { uploadURL, photoFilename } });
    });
    await page.goto(`${stack.webUrl}/`);
    await page.waitForSelector("#connection.ok", { timeout: 10_000 });
    await page.setInputFiles("#file-input", badFile);
    await page.locator(".photo.failed").waitFor({ timeout: 30_000 });
    await expectInView(page, [".photo.failed .status", ".photo.failed .try-again"]);
    const firstKey = await page.locator(".photo").getAttribute("data-key");

    await page.locator(".photo.failed .try-again").focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction((key) => {
      const card = document.querySelector<HTMLElement>(".photo");
      return card?.classList.contains("failed") && card.dataset.key !== undefined && card.dataset.key !== key;
    }, firstKey);
    expect(await page.locator(".photo").count(), "the same card, tried again").to.equal(1);
    expect(await page.locator(".photo .status").textContent()).to.match(/not a JPEG or PNG image/);
    expect(methods.filter((m) => m !== "OPTIONS")).to.deep.equal(["PUT", "PUT"]);
  });

  it("takes a photo with the camera (getUserMedia) and gets an answer for it", async () => {
    const page = await newPage({ viewport: PHONE });
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

describe("local stack: the web page with broadcast off (each photo only on its own topic)", function () {
  this.timeout(60_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let browser: Browser;

  before(async () => {
    stack = await startTestStack({ env: { NOTIFY_BROADCAST: "false" } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await stack?.stopAndClean();
  });

  it("hears its photo on <topic>/<photoId>", async () => {
    const page = await browser.newPage({ viewport: PHONE });
    try {
      const problems = watchProblems(page);
      await page.goto(`${stack.webUrl}/`);
      await page.waitForSelector("#connection.ok", { timeout: 10_000 });
      await page.setInputFiles("#file-input", SAMPLE_PHOTO);
      expect((await waitForSouvenir(page)).w).to.equal(1080);
      expect(problems).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });
});
