// What the keeper did, for its summary line and the sandbox's table: counts, and the value of each
// mined liquidation at the oracle prices of the block it was mined in.
import type { TxOutcome } from "../executor/executor.js";
import type { MarketState } from "../risk/types.js";

export interface KeeperStats {
  opportunities: number;
  sent: number;
  liquidations: number;
  reverted: number;
  accountsLiquidated: Set<string>;
  debtRepaidBase: bigint;
  collateralReceivedBase: bigint;
  gasCostBase: bigint;
  /** collateral received − debt repaid − gas, at the oracle prices of the block it was mined in */
  realizedProfitBase: bigint;
}

export function emptyStats(): KeeperStats {
  return {
    opportunities: 0, sent: 0, liquidations: 0, reverted: 0, accountsLiquidated: new Set(),
    debtRepaidBase: 0n, collateralReceivedBase: 0n, gasCostBase: 0n, realizedProfitBase: 0n,
  };
}

/** Adds a settled transaction; for a mined liquidation, its value in base currency (for the log line). */
export function recordOutcome(
  stats: KeeperStats, outcome: TxOutcome, market: MarketState, weiToBase: (wei: bigint) => bigint,
): { debtBase: bigint; profitBase: bigint } | undefined {
  if (outcome.kind === "reverted") stats.reverted++;
  if (outcome.kind !== "mined") return undefined;
  const plan = outcome.tx.plan;
  const c = market.reserves[plan.collateralReserveId]!;
  const d = market.reserves[plan.debtReserveId]!;
  const collateralBase = (outcome.collateralReceived * c.price) / c.unit;
  const debtBase = (outcome.debtRepaid * d.price) / d.unit;
  const gasBase = weiToBase(outcome.gasUsed * outcome.effectiveGasPrice);
  stats.liquidations++;
  stats.accountsLiquidated.add(plan.user.toLowerCase());
  stats.debtRepaidBase += debtBase;
  stats.collateralReceivedBase += collateralBase;
  stats.gasCostBase += gasBase;
  stats.realizedProfitBase += collateralBase - debtBase - gasBase;
  return { debtBase, profitBase: collateralBase - debtBase - gasBase };
}

export function summarize(stats: KeeperStats, baseUnit: bigint) {
  const money = (base: bigint) => formatBase(base, baseUnit);
  return {
    opportunities: stats.opportunities, sent: stats.sent, liquidations: stats.liquidations, reverted: stats.reverted,
    accountsLiquidated: stats.accountsLiquidated.size, debtRepaidUsd: money(stats.debtRepaidBase),
    collateralReceivedUsd: money(stats.collateralReceivedBase), gasCostUsd: money(stats.gasCostBase),
    realizedProfitUsd: money(stats.realizedProfitBase),
  };
}

/** A base-currency amount (BASE_CURRENCY_UNIT as read from the oracle) with 2 decimals, truncated. */
export function formatBase(base: bigint, baseUnit: bigint): string {
  const negative = base < 0n;
  const abs = negative ? -base : base;
  const cents = ((abs % baseUnit) * 100n) / baseUnit;
  return `${negative ? "-" : ""}${abs / baseUnit}.${cents.toString().padStart(2, "0")}`;
}
