// Packing plans into transactions: without a Liquidator one Pool call each; through it, units of at
// most BATCH_MAX_ITEMS (or the gas cap), one loan per (debt asset, funding) in order of first
// appearance, one swap per collateral asset, the loan's amount what its items may repay.
import { describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { packUnits, unitOf, type PackPolicy } from "./batch.js";
import { addressOf, testFlashLoan, testPlan } from "../../test/helpers/plans.js";
import type { LiquidationPlan } from "./plan.js";

const a = addressOf;
const [POOL, LIQUIDATOR, WETH, USDC, DAI, WBTC] = [1, 2, 3, 4, 5, 6].map(a) as [Address, Address, Address, Address, Address, Address];
const path = (from: Address, to: Address): Hex => `0x${from.slice(2)}0001f4${to.slice(2)}`;

function plan(user: number, collateral: Address, debt: Address, flash: boolean, repaid = 1_000n): LiquidationPlan {
  return testPlan({
    user: a(0x100 + user),
    collateralAsset: collateral,
    debtAsset: debt,
    debtToCover: repaid,
    expectedDebtRepaid: repaid,
    expectedCollateralSeized: 2_000n,
    expectedProfitBase: BigInt(1_000 - user),
    healthFactor: 9n * 10n ** 17n,
    timestamp: 1_000n,
    blockNumber: 1n,
    capital: flash ? "flashLoan" : "wallet",
    ...(flash && {
      flashLoan: testFlashLoan({
        liquidator: LIQUIDATOR,
        loanAmount: repaid + 1n,
        premiumTotalBps: 5n,
        swapPath: collateral === debt ? "0x" : path(collateral, debt),
        quotedAmountIn: 2_000n,
        quotedAmountOut: 1_100n + BigInt(user),
        minAmountOut: 1_000n + BigInt(user),
        expectedProfit: 99n,
        minProfit: 10n,
      }),
    }),
  });
}

const policy: PackPolicy = { pool: POOL, liquidator: LIQUIDATOR, maxItems: 3, maxUnitGas: 10_000_000n, gasPerItem: 200_000n };

describe("packUnits", () => {
  it("without a Liquidator: one Pool.liquidationCall per plan, in order", () => {
    const plans = [plan(1, WETH, USDC, false), plan(2, WETH, DAI, false)];
    const units = packUnits(plans, { ...policy, liquidator: undefined });
    expect(units).toEqual([
      { via: "pool", pool: POOL, plans: [plans[0]] },
      { via: "pool", pool: POOL, plans: [plans[1]] },
    ]);
  });

  it("through a Liquidator: at most maxItems a transaction, a loan per (debt asset, funding), a swap per collateral", () => {
    const plans = [
      plan(1, WETH, USDC, true),
      plan(2, WBTC, DAI, true),
      plan(3, WETH, USDC, true),
      plan(4, WETH, USDC, false),
      plan(5, USDC, USDC, true),
    ];
    const units = packUnits(plans, policy);
    expect(units).toHaveLength(2);
    const [first, second] = units as [Extract<(typeof units)[0], { via: "liquidator" }>, Extract<(typeof units)[0], { via: "liquidator" }>];
    // The first three, regrouped: USDC's loan (plans 1 and 3), then DAI's.
    expect(first.plans.map((p) => p.user)).toEqual([plans[0]!.user, plans[2]!.user, plans[1]!.user]);
    expect(first.loans).toEqual([
      {
        debtAsset: USDC,
        funding: "flashLoan",
        amount: 1_001n + 1_001n,
        items: [0, 1],
        // the lowest of the two plans' minimum rates (rounded up), one swap for both
        swaps: [{ tokenIn: WETH, path: path(WETH, USDC), minOutPerIn: (1_001n * 10n ** 36n + 1_999n) / 2_000n }],
      },
      { debtAsset: DAI, funding: "flashLoan", amount: 1_001n, items: [2], swaps: [expect.objectContaining({ tokenIn: WBTC })] },
    ]);
    // The wallet plan is an owner-funded loan (its reservation: repaid + 1 bp + 1, at most debtToCover), no swap; same-asset flash: no swap.
    expect(second.loans).toEqual([
      { debtAsset: USDC, funding: "owner", amount: 1_000n, items: [0], swaps: [] },
      { debtAsset: USDC, funding: "flashLoan", amount: 1_001n, items: [1], swaps: [] },
    ]);
  });

  it("the gas cap bounds a transaction below maxItems", () => {
    const plans = [1, 2, 3].map((i) => plan(i, WETH, USDC, true));
    expect(packUnits(plans, { ...policy, maxUnitGas: 450_000n }).map((u) => u.plans.length)).toEqual([2, 1]);
    expect(packUnits(plans, { ...policy, maxUnitGas: 1n }).map((u) => u.plans.length)).toEqual([1, 1, 1]);
  });

  it("unitOf: a flash plan goes to its own Liquidator, a wallet plan to the pool unless a Liquidator is given", () => {
    expect(unitOf(plan(1, WETH, USDC, false), POOL).via).toBe("pool");
    expect(unitOf(plan(1, WETH, USDC, false), POOL, LIQUIDATOR)).toMatchObject({ via: "liquidator", loans: [{ funding: "owner" }] });
    expect(unitOf(plan(1, WETH, USDC, true), POOL)).toMatchObject({
      via: "liquidator",
      liquidator: LIQUIDATOR,
      loans: [{ funding: "flashLoan" }],
    });
  });
});
