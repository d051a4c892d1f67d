// A block's liquidations, chosen together: most profitable first, as many as the gas budget allows
// (what MAX_INFLIGHT_BLOCKS blocks carry, minus what is already in flight), each covered by the
// wallet's remaining tokens (a plan the earlier ones left short is planned again against what is
// left). Pure: plans in, plans out.
import type { LiquidationPlan } from "./plan.js";

export interface BlockPlanOptions {
  /** gas that may still be put in flight */
  gasBudget: bigint;
  /** gas one liquidation is expected to take */
  gasPerLiquidation: bigint;
  /** true when the wallet still covers the plan's debt */
  covers: (plan: LiquidationPlan) => boolean;
  /** the wallet takes the plan's debt (called for each chosen plan, in order) */
  take: (plan: LiquidationPlan) => void;
  /** the user's plan against the wallet as it is now, or undefined */
  replan: (plan: LiquidationPlan) => LiquidationPlan | undefined;
}

export function byProfit(a: LiquidationPlan, b: LiquidationPlan): number {
  return a.expectedProfitBase > b.expectedProfitBase ? -1 : a.expectedProfitBase < b.expectedProfitBase ? 1 : 0;
}

export function chooseForBlock(plans: readonly LiquidationPlan[], o: BlockPlanOptions): LiquidationPlan[] {
  const chosen: LiquidationPlan[] = [];
  if (o.gasPerLiquidation <= 0n) throw new RangeError("gasPerLiquidation must be positive");
  let budget = o.gasBudget;
  for (const first of [...plans].sort(byProfit)) {
    if (budget < o.gasPerLiquidation) break;
    const plan = o.covers(first) ? first : o.replan(first);
    if (!plan || !o.covers(plan)) continue;
    o.take(plan);
    chosen.push(plan);
    budget -= o.gasPerLiquidation;
  }
  // A re-planned (smaller) one may now rank lower: send in profit order all the same.
  return chosen.sort(byProfit);
}
