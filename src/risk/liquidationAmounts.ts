// Amounts of a liquidationCall under the V3.0 rules (core-v3 1.19.3 LiquidationLogic.sol), and the
// liquidation part of ProtocolRules every version fills in (3.6: liquidationAmounts36.ts).
import type { ReserveState } from "./types.js";
import { checkedUint256, MathRevertError, percentDiv, percentMul, rayDiv, WAD } from "./wadRayMath.js";

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

/**
 * LiquidationLogic._calculateAvailableCollateralToLiquidate, with its truncation order. Versions
 * differ only in how the collateral-capped branch rounds the debt needed: half-up on V3.0,
 * up on 3.5+ (`roundCappedDebt`).
 */
export function collateralToLiquidateWith(
  p: CollateralToLiquidateParams,
  roundCappedDebt: (value: bigint, bonus: bigint) => bigint,
): CollateralToLiquidate {
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
    debtAmountNeeded = roundCappedDebt(checkedUint256(op, p.collateralPrice * collateralAmount * p.debtUnit) / d, p.liquidationBonus);
  } else {
    collateralAmount = maxCollateralToLiquidate;
    debtAmountNeeded = p.debtToCover;
  }
  if (p.liquidationProtocolFee !== 0n) {
    // The bonus share and the protocol fee round half-up on every version up to 3.6.
    const bonusCollateral = checkedUint256(op, collateralAmount - percentDiv(collateralAmount, p.liquidationBonus));
    const protocolFee = percentMul(bonusCollateral, p.liquidationProtocolFee);
    return { collateralToLiquidator: collateralAmount - protocolFee, debtAmountNeeded, protocolFee };
  }
  return { collateralToLiquidator: collateralAmount, debtAmountNeeded, protocolFee: 0n };
}

/** V3.0 (core-v3 1.19.3): the capped branch's debt rounds half-up (percentDiv). */
export const collateralToLiquidateV30 = (p: CollateralToLiquidateParams): CollateralToLiquidate => collateralToLiquidateWith(p, percentDiv);

/** What the post-conditions of executeLiquidationCall look at. */
export interface LiquidationLeftoverParams {
  /** borrowerReserveDebt: the debt reserve's vToken balance (ceil on 3.5+) */
  userReserveDebt: bigint;
  /** actualDebtToLiquidate, after the collateral cap */
  debtRepaid: bigint;
  /** borrowerCollateralBalance: the collateral reserve's aToken balance (floor on 3.5+) */
  userCollateralBalance: bigint;
  /** actualCollateralToLiquidate + liquidationProtocolFeeAmount (before the treasury's 1-wei clamp) */
  collateralTaken: bigint;
  debtPrice: bigint;
  debtUnit: bigint;
  collateralPrice: bigint;
  collateralUnit: bigint;
}

/** The version-specific parts of Pool.liquidationCall (ProtocolRules extends this). */
export interface LiquidationRules {
  /** ValidationLogic: false from 3.4 (`borrower != liquidator`, else SelfLiquidation). */
  readonly selfLiquidationAllowed: boolean;
  /** CollateralCannotBeLiquidated beyond the user's collateral bit: ≤3.5 also the reserve's own LT != 0; 3.6 none. */
  collateralLiquidatable(reserve: ReserveState): boolean;
  /** Maximum debt of one debt reserve a single liquidationCall can repay (the close factor). */
  maxLiquidatableDebt(p: MaxLiquidatableDebtParams): bigint;
  /** Collateral seized / debt repaid / protocol fee for a (capped) debtToCover. */
  collateralToLiquidate(p: CollateralToLiquidateParams): CollateralToLiquidate;
  /** 3.3+: MIN_LEFTOVER_BASE of the dust rule; undefined where there is no such rule. */
  readonly minLeftoverBase: bigint | undefined;
  /** 3.3+: the amounts would revert MustNotLeaveDust (always false before). */
  leavesDust(p: LiquidationLeftoverParams): boolean;
  /** 3.3+: the liquidation takes all the account's collateral, so its debts are burned as deficit (always false before). */
  hasNoCollateralLeft(totalCollateralBase: bigint, collateralTaken: bigint, collateralPrice: bigint, collateralUnit: bigint): boolean;
  /** Scaled aTokens the pool moves out of the borrower for `amount` (liquidator's burn or transfer, treasury's fee). */
  aTokenLiquidationScaled(amount: bigint, normalizedIncome: bigint): bigint;
  /** Scaled variable-debt tokens burned for `amount` of debt. */
  vTokenBurnScaled(amount: bigint, normalizedDebt: bigint): bigint;
  /** FlashLoanLogic.executeFlashLoanSimple: the premium on `amount` at `premiumTotal` bps (MarketState.flashLoanPremiumTotal). */
  flashLoanPremium(amount: bigint, premiumTotal: bigint): bigint;
}

/** V3.0 (core-v3 1.19.3): no dust rule, no deficit, self-liquidation allowed, half-up token rounding. */
export const LIQUIDATION_RULES_V3_0: LiquidationRules = Object.freeze<LiquidationRules>({
  selfLiquidationAllowed: true,
  // ValidationLogic: `isCollateralEnabled = reserve LT != 0 && isUsingAsCollateral(user, id)`.
  collateralLiquidatable: (reserve: ReserveState) => reserve.liquidationThreshold !== 0,
  maxLiquidatableDebt: maxLiquidatableDebtV30,
  collateralToLiquidate: collateralToLiquidateV30,
  minLeftoverBase: undefined,
  leavesDust: () => false,
  hasNoCollateralLeft: () => false,
  // AToken.burn / transferOnLiquidation: amount.rayDiv(index); VariableDebtToken.burn: amount.rayDiv(index).
  aTokenLiquidationScaled: (amount: bigint, index: bigint) => rayDiv(amount, index),
  vTokenBurnScaled: (amount: bigint, index: bigint) => rayDiv(amount, index),
  // FlashLoanLogic.executeFlashLoanSimple: `params.amount.percentMul(params.flashLoanPremiumTotal)` (half-up).
  flashLoanPremium: percentMul,
});
