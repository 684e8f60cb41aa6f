import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main, parseCommandLine } from "../pipeline/cli";
import { decodePhoto, readImageHeader } from "../pipeline/image-input";
import { encodeJpeg, encodePng } from "../pipeline/image-output";
import { createRgba, type Rgba } from "../pipeline/rgba";
import { compositePhoto } from "../pipeline/composite";
import { chromakeyPhoto, MIN_PHOTO_SIDE, NO_SCREEN_REASON } from "../pipeline/stages";
import { chooseTheme } from "../pipeline/themes";

const REPO = path.join(__dirname, "..");
const CLI = path.join(REPO, "pipeline", "cli.ts");

/** A guest-like magenta block in front of an evenly lit green screen. */
function greenScreenPhoto(width: number, height: number): Rgba {
  const img = createRgba(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x > width * 0.3 && x < width * 0.7 && y > height * 0.2;
      img.data.set(inside ? [200, 40, 160, 255] : [20, 180, 60, 255], (y * width + x) * 4);
    }
  }
  return img;
}

/** The same guest where the screen is narrower than the photo: the room's beige wall shows at both sides. */
function screenInRoomPhoto(width: number, height: number): Rgba {
  const img = greenScreenPhoto(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < width * 0.12 || x >= width * 0.88) img.data.set([196, 180, 150, 255], (y * width + x) * 4);
    }
  }
  return img;
}

/** An ordinary selfie: a guest in front of a room's wall, no screen anywhere. */
function noScreenPhoto(width: number, height: number): Rgba {
  const img = createRgba(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x > width * 0.3 && x < width * 0.7 && y > height * 0.2;
      img.data.set(inside ? [224, 172, 135, 255] : [200, 190, 170, 255], (y * width + x) * 4);
    }
  }
  return img;
}

/** A keyed subject: opaque block on transparency. */
function keyedSubject(width: number, height: number): Rgba {
  const img = createRgba(width, height);
  for (let y = Math.floor(height * 0.2); y < height; y++) {
    for (let x = Math.floor(width * 0.3); x < width * 0.7; x++) img.data.set([200, 40, 160, 255], (y * width + x) * 4);
  }
  return img;
}

async function runInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function runProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function expectOneLine(text: string): void {
  expect(text.endsWith("\n"), JSON.stringify(text)).to.equal(true);
  expect(text.trimEnd().split("\n"), JSON.stringify(text)).to.have.length(1);
  expect(text).not.to.match(/\n\s+at /);
}

/** The one line a successful command prints: what it wrote, how big, and how long it took. */
function expectReport(out: string, file: string, details: RegExp, bytes: number): void {
  expectOneLine(out);
  expect(out).to.match(new RegExp(`^wrote ${file.replace(/[.\\]/g, "\\$&")} \\(`));
  expect(out).to.match(details);
  expect(out).to.contain(`${Math.round(bytes / 1024)} KB`);
  expect(out).to.match(/ in \d+\.\d s\n$/);
}

describe("cli", function () {
  this.timeout(20000);
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-cli-"));
    fs.writeFileSync(path.join(dir, "GUEST.JPG"), await encodeJpeg(greenScreenPhoto(320, 400), 95));
    fs.writeFileSync(path.join(dir, "KEYED.PNG"), await encodePng(keyedSubject(300, 400)));
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a photo\n");
    fs.writeFileSync(path.join(dir, "half.jpg"), (await encodeJpeg(greenScreenPhoto(200, 200))).subarray(0, 400));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("parseCommandLine", () => {
    it("reads commands, options and the photo id", () => {
      expect(
        parseCommandLine(["composite", "a/IMG_1.PNG", "out.JPG", "--theme", "castle", "--park-name", "Fun Land"]),
      ).to.deep.equal({
        action: "composite",
        input: "a/IMG_1.PNG",
        output: "out.JPG",
        theme: "castle",
        parkName: "Fun Land",
        photoId: "IMG_1",
      });
      expect(parseCommandLine(["process", "x.jpeg", "y.jpeg", "--id", "abc"]).photoId).to.equal("abc");
      expect(parseCommandLine(["--help"]).action).to.equal("help");
    });

    it("refuses bad usage with a one-line reason", () => {
      const cases: [string[], RegExp][] = [
        [[], /no command/],
        [["frob", "a", "b"], /unknown command "frob"/],
        [["composite", "a.png"], /needs IN and OUT/],
        [["composite", "a.png", "b.gif"], /must end in .png, .jpg or .jpeg/],
        [["chromakey", "a.jpg", "b.jpg"], /chromakey output must be .png/],
        [["chromakey", "a.jpg", "b.png", "--theme", "castle"], /apply to composite and process/],
        [
          ["composite", "a.png", "b.jpg", "--theme", "moon"],
          /unknown theme "moon"; known themes: castle, rollercoaster, tropical/,
        ],
        [["composite", "a.png", "b.jpg", "--bogus"], /unknown or incomplete option --bogus/],
        [["composite", "a.png", "b.jpg", "--theme"], /option --theme/],
        [["composite", "a.png", "b.jpg", "c"], /unexpected argument "c"/],
      ];
      for (const [argv, reason] of cases) {
        expect(() => parseCommandLine(argv), argv.join(" ")).to.throw(reason);
      }
    });
  });

  it("composite: keyed PNG in (upper-case extension), souvenir JPEG out", async () => {
    const out = path.join(dir, "SOUVENIR.JPG");
    const r = await runInProcess([
      "composite",
      path.join(dir, "KEYED.PNG"),
      out,
      "--theme",
      "tropical",
      "--park-name",
      "Test Park",
    ]);
    expect(r.err).to.equal("");
    expect(r.code).to.equal(0);
    const bytes = fs.readFileSync(out);
    expectReport(r.out, out, /1080x1350 JPEG, \d+ KB, theme tropical/, bytes.length);
    expect(await readImageHeader(bytes)).to.deep.equal({ format: "jpeg", width: 1080, height: 1350, orientation: 1 });
    const img = await decodePhoto(bytes);
    const centre = (700 * 1080 + 540) * 4;
    const [r0, g0, b0] = img.data.subarray(centre, centre + 3);
    expect(Math.abs(r0 - 200) + Math.abs(g0 - 40) + Math.abs(b0 - 160)).to.be.below(30);
  });

  it("chromakey: photo in, RGBA PNG out with the screen transparent and the guest opaque", async () => {
    const out = path.join(dir, "keyed-out.png");
    const r = await runInProcess(["chromakey", path.join(dir, "GUEST.JPG"), out]);
    expect(r.err).to.equal("");
    expect(r.code).to.equal(0);
    const bytes = fs.readFileSync(out);
    // The magenta block covers 40% x 80% of the photo: the rest (68%) is screen.
    expectReport(r.out, out, /320x400 PNG, \d+ KB, 6[6-9]% transparent/, bytes.length);
    expect(await readImageHeader(bytes)).to.include({ format: "png", width: 320, height: 400 });
    const keyed = await decodePhoto(bytes);
    expect(keyed.data[(50 * 320 + 20) * 4 + 3], "screen").to.be.below(16);
    expect(keyed.data[(300 * 320 + 160) * 4 + 3], "guest").to.be.above(240);
  });

  it("process: photo in, souvenir out", async () => {
    const out = path.join(dir, "final.jpeg");
    const r = await runInProcess(["process", path.join(dir, "GUEST.JPG"), out]);
    expect(r.err).to.equal("");
    expect(r.code).to.equal(0);
    // No --theme: the one the photo id (GUEST) picks, named so the user can ask for it again.
    expectReport(
      r.out,
      out,
      new RegExp(`1080x1350 JPEG, \\d+ KB, theme ${chooseTheme("GUEST")}`),
      fs.statSync(out).size,
    );
    expect(await readImageHeader(fs.readFileSync(out))).to.include({ format: "jpeg", width: 1080, height: 1350 });
  });

  it("chromakey and process write what the cloud's stages write: the cut-out cut to the screen, the same souvenir", async () => {
    const photo = await encodeJpeg(screenInRoomPhoto(400, 500), 92);
    const file = path.join(dir, "room.jpg");
    fs.writeFileSync(file, photo);
    const keyed = await chromakeyPhoto(photo);
    expect((await readImageHeader(keyed)).width, "the stage cuts the room away").to.be.below(400);

    const keyedOut = path.join(dir, "room-keyed.png");
    const k = await runInProcess(["chromakey", file, keyedOut]);
    expect(k.err).to.equal("");
    expect(fs.readFileSync(keyedOut).equals(keyed), "chromakey's PNG is the chromakey stage's").to.equal(true);

    const souvenirOut = path.join(dir, "room-souvenir.jpg");
    const p = await runInProcess(["process", file, souvenirOut, "--theme", "castle"]);
    expect(p.err).to.equal("");
    const souvenir = await compositePhoto(keyed, { photoId: "room", theme: "castle" });
    expect(fs.readFileSync(souvenirOut).equals(souvenir), "process's JPEG is the two stages' souvenir").to.equal(true);
  });

  it("chromakey and process refuse a photo with no green screen, with the reason the guest gets from the cloud", async () => {
    const file = path.join(dir, "selfie.jpg");
    fs.writeFileSync(file, await encodeJpeg(noScreenPhoto(300, 400), 90));
    for (const action of ["chromakey", "process"]) {
      const out = path.join(dir, `selfie-${action}.${action === "chromakey" ? "png" : "jpg"}`);
      const r = await runInProcess([action, file, out]);
      expect(r.code, action).to.equal(1);
      expectOneLine(r.err);
      expect(r.err.trimEnd(), action).to.equal(`theme-park-photos: ${file}: ${NO_SCREEN_REASON}`);
      expect(fs.existsSync(out), action).to.equal(false);
    }
  });

  it("refuses a photo too small to make a souvenir from, however it is shaped", async () => {
    for (const [width, height] of [
      [40, 30],
      [2048, 4],
      [MIN_PHOTO_SIDE - 1, 600],
    ]) {
      const file = path.join(dir, `small-${width}x${height}.jpg`);
      fs.writeFileSync(file, await encodeJpeg(greenScreenPhoto(width, height), 90));
      const r = await runInProcess(["process", file, path.join(dir, "small.jpg")]);
      expect(r.code, `${width}x${height}`).to.equal(1);
      expectOneLine(r.err);
      expect(r.err).to.contain(`image is too small (${width}x${height})`);
      expect(r.err).to.contain(`${MIN_PHOTO_SIDE} pixels`);
    }
    expect(fs.existsSync(path.join(dir, "small.jpg"))).to.equal(false);
    // The smallest photo the pipeline takes still makes a souvenir.
    fs.writeFileSync(path.join(dir, "smallest.jpg"), await encodeJpeg(greenScreenPhoto(MIN_PHOTO_SIDE, 260), 90));
    const ok = await runInProcess(["process", path.join(dir, "smallest.jpg"), path.join(dir, "smallest-out.jpg")]);
    expect(ok.err).to.equal("");
    expect(ok.code).to.equal(0);
  });

  it("composite refuses a photo with no transparency: it would paste the whole photo, screen and all", async () => {
    fs.writeFileSync(path.join(dir, "opaque.png"), await encodePng(greenScreenPhoto(320, 400)));
    for (const file of ["GUEST.JPG", "opaque.png"]) {
      const out = path.join(dir, `pasted-${file}.jpg`);
      const r = await runInProcess(["composite", path.join(dir, file), out]);
      expect(r.code, file).to.equal(1);
      expectOneLine(r.err);
      expect(r.err).to.match(new RegExp(`${file} has no transparency.*chromakey.*process`));
      expect(r.out).to.equal("");
      expect(fs.existsSync(out), file).to.equal(false);
    }
  });

  it("bad input files: exit code 1 and one line naming the file and the reason", async () => {
    const cases: [string, RegExp][] = [
      ["notes.txt", /notes\.txt: not a JPEG or PNG image$/],
      ["half.jpg", /half\.jpg: image is corrupt or truncated$/],
      ["missing.png", /cannot read .*missing\.png: no such file or directory$/],
    ];
    for (const [file, reason] of cases) {
      const r = await runInProcess(["composite", path.join(dir, file), path.join(dir, "x.jpg")]);
      expect(r.code, file).to.equal(1);
      expectOneLine(r.err);
      expect(r.err.trimEnd()).to.match(reason);
      expect(fs.existsSync(path.join(dir, "x.jpg"))).to.equal(false);
    }
    const r = await runInProcess(["composite", path.join(dir, "KEYED.PNG"), path.join(dir, "no-such-dir", "x.jpg")]);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/cannot write .*x\.jpg: no such file or directory\n$/);
  });

  it("as a process: one stderr line and a non-zero exit for bad input and bad usage; --help on stdout", async () => {
    const bad = await runProcess(["composite", path.join(dir, "notes.txt"), path.join(dir, "y.jpg")]);
    expect(bad.code).to.equal(1);
    expectOneLine(bad.stderr);
    expect(bad.stderr).to.match(/^theme-park-photos: .*notes\.txt: not a JPEG or PNG image\n$/);
    const usage = await runProcess(["composite"]);
    expect(usage.code).to.equal(2);
    expectOneLine(usage.stderr);
    const help = await runProcess(["--help"]);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage:\n/);
    expect(help.stderr).to.equal("");
  });
});
