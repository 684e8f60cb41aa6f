import { expect } from "chai";
import { chromakey } from "../pipeline/chromakey";
import { hardHsvKey } from "./groundtruth/hsv-baseline";
import { type KeyScore, meanScore, scoreKey } from "./groundtruth/metrics";
import { generateScene } from "./groundtruth/scene";
import { HELD_OUT_SEEDS, sceneFor, TUNING_SEEDS } from "./groundtruth/sets";

interface SetScores {
  ours: KeyScore;
  hsv: KeyScore;
}

async function scoreSet(seeds: readonly number[]): Promise<SetScores> {
  const ours: KeyScore[] = [];
  const hsv: KeyScore[] = [];
  for (const seed of seeds) {
    const spec = sceneFor(seed);
    const scene = await generateScene(spec);
    ours.push(scoreKey(chromakey(scene.observed), scene.alphaTrue, scene.fgTrue));
    hsv.push(scoreKey(hardHsvKey(scene.observed, spec.screen), scene.alphaTrue, scene.fgTrue));
  }
  return { ours: meanScore(ours), hsv: meanScore(hsv) };
}

function row(name: string, s: KeyScore): string {
  return `  ${name.padEnd(22)} ${s.alphaError.toFixed(2).padStart(7)} ${s.compositeRmse.toFixed(2).padStart(9)} ${s.edgeRmse.toFixed(2).padStart(9)}`;
}

describe("keying quality against ground truth", function () {
  this.timeout(60_000);
  let tuning: SetScores;
  let heldOut: SetScores;

  before(async () => {
    tuning = await scoreSet(TUNING_SEEDS);
    heldOut = await scoreSet(HELD_OUT_SEEDS);
    console.log(`  ${"".padEnd(22)} ${"alpha pp".padStart(7)} ${"comp RMSE".padStart(9)} ${"edge RMSE".padStart(9)}`);
    console.log(row(`tuning (${TUNING_SEEDS.length}) ours`, tuning.ours));
    console.log(row(`tuning hard HSV`, tuning.hsv));
    console.log(row(`held-out (${HELD_OUT_SEEDS.length}) ours`, heldOut.ours));
    console.log(row(`held-out hard HSV`, heldOut.hsv));
  });

  it("held-out alpha error is at most 1.5 percentage points", () => {
    expect(heldOut.ours.alphaError).to.be.at.most(1.5);
  });

  it("held-out composite RMSE is at most 8", () => {
    expect(heldOut.ours.compositeRmse).to.be.at.most(8);
  });

  it("held-out edge RMSE is at most 35", () => {
    expect(heldOut.ours.edgeRmse).to.be.at.most(35);
  });

  it("beats the workshop's hard HSV threshold on every figure of the held-out set", () => {
    expect(heldOut.ours.alphaError).to.be.below(heldOut.hsv.alphaError);
    expect(heldOut.ours.compositeRmse).to.be.below(heldOut.hsv.compositeRmse);
    expect(heldOut.ours.edgeRmse).to.be.below(heldOut.hsv.edgeRmse);
  });
});
