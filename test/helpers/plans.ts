// Liquidation plans for unit tests: neutral figures (zero values, no flash loan) that a test overrides
// with what it is about.
import type { Address } from "viem";
import type { FlashLoanTerms, LiquidationPlan } from "../../src/scheduler/plan.js";

/** The address 0x00…n (n in hex). */
export const addressOf = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;

export function testPlan(over: Partial<LiquidationPlan> & Pick<LiquidationPlan, "user">): LiquidationPlan {
  return {
    collateralAsset: addressOf(1),
    collateralReserveId: 0,
    debtAsset: addressOf(2),
    debtReserveId: 1,
    debtToCover: 0n,
    expectedDebtRepaid: 0n,
    expectedCollateralSeized: 0n,
    expectedProtocolFee: 0n,
    receiveAToken: false,
    debtValueBase: 0n,
    collateralValueBase: 0n,
    gasCostBase: 0n,
    swapCostBase: 0n,
    expectedProfitBase: 0n,
    healthFactor: 0n,
    timestamp: 0n,
    blockNumber: 0n,
    ...over,
  };
}

/** A flash loan's terms with zero premium and profit, for `testPlan({ capital: "flashLoan", flashLoan })`. */
export function testFlashLoan(over: Partial<FlashLoanTerms> & Pick<FlashLoanTerms, "liquidator" | "loanAmount">): FlashLoanTerms {
  return {
    premium: 0n,
    premiumTotalBps: 0n,
    swapPath: "0x",
    quotedAmountIn: 0n,
    quotedAmountOut: 0n,
    minAmountOut: 0n,
    expectedProfit: 0n,
    minProfit: 0n,
    premiumBase: 0n,
    gasUnits: 500_000n,
    ...over,
  };
}
