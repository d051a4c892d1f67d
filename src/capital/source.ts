// Where a liquidation's debt asset comes from: one interface, one folder per source (Morpho's
// liquidity venues). A source is asked, per liquidatable account, for the best liquidation it can
// fund at the round's terms (pure, after `prepare` did the round's I/O: quotes, routes); the round
// planner (src/scheduler/round.ts) keeps the plan that nets the most over every source.
import type { CompiledAccount } from "../risk/healthFactor.js";
import type { MarketSnapshot } from "../risk/marketSnapshot.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import type { GasModel } from "../scheduler/profit.js";

export type CapitalKind = "wallet" | "flashLoan";

/** What every plan of a round is made with. */
export interface RoundTerms {
  /** the market at the timestamp the next block will have */
  snapshot: MarketSnapshot;
  /** gas of a plain liquidationCall, its fee cap and the native token's price */
  gas: GasModel;
  /** MIN_PROFIT_USD in base units */
  minProfitBase: bigint;
  /** the head the plans are made from */
  blockNumber: bigint;
  /** reserve id -> symbol, for plans and reasons */
  symbols: ReadonlyMap<number, string>;
}

export type SourcePlan = { plan: LiquidationPlan } | { skip: string };

export interface CapitalSource {
  readonly kind: CapitalKind;
  /** The round's I/O for these accounts (already evaluated at terms.snapshot); resolves when plan() can answer. */
  prepare(accounts: readonly CompiledAccount[], terms: RoundTerms): Promise<void>;
  /** This source's best liquidation of the account, or why it has none. Pure once prepared. */
  plan(account: CompiledAccount, terms: RoundTerms): SourcePlan;
  /** Whether what the source holds still covers the plan (the wallet's tokens; a flash loan always does). */
  covers(plan: LiquidationPlan): boolean;
  /** The plan is chosen: what it needs is no longer available to the round's other plans. */
  take(plan: LiquidationPlan): void;
  /** The plan was not sent after all. */
  giveBack(plan: LiquidationPlan): void;
}
