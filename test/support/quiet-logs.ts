/**
 * Stage log lines in tests. Tests that make a photo fail on purpose would print the stage's JSON error line
 * among the results, where it reads like a real failure. So each test's log lines are held back and printed
 * only when that test fails, where they explain it. LOG_LEVEL=info (default warn here) adds the per-step lines.
 */
import type { Context } from "mocha";

process.env.LOG_LEVEL ??= "warn";

/** What pipeline/log.ts writes: one JSON object a line, starting with its level. */
const LOG_LINE = /^\{"level":"(info|warn|error)"/;
let held: string[] = [];
const original = { log: console.log, error: console.error };

function holdLogLines(write: (...args: unknown[]) => void): (...args: unknown[]) => void {
  return (...args) => {
    if (args.length === 1 && typeof args[0] === "string" && LOG_LINE.test(args[0])) held.push(args[0]);
    else write(...args);
  };
}
console.log = holdLogLines(original.log.bind(console));
console.error = holdLogLines(original.error.bind(console));

export const mochaHooks = {
  beforeEach(): void {
    held = [];
  },
  afterEach(this: Context): void {
    const test = this.currentTest;
    if (test?.state === "failed" && held.length > 0) {
      original.error(`    log lines during "${test.fullTitle()}":\n      ${held.join("\n      ")}`);
    }
    held = [];
  },
};
