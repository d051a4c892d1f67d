// What a round is planned with, from the daemon's state: the market snapshot at the next block's
// timestamp, gas priced at the fee a send would pay (gas.ts), the profit floor in base currency, the
// gas that may still be put in flight and a transaction's share of the block.
import type { Address } from "viem";
import type { Settings } from "../config/settings.js";
import { gweiToWei } from "../executor/fees.js";
import { snapshotMarket } from "../risk/marketSnapshot.js";
import type { ProtocolRules } from "../risk/rules.js";
import type { MarketState } from "../risk/types.js";
import type { GasModel } from "../scheduler/profit.js";
import type { RoundContext } from "../scheduler/scheduler.js";
import type { Estimator } from "./estimator.js";
import { gasModel } from "./gas.js";

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
