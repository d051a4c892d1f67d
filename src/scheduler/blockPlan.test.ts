import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { chooseForBlock } from "./blockPlan.js";
import { addressOf, testPlan } from "../../test/helpers/plans.js";
import type { LiquidationPlan } from "./plan.js";

function plan(n: number, profit: bigint, debt: bigint, debtReserveId = 0): LiquidationPlan {
  return testPlan({
    user: addressOf(n),
    collateralReserveId: 1,
    debtReserveId,
    debtToCover: debt,
    expectedDebtRepaid: debt,
    expectedProfitBase: profit,
  });
}

function wallet(balances: Record<number, bigint>) {
  const left = new Map(Object.entries(balances).map(([k, v]) => [Number(k), v]));
  return {
    left,
    covers: (p: LiquidationPlan) => (left.get(p.debtReserveId) ?? 0n) >= p.expectedDebtRepaid,
    take: (p: LiquidationPlan) => left.set(p.debtReserveId, (left.get(p.debtReserveId) ?? 0n) - p.expectedDebtRepaid),
  };
}

describe("chooseForBlock", () => {
  it("takes the most profitable first, as many as the gas budget holds", () => {
    const plans = [plan(1, 10n, 1n), plan(2, 50n, 1n), plan(3, 30n, 1n), plan(4, 40n, 1n)];
    const w = wallet({ 0: 100n });
    const chosen = chooseForBlock(plans, { gasBudget: 1_000_000n, gasPerLiquidation: 330_000n, ...w, replan: () => undefined });
    expect(chosen.map((p) => p.expectedProfitBase)).toEqual([50n, 40n, 30n]);
    expect(w.left.get(0)).toBe(97n);
  });

  it("nothing when the budget is spent by what is in flight", () => {
    const w = wallet({ 0: 100n });
    expect(chooseForBlock([plan(1, 10n, 1n)], { gasBudget: 329_999n, gasPerLiquidation: 330_000n, ...w, replan: () => undefined })).toEqual(
      [],
    );
  });

  it("re-plans one the earlier plans left short of tokens, and skips what the wallet cannot cover at all", () => {
    const plans = [plan(1, 90n, 60n), plan(2, 80n, 60n), plan(3, 70n, 5n, 1)];
    const w = wallet({ 0: 100n, 1: 0n });
    const replanned: Address[] = [];
    const chosen = chooseForBlock(plans, {
      gasBudget: 10_000_000n,
      gasPerLiquidation: 330_000n,
      ...w,
      replan: (p) => {
        replanned.push(p.user);
        const left = w.left.get(p.debtReserveId) ?? 0n;
        return left > 0n ? plan(Number(BigInt(p.user)), 20n, left, p.debtReserveId) : undefined;
      },
    });
    expect(chosen.map((p) => [Number(BigInt(p.user)), p.expectedDebtRepaid])).toEqual([
      [1, 60n],
      [2, 40n],
    ]);
    expect(replanned.map((u) => Number(BigInt(u)))).toEqual([2, 3]);
    expect(w.left.get(0)).toBe(0n);
  });
});
