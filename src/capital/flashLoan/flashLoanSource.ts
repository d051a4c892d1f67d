// A flash loan through the Liquidator contract as a capital source: the contract borrows the debt
// asset from the pool, liquidates, sells the seized collateral on Uniswap V3 and repays loan and
// premium; the owner keeps the rest. Every (collateral, debt) pair of the account is considered, not
// only the one a wallet would take: the round's I/O (prepare) quotes the sale of each pair's seized
// collateral, all in one eth_call, and plan() keeps the pair that nets the most.
import type { Address } from "viem";
import type { SwapQuote, UniswapQuoter } from "../../chain/uniswapQuoter.js";
import type { Logger } from "../../logging.js";
import type { CompiledAccount } from "../../risk/healthFactor.js";
import type { LiquidationPlan } from "../../scheduler/plan.js";
import { flashLiquidationGas, planFlashLoan, planLiquidation } from "../../scheduler/profit.js";
import { cumulativeAmounts, marginalQuotes, sequenceSwaps, type PathRun } from "../../scheduler/swapSequence.js";
import type { CapitalSource, RoundTerms, SourcePlan } from "../source.js";

export interface FlashLoanSourceOptions {
  /** LIQUIDATOR_ADDRESS: the pool's liquidator (msg.sender of liquidationCall) */
  liquidator: Address;
  quoter: UniswapQuoter;
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
  logger: Logger;
}

export interface Sequenced {
  /** to send at once, in order */
  now: LiquidationPlan[];
  /** the later swaps of paths used more than once, re-planned with their marginal quotes: send after `now` */
  later: Promise<LiquidationPlan[]>;
  /** flash plans left for the next round */
  deferred: LiquidationPlan[];
}

interface Prepared {
  terms: RoundTerms;
  /** per user (lower-case): each pair's wallet-free plan and its quote (undefined: no route), or why none */
  pairs: Map<string, { plans: LiquidationPlan[]; quotes: (SwapQuote | undefined)[] } | { skip: string }>;
  quoteError?: string;
}

export class FlashLoanSource implements CapitalSource {
  readonly kind = "flashLoan" as const;
  private prepared: Prepared | undefined;
  private readonly log: Logger;
  /** a quote failure is logged once per incident */
  private failing = false;

  constructor(private readonly options: FlashLoanSourceOptions) {
    this.log = options.logger.child({ module: "flashLoan" });
  }

  get liquidator(): Address {
    return this.options.liquidator;
  }

  async prepare(accounts: readonly CompiledAccount[], terms: RoundTerms): Promise<void> {
    const pairs: Prepared["pairs"] = new Map();
    const all: LiquidationPlan[] = [];
    const owners: { user: string; plans: LiquidationPlan[] }[] = [];
    for (const account of accounts) {
      const key = account.user.toLowerCase();
      // Wallet-free: the pool's own limits only, the contract as the liquidator.
      const result = planLiquidation(account, terms.snapshot, {
        gas: terms.gas,
        minProfitBase: 0n,
        blockNumber: terms.blockNumber,
        symbols: terms.symbols,
        liquidator: this.options.liquidator,
      });
      const plans = result.pairs.flatMap((o) => ("plan" in o ? [o.plan] : []));
      if (plans.length === 0) {
        pairs.set(key, { skip: result.skip ?? "no pair to liquidate" });
        continue;
      }
      owners.push({ user: key, plans });
      all.push(...plans);
    }
    let quotes: (SwapQuote | undefined)[] = [];
    let quoteError: string | undefined;
    if (all.length > 0) {
      try {
        quotes = await this.options.quoter.quote(
          all.map((p) => ({ tokenIn: p.collateralAsset, tokenOut: p.debtAsset, amountIn: p.expectedCollateralSeized })),
          terms.blockNumber,
        );
        if (this.failing) this.log.info("swap quotes answer again: flash loans back");
        this.failing = false;
      } catch (err) {
        quoteError = `no swap quote: ${firstLine(err)}`;
        if (!this.failing) this.log.warn({ err: firstLine(err) }, "swap quotes failed: no flash loans meanwhile");
        this.failing = true;
      }
    }
    let at = 0;
    for (const { user, plans } of owners) {
      pairs.set(user, { plans, quotes: quoteError === undefined ? quotes.slice(at, at + plans.length) : [] });
      at += plans.length;
    }
    this.prepared = { terms, pairs, ...(quoteError !== undefined && { quoteError }) };
  }

  plan(account: CompiledAccount, terms: RoundTerms): SourcePlan {
    const prepared = this.prepared;
    const entry = prepared?.terms === terms ? prepared.pairs.get(account.user.toLowerCase()) : undefined;
    if (!prepared || !entry) return { skip: "flash loan: not prepared for this round" };
    if ("skip" in entry) return { skip: entry.skip };
    if (prepared.quoteError !== undefined) return { skip: prepared.quoteError };
    let best: LiquidationPlan | undefined;
    const reasons: string[] = [];
    entry.plans.forEach((pairPlan, i) => {
      const quote = entry.quotes[i];
      const pair = `${pairPlan.collateralSymbol ?? pairPlan.collateralAsset}/${pairPlan.debtSymbol ?? pairPlan.debtAsset}`;
      if (quote === undefined) {
        reasons.push(
          `${pair}: no Uniswap route sells ${pairPlan.collateralSymbol ?? pairPlan.collateralAsset} for ${pairPlan.debtSymbol ?? pairPlan.debtAsset}`,
        );
        return;
      }
      const gas = { ...terms.gas, gasUnits: flashLiquidationGas(terms.gas.gasUnits, quote) };
      const r = planFlashLoan(pairPlan, quote, terms.snapshot, {
        liquidator: this.options.liquidator,
        gas,
        slippageBps: this.options.slippageBps,
        minProfitBase: terms.minProfitBase,
      });
      if ("skip" in r) reasons.push(r.skip);
      else if (best === undefined || r.plan.expectedProfitBase > best.expectedProfitBase) {
        best = { ...r.plan, flashLoan: { ...r.plan.flashLoan!, modelAddedGas: gas.gasUnits - terms.gas.gasUnits } };
      }
    });
    if (best) return { plan: best };
    return { skip: reasons.join("; ") };
  }

  /**
   * The round's chosen plans in send order, split by how their swaps meet (swapSequence.ts): later swaps
   * on a path the round already swaps on get their marginal quote (one eth_call, started at once); a
   * plan whose pools another path of the round, or a flash liquidation in flight, swaps waits a round.
   */
  sequence(chosen: readonly LiquidationPlan[], busyPools: ReadonlySet<string>, terms: RoundTerms): Sequenced {
    const { now, runs, deferred } = sequenceSwaps(chosen, busyPools);
    for (const plan of deferred) {
      this.log.debug(
        { user: plan.user, path: plan.flashLoan?.swapPath },
        "flash loan deferred: its pools are swapped by another liquidation first",
      );
    }
    const later = runs.length === 0 ? Promise.resolve([]) : this.marginal(runs, terms, deferred);
    return { now, later, deferred };
  }

  private async marginal(runs: PathRun[], terms: RoundTerms, deferred: LiquidationPlan[]): Promise<LiquidationPlan[]> {
    const requests = runs.flatMap((run) => cumulativeAmounts(run).map((amountIn) => ({ path: run.path, amountIn })));
    let outs: (bigint | undefined)[];
    try {
      outs = await this.options.quoter.quotePaths(requests, terms.blockNumber);
    } catch (err) {
      this.log.warn({ err: firstLine(err) }, "marginal swap quotes failed: the later swaps of a path wait for the next block");
      for (const run of runs) deferred.push(...run.followers);
      return [];
    }
    const out: LiquidationPlan[] = [];
    let at = 0;
    for (const run of runs) {
      const quotes = marginalQuotes(run, outs.slice(at, at + run.followers.length));
      at += run.followers.length;
      // A follower that no longer pays stops the run: the ones after it were quoted as if it swapped first.
      let k = 0;
      for (; k < quotes.length; k++) {
        const plan = run.followers[k]!;
        const r = planFlashLoan(plan, quotes[k]!, terms.snapshot, {
          liquidator: this.options.liquidator,
          gas: { ...terms.gas, gasUnits: plan.flashLoan!.gasUnits },
          slippageBps: this.options.slippageBps,
          minProfitBase: terms.minProfitBase,
        });
        if ("skip" in r) break;
        out.push({ ...r.plan, flashLoan: { ...r.plan.flashLoan!, modelAddedGas: plan.flashLoan!.modelAddedGas } });
      }
      deferred.push(...run.followers.slice(k));
    }
    return out;
  }

  covers(): boolean {
    return true;
  }

  take(): void {}

  giveBack(): void {}
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}
