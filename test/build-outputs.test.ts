// `pulumi up` deploys what the source says: a bundle built before the source changed is rebuilt, a bundle that
// cannot build and a missing layer stop the program with one line saying what to run. Run on a copy of the
// project, so editing its source touches nothing here.
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleProblem, ensureBundles, FUNCTION_NAMES } from "../infra/bundle";
import { checkLayer } from "../infra/layer";

const ROOT = path.resolve(__dirname, "..");

function oneLineError(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    const message = (err as Error).message;
    expect(message).not.to.include("\n");
    return message;
  }
  throw new Error("expected an error");
}

describe("build outputs before a deploy", function () {
  this.timeout(60_000);
  let copy: string;

  before(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "tpp-build-"));
    for (const item of ["pipeline", "infra", "package.json", "package-lock.json"]) {
      fs.cpSync(path.join(ROOT, item), path.join(copy, item), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
  });

  after(() => fs.rmSync(copy, { recursive: true, force: true }));

  it("builds missing bundles, then finds them current", () => {
    expect(ensureBundles(copy)).to.match(/chromakey: not built/);
    for (const name of FUNCTION_NAMES) expect(bundleProblem(copy, name), name).to.equal(undefined);
    expect(ensureBundles(copy)).to.equal(undefined);
  });

  it("rebuilds a bundle whose source changed since it was built, and only says so for the ones it holds", () => {
    const keys = path.join(copy, "pipeline", "keys.ts");
    fs.appendFileSync(keys, "\nexport const EDITED_AFTER_BUILD = 1;\n");
    expect(bundleProblem(copy, "notify")).to.equal("pipeline/keys.ts changed since it was built");
    expect(bundleProblem(copy, "presign"), "presign does not use keys.ts").to.equal(undefined);
    expect(ensureBundles(copy)).to.include("notify: pipeline");
    expect(bundleProblem(copy, "notify")).to.equal(undefined);
  });

  it("refuses in one line, naming the file and the command, when a bundle cannot build", () => {
    const log = path.join(copy, "pipeline", "log.ts");
    const source = fs.readFileSync(log, "utf8");
    fs.writeFileSync(log, `${source}\nexport const broken = ;\n`);
    try {
      const message = oneLineError(() => ensureBundles(copy));
      expect(message).to.match(/^Cannot bundle the functions \(pipeline\/log\.ts:\d+: .+\): .*`npm run build`$/);
    } finally {
      fs.writeFileSync(log, source);
    }
  });

  it("refuses in one line when the native layer is missing", () => {
    expect(oneLineError(() => checkLayer(copy))).to.match(
      /^The native layer \(build\/layer\) does not hold @img\/sharp-linux-x64@[\d.]+ .*: run `npm run build:layer`$/,
    );
  });
});
