// What the keeper did, for its summary line and the sandbox's table: counts, and the value of each
// mined liquidation at the oracle prices of the block it was mined in.
import type { TxOutcome } from "../executor/executor.js";
import type { MarketState } from "../risk/types.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { formatDecimal } from "../util/decimal.js";

export interface KeeperStats {
  /** plans handed to the node, or shown by a dry run */
  opportunities: number;
  /** transactions sent */
  sent: number;
  /** transactions mined (a batch is one) */
  mined: number;
  liquidations: number;
  /** liquidations a mined transaction's contract skipped (the account taken first, or healthy again) */
  skippedOnChain: number;
  /** of which flash-loan liquidations (through the Liquidator contract) */
  flashLiquidations: number;
  reverted: number;
  accountsLiquidated: Set<string>;
  debtRepaidBase: bigint;
  /** the collateral each liquidation seized (for a flash liquidation the contract got it and swapped it) */
  collateralReceivedBase: bigint;
  gasCostBase: bigint;
  /**
   * What the wallet gained, at the oracle prices of the block each was mined in: for a wallet
   * liquidation collateral received − debt repaid − gas; for a flash liquidation the profit the
   * Liquidator sent its owner (debt asset) − gas.
   */
  realizedProfitBase: bigint;
}

export function emptyStats(): KeeperStats {
  return {
    opportunities: 0,
    sent: 0,
    mined: 0,
    liquidations: 0,
    skippedOnChain: 0,
    flashLiquidations: 0,
    reverted: 0,
    accountsLiquidated: new Set(),
    debtRepaidBase: 0n,
    collateralReceivedBase: 0n,
    gasCostBase: 0n,
    realizedProfitBase: 0n,
  };
}

/**
 * One mined liquidation in base currency, realized beside predicted. "Gross" is before gas: the plan
 * prices gas at the fee cap (maxFeePerGas × its gas units), the chain charges effectiveGasPrice ×
 * gasUsed, so realized vs predicted is compared gross (and, for a flash liquidation, exactly in
 * debt-asset units: ownerProfit vs expectedOwnerProfit).
 */
export interface OutcomeValue {
  capital: "wallet" | "flashLoan";
  debtBase: bigint;
  gasBase: bigint;
  /** realized: what the wallet gained, gas paid */
  profitBase: bigint;
  /** realized before gas */
  grossProfitBase: bigint;
  /** the plan's expectedProfitBase (after its gas estimate) */
  predictedProfitBase: bigint;
  /** the plan's profit before gas: expectedProfitBase + gasCostBase */
  predictedGrossProfitBase: bigint;
  /** flash: debt-asset units the owner received (the Liquidated event) and the model's expectation */
  ownerProfit?: bigint;
  expectedOwnerProfit?: bigint;
}

/**
 * Adds a settled transaction; for a mined one, each liquidation it carried valued in base currency
 * (for the log lines), the transaction's gas shared equally among them (counted once in the stats).
 */
export function recordOutcome(
  stats: KeeperStats,
  outcome: TxOutcome,
  market: MarketState,
  weiToBase: (wei: bigint) => bigint,
): { plan: LiquidationPlan; value: OutcomeValue }[] {
  if (outcome.kind === "reverted") stats.reverted++;
  if (outcome.kind !== "mined") return [];
  stats.mined++;
  stats.skippedOnChain += outcome.items.filter((i) => i.kind === "skipped").length;
  const liquidated = outcome.items.flatMap((i) => (i.kind === "liquidated" ? [i] : []));
  const txGasBase = weiToBase(outcome.gasUsed * outcome.effectiveGasPrice);
  stats.gasCostBase += txGasBase;
  if (liquidated.length === 0) {
    stats.realizedProfitBase -= txGasBase;
    return [];
  }
  let gasLeft = txGasBase;
  return liquidated.map((item, k) => {
    const { plan } = item;
    const c = market.reserves[plan.collateralReserveId]!;
    const d = market.reserves[plan.debtReserveId]!;
    const collateralBase = (item.collateralReceived * c.price) / c.unit;
    const debtBase = (item.debtRepaid * d.price) / d.unit;
    const gasBase = k === liquidated.length - 1 ? gasLeft : txGasBase / BigInt(liquidated.length);
    gasLeft -= gasBase;
    // A flash liquidation's collateral never reaches the wallet: the contract swaps it, repays the loan
    // and its premium, and the owner receives the rest in the debt asset.
    const flash = plan.capital === "flashLoan";
    const grossProfitBase = flash ? ((item.ownerProfit ?? 0n) * d.price) / d.unit : collateralBase - debtBase;
    const profitBase = grossProfitBase - gasBase;
    stats.liquidations++;
    if (flash) stats.flashLiquidations++;
    stats.accountsLiquidated.add(plan.user.toLowerCase());
    stats.debtRepaidBase += debtBase;
    stats.collateralReceivedBase += collateralBase;
    stats.realizedProfitBase += profitBase;
    const value: OutcomeValue = {
      capital: flash ? "flashLoan" : "wallet",
      debtBase,
      gasBase,
      profitBase,
      grossProfitBase,
      predictedProfitBase: plan.expectedProfitBase,
      predictedGrossProfitBase: plan.expectedProfitBase + plan.gasCostBase,
      ...(flash ? { ownerProfit: item.ownerProfit ?? 0n, expectedOwnerProfit: plan.flashLoan?.expectedProfit } : {}),
    };
    return { plan, value };
  });
}

/**
 * How far realized is from predicted, in basis points of the prediction (signed: positive = more
 * than predicted); undefined when nothing was predicted. For the "realized vs predicted" log line.
 */
export function deviationBps(realized: bigint, predicted: bigint): bigint | undefined {
  if (predicted === 0n) return undefined;
  const abs = predicted < 0n ? -predicted : predicted;
  return ((realized - predicted) * 10_000n) / abs;
}

export function summarize(stats: KeeperStats, baseUnit: bigint) {
  const money = (base: bigint) => formatBase(base, baseUnit);
  return {
    opportunities: stats.opportunities,
    sent: stats.sent,
    mined: stats.mined,
    skippedOnChain: stats.skippedOnChain,
    liquidations: stats.liquidations,
    flashLiquidations: stats.flashLiquidations,
    reverted: stats.reverted,
    accountsLiquidated: stats.accountsLiquidated.size,
    debtRepaidUsd: money(stats.debtRepaidBase),
    collateralReceivedUsd: money(stats.collateralReceivedBase),
    gasCostUsd: money(stats.gasCostBase),
    realizedProfitUsd: money(stats.realizedProfitBase),
  };
}

/** A base-currency amount (BASE_CURRENCY_UNIT as read from the oracle) with 2 decimals, truncated. */
export function formatBase(base: bigint, baseUnit: bigint): string {
  return formatDecimal(base, baseUnit, 2);
}
