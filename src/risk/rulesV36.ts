// Aave V3.6 rules (aave-v3-origin 3.6.0, POOL_REVISION 10): what every live Aave V3 market runs.
// Sources: node_modules/@aave-dao/aave-v3-origin/src/contracts/protocol/libraries/{logic/GenericLogic.sol,
// logic/ReserveLogic.sol, logic/ValidationLogic.sol, logic/LiquidationLogic.sol, helpers/TokenMath.sol,
// math/MathUtils.sol}. The interface and the choice by revision are in rules.ts.
import { calculateCompoundedInterestV34, calculateLinearInterest } from "./interest.js";
import { HEALTH_FACTOR_LIQUIDATION_THRESHOLD } from "./liquidationAmounts.js";
import { LIQUIDATION_RULES_V3_6 } from "./liquidationAmounts36.js";
import type { HealthFactorResult, ProtocolRules } from "./rules.js";
import type { EModeCategoryState, ReserveState } from "./types.js";
import { checkedUint256, MAX_UINT256, mulDivCeil, rayMulCeil, rayMulFloor, wadDiv } from "./wadRayMath.js";

/** EModeConfiguration.isReserveEnabledOnBitmap: bit `id` of a uint128 bitmap. */
function onBitmap(bitmap: bigint, id: number): boolean {
  return ((bitmap >> BigInt(id)) & 1n) === 1n;
}

/**
 * GenericLogic / LiquidationLogic / ValidationLogic.getUserReserveLtv: a reserve is an eMode member of a
 * user in category c != 0 iff its id is set in c's collateralBitmap. A category that does not exist reads
 * as zeroed storage: empty bitmap, so no member.
 */
function member(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): boolean {
  return userEModeCategory !== 0 && category !== undefined && onBitmap(category.collateralBitmap, reserve.id);
}

export const RULES_V3_6: ProtocolRules = Object.freeze<ProtocolRules>({
  version: "Aave V3.6",
  poolRevision: 10,
  // ReserveLogic.getNormalizedDebt → MathUtils.calculateCompoundedInterest, the 3.4+ form RAY + x + x·(x/2 + x·x/6).
  compoundedInterest: calculateCompoundedInterestV34,
  linearInterest: calculateLinearInterest,
  // GenericLogic._getUserBalanceInBaseCurrency: scaledBalanceOf(user).getATokenBalance(income) = rayMulFloor.
  collateralBalance: (scaled: bigint, normalizedIncome: bigint) => rayMulFloor(scaled, normalizedIncome),
  // GenericLogic._getUserDebtInBaseCurrency: scaledBalanceOf(user).getVTokenBalance(debtIndex) = rayMulCeil.
  variableDebtBalance: (scaled: bigint, normalizedDebt: bigint) => rayMulCeil(scaled, normalizedDebt),
  // Stable debt was removed in 3.2: no stable token is read and none enters the debt.
  hasStableDebt: false,
  stableDebtBalance: () => 0n,
  // `(balance) * assetPrice` checked, then the unchecked floor division by assetUnit.
  collateralInBase: (balance: bigint, price: bigint, unit: bigint) =>
    checkedUint256("_getUserBalanceInBaseCurrency", balance * price) / unit,
  // MathUtils.mulDivCeil(userTotalDebt, assetPrice, assetUnit): the debt in base currency rounds up (3.5+).
  debtInBase: (balance: bigint, price: bigint, unit: bigint) => mulDivCeil(balance, price, unit),
  // 3.6 GenericLogic: every enabled collateral enters TC, whatever its LT (LT 0 adds to TC, not to S).
  collateralCounts: () => true,
  inEMode: member,
  // GenericLogic: `userEModeCategory != 0 && isReserveEnabledOnBitmap(eModeCollateralBitmap, i)` ? eMode LT : reserve LT.
  effectiveLiquidationThreshold: (reserve, userEModeCategory, category) =>
    BigInt(member(reserve, userEModeCategory, category) ? category!.liquidationThreshold : reserve.liquidationThreshold),
  // ValidationLogic.getUserReserveLtv: members take the eMode LTV, or 0 when also in ltvzeroBitmap; others
  // their own LTV (no gate on the reserve's LTV, unlike V3.0).
  effectiveLtv: (reserve, userEModeCategory, category) => {
    if (!member(reserve, userEModeCategory, category)) return BigInt(reserve.ltv);
    return onBitmap(category!.ltvzeroBitmap, reserve.id) ? 0n : BigInt(category!.ltv);
  },
  // The eMode price source was removed in 3.2: every asset is priced by AaveOracle.getAssetPrice(asset).
  priceInHealthFactor: (reserve: ReserveState) => ({ price: reserve.price, feed: reserve.asset }),
  // GenericLogic: HF = wadDiv(Σ base·LT, TD) / 100_00 (checked division, floor); avgLT = S / TC reported
  // apart (unchecked floor) and no longer enters the HF.
  healthFactor: (tc: bigint, weightedLt: bigint, td: bigint): HealthFactorResult => ({
    avgLiquidationThreshold: tc === 0n ? 0n : weightedLt / tc,
    healthFactor: td === 0n ? MAX_UINT256 : wadDiv(weightedLt, td) / 10_000n,
  }),
  // No rounding on S: HF/1e18 is S/(1e4·TD) within about ±1e-18 (wadDiv's half-up, then the floor of
  // / 1e4), which the bracket's absolute margin (1e-15) covers.
  healthFactorSlack: { tcSlack: 0, lowSlack: 0, highSlack: 0 },
  liquidationThreshold: HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
  // Whole-position close factor, ceil debt in the capped branch, MustNotLeaveDust, deficit, no
  // self-liquidation, LT-0 collateral seizable, TokenMath scaled amounts (liquidationAmounts36.ts).
  ...LIQUIDATION_RULES_V3_6,
  // LiquidationLogic.executeLiquidationCall: eMode bonus iff the collateral is in the user's category's
  // collateralBitmap; both prices are getAssetPrice(asset).
  liquidationPricesAndBonus: (collateral, debt, userEModeCategory, category) => ({
    collateralPrice: collateral.price,
    debtPrice: debt.price,
    liquidationBonus: BigInt(member(collateral, userEModeCategory, category) ? category!.liquidationBonus : collateral.liquidationBonus),
  }),
});
