// Gas, priced once: the fee a liquidation is sent with (executor/fees.ts, the same function the
// executor signs with) in the market's base currency, through the oracle price of the reserve that
// is the chain's wrapped native token (WRAPPED_NATIVE_TOKEN or the chain's known one).
import type { Address } from "viem";
import { initialFees } from "../executor/fees.js";
import type { MarketState } from "../risk/types.js";
import type { GasModel } from "../scheduler/profit.js";

/** The reserve whose asset is the wrapped native token, or undefined (gas is then left out of the profit). */
export function nativeReserveId(market: MarketState, wrappedNative: Address | undefined): number | undefined {
  if (wrappedNative === undefined) return undefined;
  return market.reserves.find((r) => r !== undefined && r.asset.toLowerCase() === wrappedNative.toLowerCase())?.id;
}

/** What a liquidation sent now would pay per gas at most, and what a unit of gas token is worth. */
export function gasModel(
  market: MarketState,
  nativeId: number | undefined,
  baseFeePerGas: bigint,
  priority: bigint,
  cap: bigint,
  gasUnits: bigint,
): GasModel {
  const fees = initialFees(baseFeePerGas, priority, cap);
  const native = nativeId === undefined ? undefined : market.reserves[nativeId];
  // A cap below the base fee sends nothing; the plan is priced at the cap all the same.
  const maxFeePerGas = "skip" in fees ? cap : fees.maxFeePerGas;
  return { gasUnits, maxFeePerGas, nativePriceBase: native ? (native.price * 10n ** 18n) / native.unit : 0n };
}

/** `wei` of the gas token in base currency (0 without a native reserve). */
export function weiToBase(wei: bigint, market: MarketState, nativeId: number | undefined): bigint {
  const native = nativeId === undefined ? undefined : market.reserves[nativeId];
  return native ? (wei * native.price) / native.unit : 0n;
}
