// Where a liquidation's debt asset comes from, per opportunity: the wallet's tokens, or a flash loan
// through the Liquidator contract (LIQUIDATOR_ADDRESS). The I/O half of the choice: the block's swap
// quotes, one eth_call for all its wallet-free plans (src/chain/uniswapQuoter.ts); the pure model
// (src/scheduler/profit.ts planFlashLoan, chooseCapital) prices each and keeps the one that nets more.
// Then the chosen flash plans are put in sequence (src/scheduler/swapSequence.ts): later swaps on a
// path the block already swaps on get their marginal quote, one more eth_call, while the rest is sent.
import type { Address, PublicClient } from "viem";
import { UniswapQuoter, type SwapQuote } from "../chain/uniswapQuoter.js";
import type { Logger } from "../logging.js";
import type { MarketSnapshot } from "../risk/marketSnapshot.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { chooseCapital, flashLiquidationGas, planFlashLoan, type GasModel } from "../scheduler/profit.js";
import { cumulativeAmounts, marginalQuotes, sequenceSwaps, type PathRun } from "../scheduler/swapSequence.js";

export interface FlashCapitalOptions {
  client: PublicClient;
  /** LIQUIDATOR_ADDRESS: owned by the keeper's wallet, on the market's pool */
  liquidator: Address;
  /** Uniswap V3's factory (pool look-ups) and QuoterV2 */
  factory: Address;
  quoter: Address;
  /** tokens a two-hop route may pass through (UNISWAP_ROUTING_HUBS, the sandbox's WETH and USDC) */
  routingHubs: readonly Address[];
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
  logger: Logger;
}

/** A user's two plans for the block: from the wallet (undefined when it cannot pay) and wallet-free. */
export interface CapitalCandidate {
  wallet?: LiquidationPlan;
  /** planned with walletBalances undefined and the contract as liquidator */
  free?: LiquidationPlan;
}

export interface CapitalChoice {
  /** wallet or flash loan, whichever nets more */
  plan: LiquidationPlan;
  /** the flash-loan plan when there is one (chosen or not), else why not */
  flash?: LiquidationPlan;
  flashSkip?: string;
}

/** What the flash model needs of the block besides the quotes. */
export interface BlockTerms {
  snapshot: MarketSnapshot;
  /** the wallet path's gas model (gasUnits: a plain liquidationCall); the flash path adds its own */
  gas: GasModel;
  minProfitBase: bigint;
  /** quotes are taken at this block (the one the plans were made from) */
  blockNumber: bigint;
}

export interface Sequenced {
  /** to send at once, in order */
  now: LiquidationPlan[];
  /** the later swaps of paths used more than once, re-planned with their marginal quotes: send after `now` */
  later: Promise<LiquidationPlan[]>;
  /** flash plans left for the next block (their pools are swapped by another path or a transaction in flight) */
  deferred: LiquidationPlan[];
}

export class FlashCapital {
  readonly liquidator: Address;
  private readonly quoter: UniswapQuoter;
  private readonly log: Logger;
  /** a quote failure is logged once per incident, not once per block */
  private failing = false;

  constructor(private readonly options: FlashCapitalOptions) {
    this.liquidator = options.liquidator;
    this.quoter = new UniswapQuoter(options.client, { factory: options.factory, quoter: options.quoter, hubs: options.routingHubs });
    this.log = options.logger.child({ module: "capital" });
  }

  /**
   * Per candidate, wallet or flash loan. The block's quotes are one eth_call (sell exactly the free
   * plan's expectedCollateralSeized for the debt asset); when it fails, the wallet plans stand alone.
   */
  async choose(candidates: readonly CapitalCandidate[], block: BlockTerms): Promise<(CapitalChoice | undefined)[]> {
    const free = candidates.flatMap((c) => (c.free ? [c.free] : []));
    let quotes: (SwapQuote | undefined)[] | undefined;
    let quoteError: string | undefined;
    if (free.length > 0) {
      try {
        quotes = await this.quoter.quote(
          free.map((p) => ({ tokenIn: p.collateralAsset, tokenOut: p.debtAsset, amountIn: p.expectedCollateralSeized })),
          block.blockNumber,
        );
        if (this.failing) this.log.info("swap quotes answer again: flash loans back");
        this.failing = false;
      } catch (err) {
        quoteError = `no swap quote: ${firstLine(err)}`;
        if (!this.failing) this.log.warn({ err: firstLine(err) }, "swap quotes failed: liquidating from the wallet only meanwhile");
        this.failing = true;
      }
    }
    let q = 0;
    return candidates.map((c) => {
      let flash: LiquidationPlan | undefined;
      let flashSkip: string | undefined;
      if (c.free) {
        const quote = quotes?.[q++];
        if (quoteError !== undefined) flashSkip = quoteError;
        else if (quote === undefined) {
          const [from, to] = [c.free.collateralSymbol ?? c.free.collateralAsset, c.free.debtSymbol ?? c.free.debtAsset];
          flashSkip = `no Uniswap route sells ${from} for ${to}`;
        } else {
          const gas = { ...block.gas, gasUnits: flashLiquidationGas(block.gas.gasUnits, quote) };
          const r = planFlashLoan(c.free, quote, block.snapshot, {
            liquidator: this.liquidator,
            gas,
            slippageBps: this.options.slippageBps,
            minProfitBase: block.minProfitBase,
          });
          if ("plan" in r) flash = r.plan;
          else flashSkip = r.skip;
        }
      }
      if (flashSkip !== undefined) this.log.debug({ user: c.free!.user, reason: flashSkip }, "no flash loan");
      const plan = chooseCapital(c.wallet, flash);
      return plan === undefined ? undefined : { plan, ...(flash && { flash }), ...(flashSkip !== undefined && { flashSkip }) };
    });
  }

  /**
   * The block's chosen plans in send order, split by how their swaps meet (see swapSequence.ts); the
   * marginal quotes of the later swaps on a shared path start at once (one eth_call).
   */
  sequence(chosen: readonly LiquidationPlan[], busyPools: ReadonlySet<string>, block: BlockTerms): Sequenced {
    const { now, runs, deferred } = sequenceSwaps(chosen, busyPools);
    for (const plan of deferred) {
      const path = plan.flashLoan?.swapPath;
      this.log.debug({ user: plan.user, path }, "flash loan deferred: its pools are swapped by another liquidation first");
    }
    const later = runs.length === 0 ? Promise.resolve([]) : this.marginal(runs, block, deferred);
    return { now, later, deferred };
  }

  private async marginal(runs: PathRun[], block: BlockTerms, deferred: LiquidationPlan[]): Promise<LiquidationPlan[]> {
    const requests = runs.flatMap((run) => cumulativeAmounts(run).map((amountIn) => ({ path: run.path, amountIn })));
    let outs: (bigint | undefined)[];
    try {
      outs = await this.quoter.quotePaths(requests, block.blockNumber);
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
        const r = planFlashLoan(plan, quotes[k]!, block.snapshot, {
          liquidator: this.liquidator,
          gas: { ...block.gas, gasUnits: plan.flashLoan!.gasUnits },
          slippageBps: this.options.slippageBps,
          minProfitBase: block.minProfitBase,
        });
        if ("skip" in r) break;
        out.push(r.plan);
      }
      deferred.push(...run.followers.slice(k));
    }
    return out;
  }
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}
