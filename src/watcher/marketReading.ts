// What the market reader reads differs by version; this file holds each version's calls and decoders,
// chosen once from POOL_REVISION (the reading-side counterpart of src/risk/rules.ts):
//  - V3.0 (revision 1): eMode categories by getEModeCategoryData (with a priceSource), members named by
//    the reserves' configuration bits 168-175; no grace period.
//  - V3.6 (revision 10): eMode categories by getEModeCategoryCollateralConfig, the label and the three
//    bitmaps (the reserves' eMode bits are deprecated); getLiquidationGracePeriod per reserve.
import type { Abi, Address } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { decodeReserveConfiguration } from "../risk/reserveConfiguration.js";
import { UnsupportedPoolRevisionError } from "../risk/rules.js";
import type { EModeCategoryState, ReserveState } from "../risk/types.js";

/** One call of the market's multicall. */
export interface MarketCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export interface MarketReading {
  /** Calls per reserve; their results come back in this order to decodeReserve. */
  reserveCalls(pool: Address, asset: Address): MarketCall[];
  decodeReserve(asset: Address, results: readonly unknown[], price: bigint): ReserveState;
  /** Calls per eMode category id; their results come back in this order to decodeEMode. */
  eModeCalls(pool: Address, id: number): MarketCall[];
  /** The category, or undefined when it is not configured (LT 0: zeroed storage). */
  decodeEMode(id: number, results: readonly unknown[], priceOfSource: (source: Address) => bigint): EModeCategoryState | undefined;
}

const ZERO: Address = "0x0000000000000000000000000000000000000000";

/** Pool.getReserveData: the same ReserveData(Legacy) layout from 3.0 to 3.6. */
interface ReserveDataResult {
  configuration: { data: bigint };
  liquidityIndex: bigint;
  currentLiquidityRate: bigint;
  variableBorrowIndex: bigint;
  currentVariableBorrowRate: bigint;
  lastUpdateTimestamp: number;
  id: number;
  aTokenAddress: Address;
  stableDebtTokenAddress: Address;
  variableDebtTokenAddress: Address;
}

function reserveState(asset: Address, data: ReserveDataResult, price: bigint, eModeBits: boolean, gracePeriodUntil: bigint): ReserveState {
  const config = decodeReserveConfiguration(data.configuration.data);
  return {
    asset,
    id: data.id,
    decimals: config.decimals,
    unit: 10n ** BigInt(config.decimals),
    ltv: config.ltv,
    liquidationThreshold: config.liquidationThreshold,
    liquidationBonus: config.liquidationBonus,
    liquidationProtocolFee: config.liquidationProtocolFee,
    eModeCategory: eModeBits ? config.eModeCategory : 0,
    active: config.active,
    frozen: config.frozen,
    paused: config.paused,
    borrowingEnabled: config.borrowingEnabled,
    flashLoanEnabled: config.flashLoanEnabled,
    liquidityIndex: data.liquidityIndex,
    variableBorrowIndex: data.variableBorrowIndex,
    currentLiquidityRate: data.currentLiquidityRate,
    currentVariableBorrowRate: data.currentVariableBorrowRate,
    lastUpdateTimestamp: BigInt(data.lastUpdateTimestamp),
    aToken: data.aTokenAddress,
    variableDebtToken: data.variableDebtTokenAddress,
    stableDebtToken: data.stableDebtTokenAddress,
    price,
    liquidationGracePeriodUntil: gracePeriodUntil,
  };
}

const call = (address: Address, abi: Abi, functionName: string, ...args: unknown[]): MarketCall => ({ address, abi, functionName, args });

export const READING_V3_0: MarketReading = {
  reserveCalls: (pool, asset) => [call(pool, poolAbi, "getReserveData", asset)],
  decodeReserve: (asset, [data], price) => reserveState(asset, data as ReserveDataResult, price, true, 0n),
  eModeCalls: (pool, id) => [call(pool, poolAbi, "getEModeCategoryData", id)],
  decodeEMode: (id, [data], priceOfSource) => {
    const c = data as { ltv: number; liquidationThreshold: number; liquidationBonus: number; priceSource: Address; label: string };
    if (c.liquidationThreshold === 0) return undefined;
    return {
      id,
      ltv: c.ltv,
      liquidationThreshold: c.liquidationThreshold,
      liquidationBonus: c.liquidationBonus,
      priceSource: c.priceSource,
      priceSourcePrice: c.priceSource === ZERO ? 0n : priceOfSource(c.priceSource),
      label: c.label,
      collateralBitmap: 0n,
      borrowableBitmap: 0n,
      ltvzeroBitmap: 0n,
    };
  },
};

export const READING_V3_6: MarketReading = {
  reserveCalls: (pool, asset) => [
    call(pool, poolV36Abi, "getReserveData", asset),
    call(pool, poolV36Abi, "getLiquidationGracePeriod", asset),
  ],
  // Bits 168-175 are "DEPRECATED: eMode category" (DataTypes.ReserveConfigurationMap): never read them.
  decodeReserve: (asset, [data, grace], price) => reserveState(asset, data as ReserveDataResult, price, false, BigInt(grace as number)),
  eModeCalls: (pool, id) => [
    call(pool, poolV36Abi, "getEModeCategoryCollateralConfig", id),
    call(pool, poolV36Abi, "getEModeCategoryLabel", id),
    call(pool, poolV36Abi, "getEModeCategoryCollateralBitmap", id),
    call(pool, poolV36Abi, "getEModeCategoryBorrowableBitmap", id),
    call(pool, poolV36Abi, "getEModeCategoryLtvzeroBitmap", id),
  ],
  decodeEMode: (id, [config, label, collateralBitmap, borrowableBitmap, ltvzeroBitmap]) => {
    const c = config as { ltv: number; liquidationThreshold: number; liquidationBonus: number };
    if (c.liquidationThreshold === 0) return undefined;
    return {
      id,
      ltv: c.ltv,
      liquidationThreshold: c.liquidationThreshold,
      liquidationBonus: c.liquidationBonus,
      // The eMode price source was removed in 3.2.
      priceSource: ZERO,
      priceSourcePrice: 0n,
      label: label as string,
      collateralBitmap: collateralBitmap as bigint,
      borrowableBitmap: borrowableBitmap as bigint,
      ltvzeroBitmap: ltvzeroBitmap as bigint,
    };
  },
};

/** The reading of the revisions rulesForRevision accepts; any other is refused the same way. */
const READINGS: Readonly<Record<number, MarketReading>> = { 1: READING_V3_0, 10: READING_V3_6 };

export function marketReadingFor(poolRevision: bigint | number): MarketReading {
  const reading = READINGS[Number(poolRevision)];
  if (reading === undefined) throw new UnsupportedPoolRevisionError(Number(poolRevision));
  return reading;
}
