// Amounts of a liquidationCall under Aave 3.6 (aave-v3-origin 3.6.0, POOL_REVISION 10):
// LiquidationLogic.executeLiquidationCall and _calculateAvailableCollateralToLiquidate, with the
// 3.5 token rounding (TokenMath) and the 3.3 close factor, dust and deficit rules.
import type {
  CollateralToLiquidate,
  CollateralToLiquidateParams,
  LiquidationLeftoverParams,
  LiquidationRules,
  MaxLiquidatableDebtParams,
} from "./liquidationAmounts.js";
import { CLOSE_FACTOR_HF_THRESHOLD, collateralToLiquidateWith, DEFAULT_LIQUIDATION_CLOSE_FACTOR } from "./liquidationAmounts.js";
import {
  checkedUint256,
  MathRevertError,
  mulDivCeil,
  percentDivCeil,
  percentMul,
  percentMulCeil,
  rayDivCeil,
  rayDivFloor,
} from "./wadRayMath.js";

/**
 * LiquidationLogic.MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000e8 and MIN_LEFTOVER_BASE = 1000e8.
 * They are raw base-currency amounts in the contract, not scaled by BASE_CURRENCY_UNIT: $2,000 and
 * $1,000 in a USD/8-decimal market (every live V3 market); the contract's comment says a
 * non-USD pool would need them "adjusted", i.e. a different deployment. Mirroring the raw values
 * is what makes the planner agree with the pool whatever the market's base unit.
 */
export const MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD = 2000n * 10n ** 8n;
export const MIN_LEFTOVER_BASE = MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD / 2n;

/**
 * executeLiquidationCall's close factor (3.3+). The whole reserve's debt, unless both this
 * collateral reserve and this debt reserve are worth >= 2000e8 in base currency and HF > 0.95:
 * then at most 50% of the whole position's debt (TD), converted back to debt-token units (floor),
 * and only if this reserve holds more than that.
 */
export function maxLiquidatableDebtV36(p: MaxLiquidatableDebtParams): bigint {
  const op = "executeLiquidationCall";
  // borrowerReserveDebtInBaseCurrency = MathUtils.mulDivCeil(debt, price, unit); collateral: floor.
  const debtBase = mulDivCeil(p.userReserveDebt, p.debtPrice, p.debtUnit);
  const collateralBase = checkedUint256(op, p.userCollateralBalance * p.collateralPrice) / p.collateralUnit;
  if (
    collateralBase >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD &&
    debtBase >= MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD &&
    p.healthFactor > CLOSE_FACTOR_HF_THRESHOLD
  ) {
    const half = percentMul(p.totalDebtBase, DEFAULT_LIQUIDATION_CLOSE_FACTOR);
    if (debtBase > half) {
      if (p.debtPrice === 0n) throw new MathRevertError(op, "division by zero (debt price 0)");
      return checkedUint256(op, half * p.debtUnit) / p.debtPrice;
    }
  }
  return p.userReserveDebt;
}

/**
 * _calculateAvailableCollateralToLiquidate (3.5+): as V3.0, except that the collateral-capped
 * branch rounds the debt needed up (percentDivCeil), so the liquidator never repays less than the
 * collateral is worth at the bonus. The bonus share and the protocol fee still round half-up.
 */
export const collateralToLiquidateV36 = (p: CollateralToLiquidateParams): CollateralToLiquidate =>
  collateralToLiquidateWith(p, percentDivCeil);

/**
 * MustNotLeaveDust (3.3+): a liquidation that neither repays the whole debt reserve nor takes the
 * whole collateral reserve must leave >= MIN_LEFTOVER_BASE of both (debt leftover rounded up,
 * collateral leftover down, 3.5+).
 */
export function leavesDustV36(p: LiquidationLeftoverParams): boolean {
  if (p.debtRepaid >= p.userReserveDebt || p.collateralTaken >= p.userCollateralBalance) return false;
  const debtLeft = mulDivCeil(p.userReserveDebt - p.debtRepaid, p.debtPrice, p.debtUnit);
  const collateralLeft =
    checkedUint256("executeLiquidationCall", (p.userCollateralBalance - p.collateralTaken) * p.collateralPrice) / p.collateralUnit;
  return debtLeft < MIN_LEFTOVER_BASE || collateralLeft < MIN_LEFTOVER_BASE;
}

/**
 * hasNoCollateralLeft (3.3-3.6): the account's total collateral in base currency (GenericLogic,
 * before the liquidation) equals the base value of the collateral taken (liquidator + fee, floor).
 * Then the rest of this debt reserve and every other active debt reserve are burned as deficit.
 */
export function hasNoCollateralLeftV36(
  totalCollateralBase: bigint,
  collateralTaken: bigint,
  collateralPrice: bigint,
  collateralUnit: bigint,
): boolean {
  return (
    totalCollateralBase === checkedUint256("_calculateAvailableCollateralToLiquidate", collateralTaken * collateralPrice) / collateralUnit
  );
}

/** Aave 3.6 (POOL_REVISION 10). */
export const LIQUIDATION_RULES_V3_6: LiquidationRules = Object.freeze<LiquidationRules>({
  selfLiquidationAllowed: false,
  // 3.6 ValidationLogic: only `borrowerConfig.isUsingAsCollateral(collateralReserve.id)`; an LT-0 reserve
  // whose bit is set (e.g. through an eMode that gives it an LT) can be seized.
  collateralLiquidatable: () => true,
  maxLiquidatableDebt: maxLiquidatableDebtV36,
  collateralToLiquidate: collateralToLiquidateV36,
  minLeftoverBase: MIN_LEFTOVER_BASE,
  leavesDust: leavesDustV36,
  hasNoCollateralLeft: hasNoCollateralLeftV36,
  // TokenMath: getATokenBurnScaledAmount and getATokenTransferScaledAmount both rayDivCeil.
  aTokenLiquidationScaled: rayDivCeil,
  // TokenMath.getVTokenBurnScaledAmount: rayDivFloor ("as vDebt.burn rounds down").
  vTokenBurnScaled: rayDivFloor,
  // FlashLoanLogic.executeFlashLoanSimple 3.6: `params.amount.percentMulCeil(params.flashLoanPremium)`.
  flashLoanPremium: percentMulCeil,
});
