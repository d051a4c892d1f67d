// Packing a round's chosen plans into transactions, pure. Without a Liquidator every plan is one
// Pool.liquidationCall from the wallet. Through the Liquidator a flash plan is one loan of its debt
// asset with one item, and its seized collateral sold along the plan's path.
import type { Address } from "viem";
import type { LiquidationPlan } from "./plan.js";
import type { TxUnit, UnitLoan } from "./txUnit.js";

export interface PackPolicy {
  /** the market's pool (Pool.liquidationCall's target, the Liquidator's pool) */
  pool: Address;
}

/** A plan as a transaction of its own. */
export function unitOf(plan: LiquidationPlan, pool: Address): TxUnit {
  const terms = plan.flashLoan;
  if (plan.capital !== "flashLoan" || !terms) return { via: "pool", pool, plans: [plan] };
  const loan: UnitLoan = {
    debtAsset: plan.debtAsset,
    funding: "flashLoan",
    amount: terms.loanAmount,
    items: [0],
    swaps:
      terms.swapPath === "0x"
        ? []
        : [{ tokenIn: plan.collateralAsset, path: terms.swapPath, minOutPerIn: minOutPerIn(terms.minAmountOut, terms.quotedAmountIn) }],
  };
  return { via: "liquidator", liquidator: terms.liquidator, pool, plans: [plan], loans: [loan] };
}

/** The chosen plans, in order, as transactions. */
export function packUnits(plans: readonly LiquidationPlan[], policy: PackPolicy): TxUnit[] {
  return plans.map((p) => unitOf(p, policy.pool));
}

/** A minimum output as a rate (1e18-scaled), rounded up so that amountIn × rate / 1e18 ≥ minAmountOut. */
export function minOutPerIn(minAmountOut: bigint, amountIn: bigint): bigint {
  if (amountIn === 0n) return 0n;
  return (minAmountOut * 10n ** 18n + amountIn - 1n) / amountIn;
}
