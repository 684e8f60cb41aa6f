import { expect } from "chai";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { listThemes } from "../pipeline/asset-files";
import { decodePhoto } from "../pipeline/image-input";
import { encodePng } from "../pipeline/image-output";
import { createRgba } from "../pipeline/rgba";
import { coverCrop, THEMES } from "../pipeline/themes";

const REPO = path.join(__dirname, "..");

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", ...args],
      { cwd: REPO, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** A solid-colour picture of any size, as a park's own background might be (PNG or JPEG bytes). */
function solid(width: number, height: number, colour: string, format: "png" | "jpeg"): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, width, height);
  return format === "png" ? canvas.toBuffer("image/png") : canvas.toBuffer("image/jpeg");
}

describe("themes as data", function () {
  this.timeout(30_000);
  let assets: string;

  before(() => {
    // A park's copy of the assets: the shipped ones plus a theme of its own.
    assets = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-themes-"));
    fs.cpSync(path.join(REPO, "assets", "fonts"), path.join(assets, "fonts"), { recursive: true });
    fs.cpSync(path.join(REPO, "assets", "frame.png"), path.join(assets, "frame.png"));
    fs.cpSync(path.join(REPO, "assets", "backgrounds"), path.join(assets, "backgrounds"), { recursive: true });
  });
  after(() => fs.rmSync(assets, { recursive: true, force: true }));

  it("a theme is a background file in assets/backgrounds/, with an optional <name>.frame.png beside it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-theme-list-"));
    try {
      fs.mkdirSync(path.join(dir, "backgrounds"));
      for (const file of ["castle.jpg", "lagoon.png", "lagoon.frame.png", "moon-base.jpeg", "Bad Name.jpg"]) {
        fs.writeFileSync(path.join(dir, "backgrounds", file), "");
      }
      for (const file of ["auto.jpg", "notes.txt", ".DS_Store"])
        fs.writeFileSync(path.join(dir, "backgrounds", file), "");
      expect(Object.fromEntries(listThemes(dir))).to.deep.equal({
        castle: { background: path.join("backgrounds", "castle.jpg"), frame: "frame.png" },
        lagoon: {
          background: path.join("backgrounds", "lagoon.png"),
          frame: path.join("backgrounds", "lagoon.frame.png"),
        },
        "moon-base": { background: path.join("backgrounds", "moon-base.jpeg"), frame: "frame.png" },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the shipped themes are read from the shipped assets", () => {
    expect(THEMES).to.deep.equal([...listThemes(path.join(REPO, "assets")).keys()]);
    expect(THEMES).to.include.members(["castle", "rollercoaster", "tropical"]);
  });

  it("a background of any shape covers the souvenir, centred, without stretching", () => {
    expect(coverCrop(1080, 1350)).to.deep.equal({ x: 0, y: 0, width: 1080, height: 1350 });
    expect(coverCrop(1920, 1080)).to.deep.equal({ x: 528, y: 0, width: 864, height: 1080 });
    expect(coverCrop(400, 2000)).to.deep.equal({ x: 0, y: 750, width: 400, height: 500 });
    expect(coverCrop(540, 675)).to.deep.equal({ x: 0, y: 0, width: 540, height: 675 });
  });

  it("a dropped-in background (and frame) is a theme for the CLI and the stage settings", async () => {
    // Landscape: the 4:5 middle (x 440..1160) teal, the sides that must be cropped off orange and purple.
    const canvas = createCanvas(1600, 900);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "rgb(240, 130, 20)";
    ctx.fillRect(0, 0, 440, 900);
    ctx.fillStyle = "rgb(0, 150, 150)";
    ctx.fillRect(440, 0, 720, 900);
    ctx.fillStyle = "rgb(120, 40, 160)";
    ctx.fillRect(1160, 0, 440, 900);
    fs.writeFileSync(path.join(assets, "backgrounds", "lagoon.png"), canvas.toBuffer("image/png"));
    // Its own frame: transparent, with a red band at the top where the shared frame has none.
    const frame = createCanvas(1080, 1350);
    const fctx = frame.getContext("2d");
    fctx.fillStyle = "rgb(220, 20, 20)";
    fctx.fillRect(0, 0, 1080, 60);
    fs.writeFileSync(path.join(assets, "backgrounds", "lagoon.frame.png"), frame.toBuffer("image/png"));
    fs.writeFileSync(path.join(assets, "backgrounds", "desert.jpg"), solid(800, 1000, "rgb(230, 190, 120)", "jpeg"));

    const env = { ASSETS_DIR: assets };
    const help = await run(["pipeline/cli.ts", "--help"], env);
    expect(help.stdout).to.match(/--theme NAME\s+castle, desert, lagoon, rollercoaster, tropical/);

    const subject = createRgba(300, 400);
    for (let y = 100; y < 400; y++)
      for (let x = 120; x < 180; x++) subject.data.set([250, 250, 250, 255], (y * 300 + x) * 4);
    const keyed = path.join(assets, "keyed.png");
    fs.writeFileSync(keyed, await encodePng(subject));
    const out = path.join(assets, "lagoon.jpg");
    const made = await run(["pipeline/cli.ts", "composite", keyed, out, "--theme", "lagoon"], env);
    expect(made.stderr).to.equal("");
    expect(made.stdout).to.contain("theme lagoon");
    const img = await decodePhoto(fs.readFileSync(out));
    const at = (x: number, y: number): number[] =>
      Array.from(img.data.subarray((y * 1080 + x) * 4, (y * 1080 + x) * 4 + 3));
    const near = (got: number[], want: number[]): boolean => got.every((v, i) => Math.abs(v - want[i]) < 24);
    // Cropped, not stretched: teal from side to side.
    expect(near(at(60, 600), [0, 150, 150]), `left edge: ${at(60, 600)}`).to.equal(true);
    expect(near(at(1020, 600), [0, 150, 150]), `right edge: ${at(1020, 600)}`).to.equal(true);
    expect(near(at(540, 30), [220, 20, 20]), `its own frame: ${at(540, 30)}`).to.equal(true);

    // The stage setting (THEME, as npm start --theme and the Pulumi program set it) takes it too.
    const config = await run(
      ["-e", "console.log(require('./pipeline/config').loadConfig({ THEME: 'desert' }).theme)"],
      env,
    );
    expect(config.stdout.trim(), config.stderr).to.equal("desert");
  });
});
