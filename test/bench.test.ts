import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromakeyPhoto } from "../pipeline/stages";
import { greenScreenJpeg } from "./local-photo";

const MEASURE = path.join(__dirname, "..", "bench", "measure.js");

/** The benchmark's per-stage script (on the compiled pipeline, as `npm test` builds it): it runs what it names. */
describe("bench/measure.js", function () {
  this.timeout(30_000);
  let dir: string;
  const files: Record<string, string> = {};
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-bench-"));
    const photo = await greenScreenJpeg(300, 400);
    files.photo = path.join(dir, "photo.jpg");
    fs.writeFileSync(files.photo, photo);
    files.keyed = path.join(dir, "keyed.png");
    fs.writeFileSync(files.keyed, await chromakeyPhoto(photo));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const [name, input] of [
    ["chromakey", "photo"],
    ["chromakey-codec", "photo"],
    ["composite", "keyed"],
    ["composite-codec", "keyed"],
  ] as const) {
    it(`${name}: one JSON line with times and the process's peak memory`, () => {
      const out = execFileSync(process.execPath, [MEASURE, name, files[input]!, "2"], { encoding: "utf8" });
      const result = JSON.parse(out.trim()) as Record<string, unknown>;
      expect(result).to.include({ case: name, runs: 2 });
      expect(result.minMs).to.be.a("number").above(0);
      expect(result.medianMs).to.be.at.least(result.minMs as number);
      expect(result.peakRssMb).to.be.a("number").above(30);
    });
  }

  it("refuses a case it does not know, or a photo the stage refuses, with a non-zero exit", () => {
    expect(() => execFileSync(process.execPath, [MEASURE, "resize", files.photo!], { stdio: "pipe" })).to.throw(
      /usage: measure\.js/,
    );
    fs.writeFileSync(path.join(dir, "notes.txt"), "not a photo");
    expect(() =>
      execFileSync(process.execPath, [MEASURE, "chromakey", path.join(dir, "notes.txt"), "1"], { stdio: "pipe" }),
    ).to.throw(/not a JPEG or PNG image/);
  });
});
