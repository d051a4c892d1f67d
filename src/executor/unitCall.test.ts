// A Liquidator unit's guards from its loose simulation: skipped items and failed loans out, each
// kept flash item's expected profit its share of the loan's, items short of their floor out, the
// swap's minimum the simulated rate less the slippage; the calls, loose and guarded.
import { describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { addressOf, testFlashLoan, testPlan } from "../../test/helpers/plans.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import type { TxUnit } from "../scheduler/txUnit.js";
import { callSwaps, decodeLiquidatorCall, OUT_PER_IN_SCALE } from "./poolCall.js";
import type { LiquidatorLoanOutcome } from "./receipts.js";
import { guardUnit, unitCall } from "./unitCall.js";

const a = addressOf;
const [POOL, LIQUIDATOR, WETH, USDC] = [1, 2, 3, 4].map(a) as [Address, Address, Address, Address];
const PATH: Hex = `0x${WETH.slice(2)}0001f4${USDC.slice(2)}`;

function flashPlan(user: number, loanAmount: bigint, minProfit: bigint): LiquidationPlan {
  return testPlan({
    user: a(0x100 + user),
    collateralAsset: WETH,
    debtAsset: USDC,
    debtToCover: loanAmount,
    expectedDebtRepaid: loanAmount,
    expectedCollateralSeized: 1_000n,
    // $1 per debt unit (base 1e8 for 1e6 units: 100 base per unit)
    debtValueBase: loanAmount * 100n,
    gasCostBase: 50n,
    expectedProfitBase: 1n,
    healthFactor: 9n * 10n ** 17n,
    timestamp: 1_000n,
    blockNumber: 1n,
    capital: "flashLoan",
    flashLoan: testFlashLoan({ liquidator: LIQUIDATOR, loanAmount, swapPath: PATH, quotedAmountIn: 1_000n, minProfit }),
  });
}

const plans = [flashPlan(1, 1_000n, 10n), flashPlan(2, 2_000n, 10n), flashPlan(3, 500n, 10n)];
const unit: Extract<TxUnit, { via: "liquidator" }> = {
  via: "liquidator",
  liquidator: LIQUIDATOR,
  pool: POOL,
  plans,
  loans: [
    { debtAsset: USDC, funding: "flashLoan", amount: 3_500n, items: [0, 1, 2], swaps: [{ tokenIn: WETH, path: PATH, minOutPerIn: 5n }] },
  ],
};
const liquidated = (user: Address, debtRepaid: bigint, collateralSeized: bigint) =>
  ({ kind: "liquidated", user, collateralAsset: WETH, debtAsset: USDC, debtRepaid, collateralSeized }) as const;

describe("guardUnit", () => {
  it("keeps what the simulation liquidated, at its share of the swap, with the simulated rate less the slippage", () => {
    // Item 2 taken first (skipped); items 1 and 3 seized 1,000 and 3,000 WETH units, sold for 6,000 USDC units.
    const outcomes: LiquidatorLoanOutcome[] = [
      {
        loan: 0,
        debtAsset: USDC,
        settled: true,
        profit: 1_000n,
        items: [
          liquidated(plans[0]!.user, 1_000n, 1_000n),
          { kind: "skipped", user: plans[1]!.user, debtAsset: USDC, reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)", reasonData: "0x" },
          liquidated(plans[2]!.user, 500n, 3_000n),
        ],
        swaps: [{ tokenIn: WETH, amountIn: 4_000n, amountOut: 6_000n }],
      },
    ];
    const g = guardUnit(unit, outcomes, { slippageBps: 50 });
    expect(g.plans.map((p) => p.kept)).toEqual([true, false, true]);
    expect(g.plans[1]).toMatchObject({ kept: false, reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" });
    const [first, third] = [g.plans[0]!.plan, g.plans[2]!.plan];
    // Its share of the 6,000 out (1/4 and 3/4) less what it repaid; no premium here.
    expect(first.flashLoan).toMatchObject({ quotedAmountOut: 1_500n, expectedProfit: 500n });
    expect(third.flashLoan).toMatchObject({ quotedAmountOut: 4_500n, expectedProfit: 4_000n });
    // In base at the plan's own debt price (100 base per unit), less its gas.
    expect(first.expectedProfitBase).toBe(500n * 100n - 50n);
    const sent = g.unit as Extract<TxUnit, { via: "liquidator" }>;
    expect(sent.plans.map((p) => p.user)).toEqual([plans[0]!.user, plans[2]!.user]);
    expect(sent.loans).toEqual([
      {
        debtAsset: USDC,
        funding: "flashLoan",
        amount: 1_500n,
        items: [0, 1],
        swaps: [{ tokenIn: WETH, path: PATH, minOutPerIn: (((6_000n * OUT_PER_IN_SCALE) / 4_000n) * 9_950n) / 10_000n }],
      },
    ]);
    // The guarded call carries the floors and the minimum; the loose one neither.
    const guarded = decodeLiquidatorCall(unitCall(sent).data).loans[0]!;
    expect(guarded.items.map((i) => i.minProfit)).toEqual([10n, 10n]);
    expect(guarded.swaps[0]!.minOutPerIn).toBe(sent.loans[0]!.swaps[0]!.minOutPerIn);
    const loose = decodeLiquidatorCall(unitCall(unit, true).data).loans[0]!;
    expect(loose.items.map((i) => i.minProfit)).toEqual([0n, 0n, 0n]);
    expect(loose.swaps[0]!.minOutPerIn).toBe(0n);
  });

  it("leaves out an item whose share is below its floor, and a failed loan with its reason", () => {
    const greedy = [flashPlan(1, 1_000n, 10_000n), flashPlan(2, 1_000n, 10n)];
    const u = { ...unit, plans: greedy, loans: [{ ...unit.loans[0]!, items: [0, 1], amount: 2_000n }] };
    const g = guardUnit(
      u,
      [
        {
          loan: 0,
          debtAsset: USDC,
          settled: true,
          profit: 1_000n,
          items: [liquidated(greedy[0]!.user, 1_000n, 1_000n), liquidated(greedy[1]!.user, 1_000n, 1_000n)],
          swaps: [{ tokenIn: WETH, amountIn: 2_000n, amountOut: 3_000n }],
        },
      ],
      { slippageBps: 0 },
    );
    expect(g.plans[0]).toMatchObject({ kept: false, reason: "the simulated profit 500 is below its minimum 10000 (debt units)" });
    expect(g.unit?.plans.map((p) => p.user)).toEqual([greedy[1]!.user]);
    const failed = guardUnit(
      unit,
      [{ loan: 0, debtAsset: USDC, settled: false, reason: "ALL_SKIPPED (AllSkipped(45))", reasonData: "0x" }],
      {
        slippageBps: 50,
      },
    );
    expect(failed.unit).toBeUndefined();
    expect(failed.plans.every((p) => !p.kept && p.reason === "ALL_SKIPPED (AllSkipped(45))")).toBe(true);
  });

  it("a call swaps when one of its loans sells collateral; a loan without swaps or a Pool call does not", () => {
    expect(callSwaps(unitCall(unit, true))).toBe(true);
    const noSwap: TxUnit = { ...unit, loans: unit.loans.map((l) => ({ ...l, swaps: [] })) };
    expect(callSwaps(unitCall(noSwap, true))).toBe(false);
    expect(callSwaps(unitCall({ via: "pool", pool: POOL, plans: [plans[0]!] }))).toBe(false);
  });
});
