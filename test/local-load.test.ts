import { expect } from "chai";
import { runLoad } from "../local/load";
import { greenScreenJpeg } from "./local-photo";
import { startTestStack } from "./local-stack";

describe("local stack: load (bounded)", function () {
  this.timeout(120_000);
  let stack: Awaited<ReturnType<typeof startTestStack>>;

  before(async () => {
    stack = await startTestStack();
  });

  after(async () => {
    await stack?.stopAndClean();
  });

  it("takes 50 uploads at once: one final image and one notification each, none lost, none duplicated", async () => {
    const n = 50;
    const result = await runLoad(stack, n, { photo: await greenScreenJpeg(360, 450), timeoutMs: 90_000 });
    const ms = (x: number): string => `${Math.round(x)} ms`;
    console.log(
      `      load: ${n} uploads, upload->notification p50 ${ms(result.p50Ms)}, p95 ${ms(result.p95Ms)}, all done in ${ms(result.wallMs)}`,
    );
    expect(result.missing, "uploads never notified").to.deep.equal([]);
    expect(result.duplicated, "uploads notified twice").to.deep.equal([]);
    expect(result.failures, "photoFailed notifications").to.deep.equal([]);
    expect(result.processed).to.equal(n);
    expect(
      Object.values(result.finalWrites).every((count) => count === 1),
      JSON.stringify(result.finalWrites),
    ).to.equal(true);
    expect(
      Object.values(result.finalImages).every((count) => count === 1),
      JSON.stringify(result.finalImages),
    ).to.equal(true);
    expect(result.latenciesMs).to.have.length(n);
  });
});
