// The unit between the scheduler and the executor: one transaction, the liquidation plans it carries
// in the order they run, and how they are carried. A wallet plan without a Liquidator is one
// Pool.liquidationCall; through the Liquidator, any number of plans in one Liquidator.liquidate call,
// grouped in loans (a flash loan, or tokens pulled from the owner, of one debt asset) whose seized
// collateral is sold along each swap's path. Each item is guarded in the contract: an account taken
// or healthy when the transaction runs is skipped, the rest go through.
import type { Address, Hex } from "viem";
import type { LiquidationPlan } from "./plan.js";

export type Funding = "flashLoan" | "owner";

/** Sells what the loan's items seized of `tokenIn` for the loan's debt asset. */
export interface UnitSwap {
  tokenIn: Address;
  /** Uniswap V3 packed path tokenIn → ... → debt asset */
  path: Hex;
  /** least output per unit of input, 1e18-scaled (amountOutMinimum = amountIn × minOutPerIn / 1e18) */
  minOutPerIn: bigint;
}

export interface UnitLoan {
  debtAsset: Address;
  funding: Funding;
  /** flash-borrowed, or pulled from the owner: what the items may repay in all */
  amount: bigint;
  /** indices into the unit's plans, in the order they run */
  items: number[];
  swaps: UnitSwap[];
}

export type TxUnit =
  | { via: "pool"; pool: Address; plans: [LiquidationPlan] }
  | { via: "liquidator"; liquidator: Address; pool: Address; plans: LiquidationPlan[]; loans: UnitLoan[] };

/** The users a unit liquidates, lower-case. */
export function usersOf(unit: TxUnit): string[] {
  return unit.plans.map((p) => p.user.toLowerCase());
}

/** A unit's expected profit: what its plans expect in all (base currency). */
export function unitProfit(unit: TxUnit): bigint {
  return unit.plans.reduce((sum, p) => sum + p.expectedProfitBase, 0n);
}
