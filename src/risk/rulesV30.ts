// Aave V3.0 rules (core-v3 1.19.3, POOL_REVISION 1): the contracts the `--aave 3.0` sandbox deploys.
// The interface and the choice by revision are in rules.ts.
import { calculateCompoundedInterestV30, calculateLinearInterest } from "./interest.js";
import { HEALTH_FACTOR_LIQUIDATION_THRESHOLD, LIQUIDATION_RULES_V3_0 } from "./liquidationAmounts.js";
import type { HealthFactorResult, ProtocolRules } from "./rules.js";
import type { EModeCategoryState, ReserveState, StableDebtPosition } from "./types.js";
import { checkedUint256, MAX_UINT256, percentMul, rayMul, wadDiv } from "./wadRayMath.js";

/** V3.0 rules: core-v3 1.19.3 (POOL_REVISION 1). */
export const RULES_V3_0: ProtocolRules = Object.freeze<ProtocolRules>({
  version: "Aave V3.0",
  poolRevision: 1,
  compoundedInterest: calculateCompoundedInterestV30,
  linearInterest: calculateLinearInterest,
  // GenericLogic._getUserBalanceInBaseCurrency: scaledBalanceOf(user).rayMul(normalizedIncome).
  collateralBalance: (scaled: bigint, normalizedIncome: bigint) => rayMul(scaled, normalizedIncome),
  // GenericLogic._getUserDebtInBaseCurrency: rayMul only when the scaled balance is non-zero.
  variableDebtBalance: (scaled: bigint, normalizedDebt: bigint) => (scaled === 0n ? 0n : rayMul(scaled, normalizedDebt)),
  hasStableDebt: true,
  // StableDebtToken.balanceOf: 0 for 0 principal, else principal.rayMul(compounded(userRate, userLastUpdated)).
  stableDebtBalance: (p: StableDebtPosition, timestamp: bigint) =>
    p.principal === 0n ? 0n : rayMul(p.principal, calculateCompoundedInterestV30(p.stableRate, p.lastUpdated, timestamp)),
  // `balance * assetPrice` is checked, `/ assetUnit` is the unchecked floor division.
  collateralInBase: (balance: bigint, price: bigint, unit: bigint) =>
    checkedUint256("_getUserBalanceInBaseCurrency", balance * price) / unit,
  debtInBase: (balance: bigint, price: bigint, unit: bigint) => checkedUint256("_getUserDebtInBaseCurrency", balance * price) / unit,
  // GenericLogic: `if (vars.liquidationThreshold != 0 && isUsingAsCollateral(i))` — the reserve's own LT.
  collateralCounts: (reserve: ReserveState) => reserve.liquidationThreshold !== 0,
  // EModeLogic.isInEModeCategory: userCategory != 0 && assetCategory == userCategory.
  inEMode: (reserve: ReserveState, userEModeCategory: number, _category: EModeCategoryState | undefined) =>
    userEModeCategory !== 0 && reserve.eModeCategory === userEModeCategory,
  // GenericLogic: `isInEModeCategory ? eModeLiqThreshold : liquidationThreshold`; a missing category
  // reads as zeroed storage, so members get LT 0.
  effectiveLiquidationThreshold: (reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined) =>
    BigInt(
      userEModeCategory !== 0 && reserve.eModeCategory === userEModeCategory
        ? (category?.liquidationThreshold ?? 0)
        : reserve.liquidationThreshold,
    ),
  // GenericLogic: `if (vars.ltv != 0) avgLtv += bal * (isInEModeCategory ? eModeLtv : ltv)` — gated on the reserve LTV.
  effectiveLtv: (reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined) =>
    reserve.ltv === 0
      ? 0n
      : BigInt(userEModeCategory !== 0 && reserve.eModeCategory === userEModeCategory ? (category?.ltv ?? 0) : reserve.ltv),
  // GenericLogic: eModeAssetPrice != 0 && userEModeCategory == eModeAssetCategory ? eModeAssetPrice : getAssetPrice.
  priceInHealthFactor: (reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined) => {
    const eModePrice = userEModeCategory !== 0 && category !== undefined ? category.priceSourcePrice : 0n;
    return eModePrice !== 0n && reserve.eModeCategory === userEModeCategory && category !== undefined
      ? { price: eModePrice, feed: category.priceSource }
      : { price: reserve.price, feed: reserve.asset };
  },
  // GenericLogic: avgLT = S / TC (floor), HF = wadDiv(percentMul(TC, avgLT), TD), max when TD == 0.
  healthFactor: (tc: bigint, weightedLt: bigint, td: bigint): HealthFactorResult => {
    const avgLiquidationThreshold = tc === 0n ? 0n : weightedLt / tc;
    const healthFactor = td === 0n ? MAX_UINT256 : wadDiv(percentMul(tc, avgLiquidationThreshold), td);
    return { avgLiquidationThreshold, healthFactor };
  },
  // TC·⌊S/TC⌋ ∈ (S − TC, S], then percentMul's half-up: HF·1e4·TD ∈ [S − TC − 1e4, S + 5e3].
  healthFactorSlack: { tcSlack: 1, lowSlack: 1e4, highSlack: 5e3 },
  liquidationThreshold: HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
  // Close factor, amounts, token rounding; no dust rule, deficit or self-liquidation check (liquidationAmounts.ts).
  ...LIQUIDATION_RULES_V3_0,
  liquidationPricesAndBonus: (collateral, debt, userEModeCategory, category) => {
    let collateralPrice = collateral.price;
    let debtPrice = debt.price;
    let liquidationBonus = BigInt(collateral.liquidationBonus);
    if (userEModeCategory !== 0) {
      // Missing category = zeroed storage in the contract: bonus 0, no price source.
      const priceSourcePrice = category?.priceSourcePrice ?? 0n;
      const hasPriceSource = category !== undefined && BigInt(category.priceSource) !== 0n;
      if (collateral.eModeCategory === userEModeCategory) {
        liquidationBonus = BigInt(category?.liquidationBonus ?? 0);
        if (hasPriceSource) collateralPrice = priceSourcePrice;
      }
      if (hasPriceSource) debtPrice = priceSourcePrice;
    }
    return { collateralPrice, debtPrice, liquidationBonus };
  },
});
