// Adapters from our types to @aave/math-utils inputs (shared by the cross-check test and the benchmark).
import { formatReserves, formatUserSummary, type ReserveDataWithPrice, type UserReserveData } from "@aave/math-utils";

/** Not re-exported by the package index. */
type EModeData = NonNullable<Parameters<typeof formatReserves>[0]["eModes"]>[number];
import type { AccountPosition, MarketState } from "../../src/risk/types.js";
import { isUsingAsCollateral } from "../../src/risk/userConfiguration.js";

export function toMathUtilsReserves(m: MarketState): ReserveDataWithPrice[] {
  return m.reserves
    .filter((r) => r !== undefined)
    .map((r) => ({
      originalId: r.id,
      id: String(r.id),
      symbol: `R${r.id}`,
      name: `Reserve ${r.id}`,
      decimals: r.decimals,
      underlyingAsset: r.asset,
      usageAsCollateralEnabled: r.liquidationThreshold !== 0,
      reserveFactor: "0",
      baseLTVasCollateral: String(r.ltv),
      liquidityIndex: r.liquidityIndex.toString(),
      reserveLiquidationThreshold: String(r.liquidationThreshold),
      reserveLiquidationBonus: String(r.liquidationBonus),
      variableBorrowIndex: r.variableBorrowIndex.toString(),
      variableBorrowRate: r.currentVariableBorrowRate.toString(),
      availableLiquidity: "1000000",
      liquidityRate: r.currentLiquidityRate.toString(),
      totalScaledVariableDebt: "1000000",
      lastUpdateTimestamp: Number(r.lastUpdateTimestamp),
      borrowCap: "0",
      supplyCap: "0",
      debtCeiling: "0",
      debtCeilingDecimals: 2,
      isolationModeTotalDebt: "0",
      virtualUnderlyingBalance: "0",
      deficit: "0",
      priceInMarketReferenceCurrency: r.price.toString(),
    }));
}

/** V3.0 category membership (reserve config bits) expressed as the 3.2+ collateral bitmap math-utils reads. */
export function toMathUtilsEModes(m: MarketState): EModeData[] {
  return [...m.eModes.values()].map((c) => {
    let bitmap = 0n;
    for (const r of m.reserves) if (r !== undefined && r.eModeCategory === c.id) bitmap |= 1n << BigInt(r.id);
    return {
      id: c.id,
      eMode: {
        ltv: String(c.ltv),
        liquidationThreshold: String(c.liquidationThreshold),
        liquidationBonus: String(c.liquidationBonus),
        collateralBitmap: bitmap.toString(2),
        borrowableBitmap: bitmap.toString(2),
        ltvzeroBitmap: "0",
        isolated: false,
        label: c.label,
      },
    };
  });
}

export function toMathUtilsUserReserves(p: AccountPosition, m: MarketState): UserReserveData[] {
  const ids = new Set<number>([...p.scaledCollateral.keys(), ...p.scaledVariableDebt.keys()]);
  return [...ids].map((id) => ({
    underlyingAsset: m.reserves[id]!.asset,
    scaledATokenBalance: (p.scaledCollateral.get(id) ?? 0n).toString(),
    usageAsCollateralEnabledOnUser: isUsingAsCollateral(p.userConfig, id),
    scaledVariableDebt: (p.scaledVariableDebt.get(id) ?? 0n).toString(),
  }));
}

export function formatMarket(m: MarketState, timestamp: bigint) {
  return formatReserves({
    reserves: toMathUtilsReserves(m),
    eModes: toMathUtilsEModes(m),
    currentTimestamp: Number(timestamp),
    marketReferencePriceInUsd: "100000000",
    marketReferenceCurrencyDecimals: 8,
  });
}

export function mathUtilsHealthFactor(
  p: AccountPosition,
  m: MarketState,
  formatted: ReturnType<typeof formatMarket>,
  timestamp: bigint,
): number {
  const s = formatUserSummary({
    currentTimestamp: Number(timestamp),
    marketReferencePriceInUsd: "100000000",
    marketReferenceCurrencyDecimals: 8,
    userReserves: toMathUtilsUserReserves(p, m),
    formattedReserves: formatted,
    userEmodeCategoryId: p.eModeCategory,
  });
  return Number(s.healthFactor);
}
