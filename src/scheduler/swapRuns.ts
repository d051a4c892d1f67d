// A round's flash swaps in sequence: the block runs them one after the other, so a swap along a path
// the round (or a transaction still in flight) already sells along gets less than its own quote said.
// Per path, the k-th plan is worth the marginal output of the path's cumulative amount,
// quote(before + a1 + ... + ak) - quote(before + a1 + ... + a(k-1)), `before` what earlier
// transactions sell along it; the I/O side quotes those amounts in one call. Swaps on different paths
// that share a pool are left to the simulation, which runs the block's transactions in order. Pure.
import type { Hex } from "viem";
import type { LiquidationPlan } from "./plan.js";
import type { SwapQuoteData } from "./profit.js";

export interface PathRun {
  path: Hex;
  /** what transactions before the round's sell along the path (the collateral they seize) */
  before: bigint;
  /** the round's plans on the path, in send order */
  plans: LiquidationPlan[];
}

const pathOf = (p: LiquidationPlan): Hex | undefined =>
  p.capital === "flashLoan" && p.flashLoan && p.flashLoan.swapPath !== "0x" ? p.flashLoan.swapPath : undefined;

/** The paths the plans swap along that another swap meets first: several plans, or one after `earlier` ones. */
export function pathRuns(plans: readonly LiquidationPlan[], earlier: readonly LiquidationPlan[]): PathRun[] {
  const before = new Map<Hex, bigint>();
  for (const p of earlier) {
    const path = pathOf(p);
    if (path) before.set(path, (before.get(path) ?? 0n) + p.expectedCollateralSeized);
  }
  const runs = new Map<Hex, PathRun>();
  for (const p of plans) {
    const path = pathOf(p);
    if (!path) continue;
    const run = runs.get(path) ?? { path, before: before.get(path) ?? 0n, plans: [] };
    run.plans.push(p);
    runs.set(path, run);
  }
  return [...runs.values()].filter((r) => r.plans.length > 1 || r.before > 0n);
}

/** The cumulative amounts to quote for a run: before (when there is one), then before + a1, before + a1 + a2, ... */
export function cumulativeAmounts(run: PathRun): bigint[] {
  let total = run.before;
  const amounts = run.before > 0n ? [run.before] : [];
  for (const p of run.plans) {
    total += p.expectedCollateralSeized;
    amounts.push(total);
  }
  return amounts;
}

/**
 * Each plan's own quote in the run, from the path's outputs for cumulativeAmounts(run) (undefined: the
 * pools cannot take that much); the list stops at the first plan whose swap adds nothing.
 */
export function marginalQuotes(run: PathRun, cumulativeOut: readonly (bigint | undefined)[]): SwapQuoteData[] {
  const outs = run.before > 0n ? cumulativeOut.slice(1) : cumulativeOut;
  let previous = run.before > 0n ? cumulativeOut[0] : 0n;
  const quotes: SwapQuoteData[] = [];
  if (previous === undefined) return quotes;
  for (const [k, plan] of run.plans.entries()) {
    const out = outs[k];
    if (out === undefined || out <= previous) break;
    quotes.push({ amountIn: plan.expectedCollateralSeized, amountOut: out - previous, path: run.path, gasEstimate: 0n });
    previous = out;
  }
  return quotes;
}
