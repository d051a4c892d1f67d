// The keeper's stats by hand-computed numbers: WETH $2000 (18 decimals), USDC $1 (6 decimals), base
// currency USD with 8 decimals. Each liquidation repays 859.375 USDC and seizes 0.4490234375 WETH
// ($898.046875); its gas is 600,000 at 10 gwei = 0.006 ETH = $12.
//   wallet: realized = 898.046875 - 859.375 - 12 = $26.671875 (the wallet got the collateral)
//   flash:  the Liquidator sent its owner 37.195312 USDC: realized = 37.195312 - 12 = $25.195312
//           (the collateral was swapped inside the call and never reached the wallet)
import { describe, expect, it } from "vitest";
import type { TxOutcome } from "../executor/executor.js";
import type { MarketState, ReserveState } from "../risk/types.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { gasModel, weiToBase } from "./gas.js";
import { deviationBps, emptyStats, recordOutcome, summarize } from "./stats.js";

const E8 = 10n ** 8n;
const WETH = 0,
  USDC = 1;
const addr = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as const;

function reserve(id: number, decimals: number, price: bigint): ReserveState {
  return {
    asset: addr(0xa0 + id),
    id,
    decimals,
    unit: 10n ** BigInt(decimals),
    ltv: 8000,
    liquidationThreshold: 8250,
    liquidationBonus: 10500,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    active: true,
    frozen: false,
    paused: false,
    borrowingEnabled: true,
    flashLoanEnabled: true,
    liquidityIndex: 10n ** 27n,
    variableBorrowIndex: 10n ** 27n,
    currentLiquidityRate: 0n,
    currentVariableBorrowRate: 0n,
    lastUpdateTimestamp: 0n,
    aToken: addr(0xb0 + id),
    variableDebtToken: addr(0xc0 + id),
    stableDebtToken: addr(0xd0 + id),
    price,
    liquidationGracePeriodUntil: 0n,
  };
}

const MARKET: MarketState = {
  reserves: [reserve(WETH, 18, 2000n * E8), reserve(USDC, 6, E8)],
  eModes: new Map(),
  baseCurrencyUnit: E8,
  flashLoanPremiumTotal: 5n,
};
const toBase = (wei: bigint) => weiToBase(wei, MARKET, WETH);

const plan = (user: number, over: Partial<LiquidationPlan> = {}): LiquidationPlan => ({
  user: addr(user),
  collateralAsset: MARKET.reserves[WETH]!.asset,
  collateralReserveId: WETH,
  debtAsset: MARKET.reserves[USDC]!.asset,
  debtReserveId: USDC,
  debtToCover: 859_375_000n,
  expectedDebtRepaid: 859_375_000n,
  expectedCollateralSeized: 449_023_437_500_000_000n,
  expectedProtocolFee: 0n,
  receiveAToken: false,
  debtValueBase: 85_937_500_000n,
  collateralValueBase: 89_804_687_500n,
  gasCostBase: 1_200_000_000n,
  swapCostBase: 0n,
  expectedProfitBase: 2_667_187_500n,
  healthFactor: 0n,
  timestamp: 0n,
  blockNumber: 1n,
  ...over,
});

const flashPlan = plan(2, {
  capital: "flashLoan",
  // The model's view: swap output 897 USDC, premium 0.429688: 37.195312 USDC to the owner; $13.195312 at its $24 of gas.
  gasCostBase: 2_400_000_000n,
  swapCostBase: 104_687_500n,
  expectedProfitBase: 1_319_531_200n,
  flashLoan: {
    liquidator: addr(0xee),
    loanAmount: 859_375_000n,
    premium: 429_688n,
    premiumTotalBps: 5n,
    swapPath: "0x",
    quotedAmountIn: 0n,
    quotedAmountOut: 897_000_000n,
    minAmountOut: 0n,
    expectedProfit: 37_195_312n,
    minProfit: 0n,
    premiumBase: 42_968_800n,
    gasUnits: 600_000n,
  },
});

function mined(p: LiquidationPlan, ownerProfit?: bigint): TxOutcome {
  return {
    kind: "mined",
    hash: "0x01",
    blockNumber: 5n,
    gasUsed: 600_000n,
    effectiveGasPrice: 10_000_000_000n,
    items: [
      {
        kind: "liquidated",
        plan: p,
        debtRepaid: 859_375_000n,
        collateralReceived: 449_023_437_500_000_000n,
        ...(ownerProfit === undefined ? {} : { ownerProfit }),
      },
    ],
    tx: {
      hash: "0x01",
      nonce: 0,
      plans: [p],
      sentAtBlock: 4n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      replacements: 0,
      hashes: ["0x01"],
      simulatedGas: 600_000n,
    },
  };
}

describe("recordOutcome", () => {
  it("a wallet liquidation: collateral received - debt repaid - gas, as before", () => {
    const stats = emptyStats();
    const { value } = recordOutcome(stats, mined(plan(1)), MARKET, toBase)[0]!;
    expect(value).toEqual({
      capital: "wallet",
      debtBase: 85_937_500_000n,
      gasBase: 1_200_000_000n,
      grossProfitBase: 3_867_187_500n,
      profitBase: 2_667_187_500n,
      predictedProfitBase: 2_667_187_500n,
      predictedGrossProfitBase: 3_867_187_500n,
    });
    expect(stats.realizedProfitBase).toBe(2_667_187_500n);
    expect(stats.flashLiquidations).toBe(0);
  });

  it("a flash liquidation: the owner's profit (debt asset at its oracle price) - gas; the collateral is not the wallet's", () => {
    const stats = emptyStats();
    const { value } = recordOutcome(stats, mined(flashPlan, 37_195_312n), MARKET, toBase)[0]!;
    expect(value).toEqual({
      capital: "flashLoan",
      debtBase: 85_937_500_000n,
      gasBase: 1_200_000_000n,
      grossProfitBase: 3_719_531_200n,
      profitBase: 2_519_531_200n,
      predictedProfitBase: 1_319_531_200n,
      predictedGrossProfitBase: 3_719_531_200n,
      ownerProfit: 37_195_312n,
      expectedOwnerProfit: 37_195_312n,
    });
    expect(stats).toMatchObject({
      liquidations: 1,
      flashLiquidations: 1,
      debtRepaidBase: 85_937_500_000n,
      collateralReceivedBase: 89_804_687_500n,
      gasCostBase: 1_200_000_000n,
      realizedProfitBase: 2_519_531_200n,
    });
    expect(deviationBps(value.ownerProfit!, value.expectedOwnerProfit!)).toBe(0n);
  });

  it("both kinds add up; a reverted flash liquidation counts as reverted and adds no value", () => {
    const stats = emptyStats();
    recordOutcome(stats, mined(plan(1)), MARKET, toBase);
    recordOutcome(stats, mined(flashPlan, 37_195_312n), MARKET, toBase);
    const reason = "PROFIT_BELOW_MINIMUM";
    const reverted: TxOutcome = { kind: "reverted", tx: mined(flashPlan).tx, hash: "0x02", blockNumber: 6n, reason };
    expect(recordOutcome(stats, reverted, MARKET, toBase)).toEqual([]);
    expect(stats.realizedProfitBase).toBe(2_667_187_500n + 2_519_531_200n);
    expect(summarize(stats, E8)).toMatchObject({
      liquidations: 2,
      flashLiquidations: 1,
      reverted: 1,
      accountsLiquidated: 2,
      realizedProfitUsd: "51.86",
      gasCostUsd: "24.00",
    });
  });

  it("the gas model's price is the one weiToBase uses: $12 for 0.006 ETH", () => {
    expect(gasModel(MARKET, WETH, 0n, 0n, 10n ** 10n, 600_000n).nativePriceBase).toBe(2000n * E8);
    expect(toBase(6n * 10n ** 15n)).toBe(1_200_000_000n);
  });
});

describe("recordOutcome of a batch", () => {
  it("values each liquidation, shares the gas among those liquidated, and counts a skipped one for nothing", () => {
    const stats = emptyStats();
    const outcome = mined(flashPlan, 37_195_312n);
    if (outcome.kind !== "mined") throw new Error("mined");
    const second = { ...flashPlan, user: addr(9) };
    outcome.items.push({ ...outcome.items[0]!, plan: second }, { kind: "skipped", plan: { ...flashPlan, user: addr(10) }, reason: "45" });
    outcome.tx.plans.push(second);
    const values = recordOutcome(stats, outcome, MARKET, toBase);
    expect(values.map((v) => v.plan.user)).toEqual([flashPlan.user, second.user]);
    expect(values.map((v) => v.value.gasBase)).toEqual([600_000_000n, 600_000_000n]);
    expect(stats).toMatchObject({ liquidations: 2, gasCostBase: 1_200_000_000n, realizedProfitBase: 2n * 3_719_531_200n - 1_200_000_000n });
    expect(stats.accountsLiquidated.size).toBe(2);
  });

  it("a mined transaction whose every item was skipped costs its gas", () => {
    const stats = emptyStats();
    const outcome = mined(flashPlan);
    if (outcome.kind !== "mined") throw new Error("mined");
    outcome.items = [{ kind: "skipped", plan: flashPlan, reason: "taken" }];
    expect(recordOutcome(stats, outcome, MARKET, toBase)).toEqual([]);
    expect(stats).toMatchObject({ liquidations: 0, gasCostBase: 1_200_000_000n, realizedProfitBase: -1_200_000_000n });
  });
});

describe("deviationBps", () => {
  it("signed basis points of the prediction", () => {
    expect(deviationBps(101n, 100n)).toBe(100n);
    expect(deviationBps(99n, 100n)).toBe(-100n);
    expect(deviationBps(5n, 0n)).toBeUndefined();
    expect(deviationBps(-90n, -100n)).toBe(1_000n);
  });
});
