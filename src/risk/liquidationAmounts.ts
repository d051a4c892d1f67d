// Amounts of a liquidationCall under the V3.0 rules (core-v3 1.19.3 LiquidationLogic.sol).
import { checkedUint256, MathRevertError, percentDiv, percentMul, WAD } from "./wadRayMath.js";

/** LiquidationLogic.DEFAULT_LIQUIDATION_CLOSE_FACTOR / MAX_LIQUIDATION_CLOSE_FACTOR (bps). */
export const DEFAULT_LIQUIDATION_CLOSE_FACTOR = 5_000n;
export const MAX_LIQUIDATION_CLOSE_FACTOR = 10_000n;
/** LiquidationLogic.CLOSE_FACTOR_HF_THRESHOLD */
export const CLOSE_FACTOR_HF_THRESHOLD = 95n * 10n ** 16n;
/** ValidationLogic.HEALTH_FACTOR_LIQUIDATION_THRESHOLD: liquidatable iff HF < this (strict). */
export const HEALTH_FACTOR_LIQUIDATION_THRESHOLD = WAD;

/** What the close factor needs. V3.0-3.2 look at the debt reserve and HF only; 3.3+ at the whole position. */
export interface MaxLiquidatableDebtParams {
  /** Stable + variable debt of the debt reserve, as the tokens' balanceOf (half-up on V3.0, ceil on 3.5+). */
  userReserveDebt: bigint;
  healthFactor: bigint;
  /** 3.3+: GenericLogic's total debt of the account in base currency (the 50% applies to it). */
  totalDebtBase: bigint;
  /** 3.3+: aToken balance of the pair's collateral reserve (floor on 3.5+). */
  userCollateralBalance: bigint;
  /** 3.3+: getAssetPrice of the collateral and the debt, and their 10^decimals. */
  collateralPrice: bigint;
  collateralUnit: bigint;
  debtPrice: bigint;
  debtUnit: bigint;
}

/**
 * LiquidationLogic._calculateDebt (V3.0-3.2): 50% of the user's debt in this reserve, 100% once
 * HF <= 0.95 (the contract tests `healthFactor > CLOSE_FACTOR_HF_THRESHOLD` for the 50% case).
 */
export function maxLiquidatableDebtV30(p: Pick<MaxLiquidatableDebtParams, "userReserveDebt" | "healthFactor">): bigint {
  const closeFactor = p.healthFactor > CLOSE_FACTOR_HF_THRESHOLD ? DEFAULT_LIQUIDATION_CLOSE_FACTOR : MAX_LIQUIDATION_CLOSE_FACTOR;
  return percentMul(p.userReserveDebt, closeFactor);
}

export interface CollateralToLiquidateParams {
  /** Price of the collateral's price source (eMode priceSource for eMode collateral on V3.0). */
  collateralPrice: bigint;
  /** Price of the debt's price source (eMode priceSource whenever the user's category has one, on V3.0). */
  debtAssetPrice: bigint;
  collateralUnit: bigint;
  debtUnit: bigint;
  /** Already capped by the close factor. */
  debtToCover: bigint;
  /** aToken.balanceOf(user) of the collateral reserve. */
  userCollateralBalance: bigint;
  /** bps, e.g. 10500; the eMode bonus when the collateral is in the user's category. */
  liquidationBonus: bigint;
  /** bps share of the bonus, from the collateral reserve config. */
  liquidationProtocolFee: bigint;
}

export interface CollateralToLiquidate {
  /** Collateral the liquidator receives (actualCollateralToLiquidate, excludes the fee). */
  collateralToLiquidator: bigint;
  /** Debt actually repaid (smaller than debtToCover in the collateral-capped branch). */
  debtAmountNeeded: bigint;
  /** Collateral sent to the treasury as aTokens. */
  protocolFee: bigint;
}

/** LiquidationLogic._calculateAvailableCollateralToLiquidate (V3.0), with its truncation order. */
export function collateralToLiquidateV30(p: CollateralToLiquidateParams): CollateralToLiquidate {
  const op = "_calculateAvailableCollateralToLiquidate";
  const denominator = checkedUint256(op, p.collateralPrice * p.debtUnit);
  if (denominator === 0n) throw new MathRevertError(op, "division by zero (collateral price 0)");
  const baseCollateral = checkedUint256(op, p.debtAssetPrice * p.debtToCover * p.collateralUnit) / denominator;
  const maxCollateralToLiquidate = percentMul(baseCollateral, p.liquidationBonus);
  let collateralAmount: bigint;
  let debtAmountNeeded: bigint;
  if (maxCollateralToLiquidate > p.userCollateralBalance) {
    collateralAmount = p.userCollateralBalance;
    const d = checkedUint256(op, p.debtAssetPrice * p.collateralUnit);
    if (d === 0n) throw new MathRevertError(op, "division by zero (debt price 0)");
    debtAmountNeeded = percentDiv(checkedUint256(op, p.collateralPrice * collateralAmount * p.debtUnit) / d, p.liquidationBonus);
  } else {
    collateralAmount = maxCollateralToLiquidate;
    debtAmountNeeded = p.debtToCover;
  }
  if (p.liquidationProtocolFee !== 0n) {
    const bonusCollateral = checkedUint256(op, collateralAmount - percentDiv(collateralAmount, p.liquidationBonus));
    const protocolFee = percentMul(bonusCollateral, p.liquidationProtocolFee);
    return { collateralToLiquidator: collateralAmount - protocolFee, debtAmountNeeded, protocolFee };
  }
  return { collateralToLiquidator: collateralAmount, debtAmountNeeded, protocolFee: 0n };
}
