// Packing a round's chosen plans (most profitable first) into transactions, pure. Without a
// Liquidator every plan is one Pool.liquidationCall from the wallet. Through the Liquidator the plans
// share transactions of at most BATCH_MAX_ITEMS liquidations and a block's share of gas, in profit
// order: the first transaction holds the best. In a transaction, the plans of one debt asset and one
// funding share one loan (a flash loan, or the wallet's tokens pulled by the contract): one flash
// loan and one swap per collateral asset for all of them is cheaper than one each, by about 40% per
// liquidation in a batch of 5 and 50% in a batch of 20 (contracts/README.md).
import type { Address } from "viem";
import { minOutPerIn } from "../executor/poolCall.js";
import { itemDebtToCover } from "../executor/unitCall.js";
import type { LiquidationPlan } from "./plan.js";
import type { Funding, TxUnit, UnitLoan } from "./txUnit.js";

export interface PackPolicy {
  /** the market's pool (Pool.liquidationCall's target, the Liquidator's pool) */
  pool: Address;
  /** LIQUIDATOR_ADDRESS: with one, every plan goes through it (guarded), a wallet plan as an owner-funded loan */
  liquidator?: Address;
  /** BATCH_MAX_ITEMS: liquidations in one transaction at most */
  maxItems: number;
  /** gas one transaction may take (a share of the block's) */
  maxUnitGas: bigint;
  /** gas one liquidation is expected to take in a batch */
  gasPerItem: bigint;
}

/** A plan as a transaction of its own (without a Liquidator, or a flash plan alone). */
export function unitOf(plan: LiquidationPlan, pool: Address, liquidator?: Address): TxUnit {
  const through = plan.capital === "flashLoan" ? plan.flashLoan?.liquidator : liquidator;
  if (through === undefined) return { via: "pool", pool, plans: [plan] };
  return { via: "liquidator", liquidator: through, pool, plans: [plan], loans: loansOf([plan]) };
}

/** The chosen plans, in order, as transactions. */
export function packUnits(plans: readonly LiquidationPlan[], policy: PackPolicy): TxUnit[] {
  if (policy.liquidator === undefined) return plans.map((p) => unitOf(p, policy.pool));
  const perUnit = Math.max(
    1,
    Math.min(policy.maxItems, policy.gasPerItem > 0n ? Number(policy.maxUnitGas / policy.gasPerItem) : policy.maxItems),
  );
  const units: TxUnit[] = [];
  for (let at = 0; at < plans.length; at += perUnit) {
    const chunk = plans.slice(at, at + perUnit);
    const loans = loansOf(chunk);
    // The unit's plans in the order its loans run them.
    const order = loans.flatMap((l) => l.items);
    const index = new Map(order.map((i, k) => [i, k]));
    units.push({
      via: "liquidator",
      liquidator: policy.liquidator,
      pool: policy.pool,
      plans: order.map((i) => chunk[i]!),
      loans: loans.map((l) => ({ ...l, items: l.items.map((i) => index.get(i)!) })),
    });
  }
  return units;
}

/**
 * Loans for plans in order: one per (debt asset, funding), in order of first appearance; a flash
 * loan borrows what its items may repay, an owner-funded one pulls what the wallet reserved for them;
 * one swap per collateral asset (the first plan's path; the contract sells all of it along it), its
 * minimum the lowest of its plans' quoted minimums (the simulation replaces it with what it got).
 */
function loansOf(plans: readonly LiquidationPlan[]): UnitLoan[] {
  const loans = new Map<string, UnitLoan>();
  plans.forEach((plan, i) => {
    const funding: Funding = plan.capital === "flashLoan" ? "flashLoan" : "owner";
    const key = `${plan.debtAsset.toLowerCase()}/${funding}`;
    let loan = loans.get(key);
    if (!loan) {
      loan = { debtAsset: plan.debtAsset, funding, amount: 0n, items: [], swaps: [] };
      loans.set(key, loan);
    }
    loan.items.push(i);
    loan.amount += itemDebtToCover(plan);
    const terms = plan.flashLoan;
    if (funding !== "flashLoan" || !terms || terms.swapPath === "0x") return;
    const rate = minOutPerIn(terms.minAmountOut, terms.quotedAmountIn > 0n ? terms.quotedAmountIn : 1n);
    const swap = loan.swaps.find((s) => s.tokenIn.toLowerCase() === plan.collateralAsset.toLowerCase());
    if (!swap) loan.swaps.push({ tokenIn: plan.collateralAsset, path: terms.swapPath, minOutPerIn: rate });
    else if (rate < swap.minOutPerIn) swap.minOutPerIn = rate;
  });
  return [...loans.values()];
}
