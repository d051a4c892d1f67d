// What the keeper did, for its summary line and the sandbox's table: counts, and the value of each
// mined liquidation at the oracle prices of the block it was mined in.
import type { TxOutcome } from "../executor/executor.js";
import type { MarketState } from "../risk/types.js";
import { formatDecimal } from "../util/decimal.js";

export interface KeeperStats {
  opportunities: number;
  sent: number;
  liquidations: number;
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
    liquidations: 0,
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

/** Adds a settled transaction; for a mined liquidation, its value in base currency (for the log line). */
export function recordOutcome(
  stats: KeeperStats,
  outcome: TxOutcome,
  market: MarketState,
  weiToBase: (wei: bigint) => bigint,
): OutcomeValue | undefined {
  if (outcome.kind === "reverted") stats.reverted++;
  if (outcome.kind !== "mined") return undefined;
  const plan = outcome.tx.plan;
  const c = market.reserves[plan.collateralReserveId]!;
  const d = market.reserves[plan.debtReserveId]!;
  const collateralBase = (outcome.collateralReceived * c.price) / c.unit;
  const debtBase = (outcome.debtRepaid * d.price) / d.unit;
  const gasBase = weiToBase(outcome.gasUsed * outcome.effectiveGasPrice);
  const flash = plan.capital === "flashLoan";
  // A flash liquidation's collateral never reaches the wallet: the contract swaps it, repays the loan
  // and its premium, and the owner receives the rest in the debt asset.
  const grossProfitBase = flash ? ((outcome.ownerProfit ?? 0n) * d.price) / d.unit : collateralBase - debtBase;
  const profitBase = grossProfitBase - gasBase;
  stats.liquidations++;
  if (flash) stats.flashLiquidations++;
  stats.accountsLiquidated.add(plan.user.toLowerCase());
  stats.debtRepaidBase += debtBase;
  stats.collateralReceivedBase += collateralBase;
  stats.gasCostBase += gasBase;
  stats.realizedProfitBase += profitBase;
  return {
    capital: flash ? "flashLoan" : "wallet",
    debtBase,
    gasBase,
    profitBase,
    grossProfitBase,
    predictedProfitBase: plan.expectedProfitBase,
    predictedGrossProfitBase: plan.expectedProfitBase + plan.gasCostBase,
    ...(flash ? { ownerProfit: outcome.ownerProfit ?? 0n, expectedOwnerProfit: plan.flashLoan?.expectedProfit } : {}),
  };
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
