// A block's flash liquidations swap one after the other (consecutive nonces, mined in that order),
// but each of the block's quotes assumes the pools untouched: a later swap on a pool an earlier one
// moved gets less, and its profit would fall short of the plan. So the block's plans are put in
// sequence. On one path (the same pools, the same direction) the k-th plan is worth the marginal
// output of the path's cumulative amount, quote(a1 + ... + ak) - quote(a1 + ... + a(k-1)), which the
// I/O side quotes in one more call; a plan whose path shares a pool with another path of the block,
// or with a flash liquidation still in flight, waits for the next block, whose quotes see the pool
// as the earlier swaps left it. Pure: plans and quoted amounts in, plans out.
import type { Hex } from "viem";
import type { LiquidationPlan } from "./plan.js";
import type { SwapQuoteData } from "./profit.js";

const ADDRESS_HEX = 40;
const FEE_HEX = 6;

/** The tokens and fee tiers of a packed Uniswap V3 path (token, fee, token[, fee, token]...). */
export function decodeSwapPath(path: Hex): { tokens: Hex[]; fees: number[] } {
  const hex = path.slice(2);
  if (hex.length === 0) return { tokens: [], fees: [] };
  if ((hex.length - ADDRESS_HEX) % (ADDRESS_HEX + FEE_HEX) !== 0) throw new RangeError(`not a Uniswap V3 path: ${path}`);
  const tokens: Hex[] = [`0x${hex.slice(0, ADDRESS_HEX)}`];
  const fees: number[] = [];
  for (let at = ADDRESS_HEX; at < hex.length; at += ADDRESS_HEX + FEE_HEX) {
    fees.push(parseInt(hex.slice(at, at + FEE_HEX), 16));
    tokens.push(`0x${hex.slice(at + FEE_HEX, at + FEE_HEX + ADDRESS_HEX)}`);
  }
  return { tokens, fees };
}

/** The pools a path swaps in, as "token/token/fee" (tokens lower-case and ordered: the pool, whatever the direction). */
export function poolsOfPath(path: Hex): string[] {
  const { tokens, fees } = decodeSwapPath(path);
  return fees.map((fee, i) => {
    const [a, b] = [tokens[i]!.toLowerCase(), tokens[i + 1]!.toLowerCase()];
    return a < b ? `${a}/${b}/${fee}` : `${b}/${a}/${fee}`;
  });
}

/** The pools the flash plans among `plans` swap in. */
export function poolsSwappedBy(plans: readonly LiquidationPlan[]): Set<string> {
  const pools = new Set<string>();
  for (const p of plans) {
    if (p.capital === "flashLoan" && p.flashLoan) for (const pool of poolsOfPath(p.flashLoan.swapPath)) pools.add(pool);
  }
  return pools;
}

export interface PathRun {
  path: Hex;
  /** the path's first plan of the block: its own quote holds (it swaps first) */
  first: LiquidationPlan;
  /** the path's later plans, in send order: each needs its marginal quote */
  followers: LiquidationPlan[];
}

export interface SwapSequence {
  /** in the given order: wallet plans, swap-free flash plans and the first flash plan of each path */
  now: LiquidationPlan[];
  /** paths with more than one plan this block */
  runs: PathRun[];
  /** flash plans sharing a pool with another path of the block, or with a flash liquidation in flight */
  deferred: LiquidationPlan[];
}

/**
 * Splits a block's chosen plans (in send order) by how their swaps meet. `busyPools`: the pools of
 * flash liquidations sent earlier and not yet mined (they swap before anything sent now).
 */
export function sequenceSwaps(plans: readonly LiquidationPlan[], busyPools: ReadonlySet<string>): SwapSequence {
  const now: LiquidationPlan[] = [];
  const deferred: LiquidationPlan[] = [];
  const runs = new Map<Hex, PathRun>();
  /** pool -> the path of this block that swaps in it */
  const owner = new Map<string, Hex>();
  for (const plan of plans) {
    const path = plan.capital === "flashLoan" ? plan.flashLoan?.swapPath : undefined;
    if (path === undefined || path === "0x") {
      now.push(plan);
      continue;
    }
    const pools = poolsOfPath(path);
    const run = runs.get(path);
    if (pools.some((p) => busyPools.has(p) || (owner.has(p) && owner.get(p) !== path))) {
      deferred.push(plan);
    } else if (run) {
      run.followers.push(plan);
    } else {
      runs.set(path, { path, first: plan, followers: [] });
      for (const p of pools) owner.set(p, path);
      now.push(plan);
    }
  }
  return { now, runs: [...runs.values()].filter((r) => r.followers.length > 0), deferred };
}

/** The cumulative amounts to quote for a run's followers: a1 + a2, a1 + a2 + a3, ... */
export function cumulativeAmounts(run: PathRun): bigint[] {
  let total = run.first.expectedCollateralSeized;
  return run.followers.map((p) => (total += p.expectedCollateralSeized));
}

/**
 * Each follower's own quote: what its swap adds to the run's output, given the first plan's quoted
 * output and `cumulativeOut[k]` = the path's output for cumulativeAmounts(run)[k] (undefined: the
 * pools cannot take that much). The list stops at the first follower without a quote.
 */
export function marginalQuotes(run: PathRun, cumulativeOut: readonly (bigint | undefined)[]): SwapQuoteData[] {
  const quotes: SwapQuoteData[] = [];
  let before = run.first.flashLoan!.quotedAmountOut;
  for (const [k, plan] of run.followers.entries()) {
    const out = cumulativeOut[k];
    if (out === undefined || out <= before) break;
    // gasEstimate unused: the follower is re-planned with the gas it was first planned with.
    quotes.push({ amountIn: plan.expectedCollateralSeized, amountOut: out - before, path: run.path, gasEstimate: 0n });
    before = out;
  }
  return quotes;
}
