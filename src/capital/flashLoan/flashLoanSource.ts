// A flash loan through the Liquidator contract as a capital source: the contract borrows the debt
// asset from the pool, liquidates, sells the seized collateral on Uniswap V3 and repays loan and
// premium; the owner keeps the rest. Every (collateral, debt) pair of the account is considered, not
// only the one a wallet would take: the round's I/O (prepare) quotes the sale of each pair's seized
// collateral (the quoter keeps each pair's routes, through any of the market's reserves and the
// chain's hubs: one eth_call a round once they are known), and plan() keeps the pair that nets the
// most. A debt reserve whose flash loaning is off is never borrowed. The quotes only choose: the
// transaction's simulation is its exact quote (src/executor/unitCall.ts).
import type { Address } from "viem";
import type { SwapQuote, UniswapQuoter } from "../../chain/uniswapQuoter.js";
import type { Logger } from "../../logging.js";
import { firstLine } from "../../errors.js";
import type { CompiledAccount } from "../../risk/healthFactor.js";
import type { LiquidationPlan } from "../../scheduler/plan.js";
import { flashLiquidationGas, LEFTOVER_MARGIN_DIVISOR, planFlashLoan, planLiquidation } from "../../scheduler/profit.js";
import { cumulativeAmounts, marginalQuotes, pathRuns } from "../../scheduler/swapRuns.js";
import type { CapitalSource, RoundTerms, SourcePlan } from "../source.js";

export interface FlashLoanSourceOptions {
  /** LIQUIDATOR_ADDRESS: the pool's liquidator (msg.sender of liquidationCall) */
  liquidator: Address;
  quoter: UniswapQuoter;
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
  logger: Logger;
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
      // Wallet-free: the pool's own limits only, the contract as the liquidator. With the wallet's margin
      // on the 3.3+ leftover rule: a partial amount at the exact dust boundary of the planned block's
      // balances reverts MustNotLeaveDust in a block mined earlier than planned (a backrun's is).
      const result = planLiquidation(account, terms.snapshot, {
        gas: terms.gas,
        minProfitBase: 0n,
        blockNumber: terms.blockNumber,
        symbols: terms.symbols,
        liquidator: this.options.liquidator,
        leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR,
      });
      // A pair whose debt reserve cannot be flash-borrowed is never planned (FlashloanDisabled).
      const borrowable = (p: LiquidationPlan) => terms.snapshot.market.reserves[p.debtReserveId]?.flashLoanEnabled !== false;
      const plans = result.pairs.flatMap((o) => ("plan" in o && borrowable(o.plan) ? [o.plan] : []));
      const off = result.pairs.flatMap((o) => ("plan" in o && !borrowable(o.plan) ? [o.plan] : []));
      if (plans.length === 0 && off.length > 0) {
        const names = [...new Set(off.map((p) => p.debtSymbol ?? p.debtAsset))].join(", ");
        pairs.set(key, { skip: `flash loaning is off for ${names} (the reserve's configuration)` });
        continue;
      }
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
    if (!prepared || !entry) return { skip: "not quoted: the wallet covers the whole liquidation" };
    if ("skip" in entry) return { skip: entry.skip };
    if (prepared.quoteError !== undefined) return { skip: prepared.quoteError };
    let best: LiquidationPlan | undefined;
    const reasons: string[] = [];
    entry.plans.forEach((pairPlan, i) => {
      const quote = entry.quotes[i];
      const pair = `${pairPlan.collateralSymbol ?? pairPlan.collateralAsset}/${pairPlan.debtSymbol ?? pairPlan.debtAsset}`;
      if (quote === undefined) {
        const request = { tokenIn: pairPlan.collateralAsset, tokenOut: pairPlan.debtAsset, amountIn: pairPlan.expectedCollateralSeized };
        reasons.push(`${pair}: ${this.options.quoter.noRouteReason(request, this.label(terms)) ?? "no Uniswap route"}`);
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
   * The round's chosen plans (send order) with their swaps in sequence (swapRuns.ts): a flash plan on
   * a path the round, or a transaction still in flight (`earlier`), already sells along is planned again
   * with its marginal quote (one eth_call for all); one that no longer pays is left out with the
   * plans after it on that path (the next round sees the pools as these swaps left them).
   */
  async sequence(
    plans: readonly LiquidationPlan[],
    earlier: readonly LiquidationPlan[],
    terms: RoundTerms,
  ): Promise<{ plans: LiquidationPlan[]; left: { plan: LiquidationPlan; reason: string }[] }> {
    const runs = pathRuns(plans, earlier);
    if (runs.length === 0) return { plans: [...plans], left: [] };
    let outs: (bigint | undefined)[];
    try {
      outs = await this.options.quoter.quotePaths(
        runs.flatMap((run) => cumulativeAmounts(run).map((amountIn) => ({ path: run.path, amountIn }))),
        terms.blockNumber,
      );
    } catch (err) {
      this.log.warn({ err: firstLine(err) }, "marginal swap quotes failed: the simulation decides");
      return { plans: [...plans], left: [] };
    }
    const replaced = new Map<LiquidationPlan, LiquidationPlan | string>();
    let at = 0;
    for (const run of runs) {
      const n = cumulativeAmounts(run).length;
      const quotes = marginalQuotes(run, outs.slice(at, at + n));
      at += n;
      let stopped: string | undefined;
      for (const [k, plan] of run.plans.entries()) {
        const quote = quotes[k];
        if (stopped === undefined && quote === undefined) stopped = "the pools cannot take it after the swaps before it on its path";
        if (stopped !== undefined) {
          replaced.set(plan, stopped);
          continue;
        }
        const r = planFlashLoan(plan, quote!, terms.snapshot, {
          liquidator: this.options.liquidator,
          gas: { ...terms.gas, gasUnits: plan.flashLoan!.gasUnits },
          slippageBps: this.options.slippageBps,
          minProfitBase: terms.minProfitBase,
        });
        if ("skip" in r) {
          stopped = `after the swaps before it on its path (marginal quote): ${r.skip}`;
          replaced.set(plan, stopped);
          continue;
        }
        replaced.set(plan, { ...r.plan, flashLoan: { ...r.plan.flashLoan!, modelAddedGas: plan.flashLoan!.modelAddedGas } });
      }
    }
    const kept: LiquidationPlan[] = [];
    const left: { plan: LiquidationPlan; reason: string }[] = [];
    for (const plan of plans) {
      const r = replaced.get(plan) ?? plan;
      if (typeof r === "string") left.push({ plan, reason: r });
      else kept.push(r);
    }
    return { plans: kept, left };
  }

  /** Token symbols and decimals from the market, for the reasons. */
  private label(terms: RoundTerms) {
    return (token: Address) => {
      const r = terms.snapshot.market.reserves.find((x) => x?.asset.toLowerCase() === token.toLowerCase());
      return r ? { symbol: terms.symbols.get(r.id) ?? r.asset, decimals: r.decimals } : undefined;
    };
  }

  /** The intermediates two-hop routes may pass through: the market's reserves and the chain's usual hubs. */
  useHubs(reserves: readonly Address[], chainHubs: readonly Address[]): void {
    this.options.quoter.setHubs([...chainHubs, ...reserves]);
  }

  covers(): boolean {
    return true;
  }

  take(): void {}

  giveBack(): void {}
}
