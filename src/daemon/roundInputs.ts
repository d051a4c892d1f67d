// What a round is planned with, from the daemon's state: the market snapshot at the next block's
// timestamp, gas priced at the fee a send would pay (gas.ts), the profit floor in base currency, the
// gas that may still be put in flight and a transaction's share of the block.
import type { Address, PublicClient } from "viem";
import { readSymbols } from "../chain/tokens.js";
import type { Settings } from "../config/settings.js";
import { gweiToWei } from "../executor/fees.js";
import { snapshotMarket } from "../risk/marketSnapshot.js";
import type { ProtocolRules } from "../risk/rules.js";
import type { MarketState } from "../risk/types.js";
import type { GasModel } from "../scheduler/profit.js";
import type { RoundContext } from "../scheduler/scheduler.js";
import type { Logger } from "../logging.js";
import type { Estimator } from "./estimator.js";
import { gasModel, nativeReserveId } from "./gas.js";

export interface RoundState {
  market: MarketState;
  rules: ProtocolRules;
  head: { number: bigint; timestamp: bigint; baseFeePerGas: bigint };
  /** gas of the transactions in flight */
  inFlightGas: bigint;
}

export class RoundInputs {
  blockGasLimit = 30_000_000n;
  /** the reserve of the wrapped native token (undefined: gas left out of the profit) */
  nativeId: number | undefined;
  readonly symbols = new Map<number, string>();

  constructor(
    private readonly estimator: Estimator,
    private readonly settings: { executor: Pick<Settings["executor"], "priorityFeeGwei" | "maxFeeGwei">; scheduler: Settings["scheduler"] },
  ) {}

  /** The block's gas limit at `head` and the reserves' symbols (for log lines). */
  async read(client: PublicClient, head: bigint, assets: readonly { id: number; asset: Address }[]): Promise<void> {
    const [block, symbols] = await Promise.all([
      client.getBlock({ blockNumber: head }),
      readSymbols(
        client,
        assets.map((a) => a.asset),
      ),
    ]);
    this.blockGasLimit = block.gasLimit;
    for (const [i, a] of assets.entries()) this.symbols.set(a.id, symbols[i]!);
  }

  /** Gas is priced in the wrapped native token's reserve; without one it is left out of the profit (warned). */
  useNativeToken(market: MarketState, wrappedNative: Address | undefined, log: Logger): void {
    this.nativeId = nativeReserveId(market, wrappedNative);
    if (this.nativeId !== undefined) return;
    log.warn(
      { wrappedNativeToken: wrappedNative ?? null },
      "the wrapped native token is not a reserve (set WRAPPED_NATIVE_TOKEN): gas is left out of the profit",
    );
  }

  /** seconds the next block is expected after the head */
  blockTime(): bigint {
    return this.estimator.blockTime();
  }

  gasModel(market: MarketState, baseFeePerGas: bigint): GasModel {
    const { priorityFeeGwei, maxFeeGwei } = this.settings.executor;
    return gasModel(
      market,
      this.nativeId,
      baseFeePerGas,
      gweiToWei(priorityFeeGwei),
      gweiToWei(maxFeeGwei),
      this.estimator.liquidationCallGas,
    );
  }

  context(state: RoundState, candidates: readonly Address[]): RoundContext {
    const { market, head } = state;
    const { minProfitUsd, maxInflightBlocks } = this.settings.scheduler;
    return {
      terms: {
        snapshot: snapshotMarket(market, state.rules, head.timestamp + this.estimator.blockTime()),
        gas: this.gasModel(market, head.baseFeePerGas),
        minProfitBase: (BigInt(Math.round(minProfitUsd * 1e6)) * market.baseCurrencyUnit) / 1_000_000n,
        blockNumber: head.number,
        symbols: this.symbols,
      },
      candidates,
      gasBudget: this.estimator.inflightBlocks(maxInflightBlocks) * this.blockGasLimit - state.inFlightGas,
      gasPerLiquidation: this.estimator.gasPerLiquidation,
      head,
      // A transaction takes at most a quarter of a block: several of them fill it, and one that does
      // not fit the gas left waits less.
      maxUnitGas: this.blockGasLimit / 4n,
    };
  }
}
