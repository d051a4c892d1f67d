import { describe, expect, it } from "vitest";
import type { Hex } from "viem";
import type { LiquidationPlan } from "./plan.js";
import { cumulativeAmounts, marginalQuotes, pathRuns } from "./swapRuns.js";

const A: Hex = "0xaa";
const B: Hex = "0xbb";
const plan = (user: string, path: Hex, seized: bigint): LiquidationPlan =>
  ({ user, capital: "flashLoan", expectedCollateralSeized: seized, flashLoan: { swapPath: path } }) as unknown as LiquidationPlan;

describe("pathRuns", () => {
  it("groups the plans of a path in order; a path used once and by nothing earlier needs no sequence", () => {
    const [p1, p2, p3, p4] = [plan("1", A, 10n), plan("2", B, 5n), plan("3", A, 20n), plan("4", "0x", 1n)];
    expect(pathRuns([p1!, p2!, p3!, p4!], [])).toEqual([{ path: A, before: 0n, plans: [p1, p3] }]);
    // B after an earlier transaction's 7 along it
    expect(pathRuns([p2!], [plan("0", B, 7n)])).toEqual([{ path: B, before: 7n, plans: [p2] }]);
  });
});

describe("marginal quotes", () => {
  it("each plan is worth what its amount adds to the path's output", () => {
    const run = { path: A, before: 0n, plans: [plan("1", A, 10n), plan("2", A, 20n), plan("3", A, 5n)] };
    expect(cumulativeAmounts(run)).toEqual([10n, 30n, 35n]);
    expect(marginalQuotes(run, [100n, 280n, 320n]).map((q) => q.amountOut)).toEqual([100n, 180n, 40n]);
    // a pool that cannot take the third, or a swap that adds nothing, ends the run there
    expect(marginalQuotes(run, [100n, 280n, undefined]).map((q) => q.amountOut)).toEqual([100n, 180n]);
    expect(marginalQuotes(run, [100n, 100n, 120n]).map((q) => q.amountOut)).toEqual([100n]);
  });

  it("after earlier transactions on the path: the first amount quoted is theirs", () => {
    const run = { path: A, before: 50n, plans: [plan("1", A, 10n)] };
    expect(cumulativeAmounts(run)).toEqual([50n, 60n]);
    expect(marginalQuotes(run, [500n, 590n]).map((q) => q.amountOut)).toEqual([90n]);
    expect(marginalQuotes(run, [undefined, 590n])).toEqual([]);
  });
});
