// Everything that differs between Aave V3 versions, in one object chosen once from POOL_REVISION.
// Only V3.0 is implemented; AAVE-V3.md §6 lists what 3.2+ changes (a later issue adds them).
import {
  calculateCompoundedInterestV30,
  calculateLinearInterest,
  type CompoundedInterestFn,
} from "./interest.js";
import { HEALTH_FACTOR_LIQUIDATION_THRESHOLD, LIQUIDATION_RULES_V3_0, type LiquidationRules } from "./liquidationAmounts.js";
import type { Address, EModeCategoryState, ReserveState, StableDebtPosition } from "./types.js";
import { MathRevertError, MAX_UINT256, percentMul, rayMul, wadDiv } from "./wadRayMath.js";

export interface HealthFactorResult {
  avgLiquidationThreshold: bigint;
  healthFactor: bigint;
}

export interface ProtocolRules extends LiquidationRules {
  /** Human label, e.g. "Aave V3.0". */
  readonly version: string;
  readonly poolRevision: number;
  readonly compoundedInterest: CompoundedInterestFn;
  readonly linearInterest: CompoundedInterestFn;
  /** aToken balance from its scaled balance and the normalized income. */
  collateralBalance(scaled: bigint, normalizedIncome: bigint): bigint;
  /** Variable debt token balance from its scaled balance and the normalized debt. */
  variableDebtBalance(scaled: bigint, normalizedDebt: bigint): bigint;
  /** Whether stable debt exists (≤3.1) and enters the debt. */
  readonly hasStableDebt: boolean;
  /** StableDebtToken.balanceOf at `timestamp`. */
  stableDebtBalance(position: StableDebtPosition, timestamp: bigint): bigint;
  /** Collateral balance (token units) to base currency. */
  collateralInBase(balance: bigint, price: bigint, unit: bigint): bigint;
  /** Debt balance (token units, all debt of one reserve) to base currency. */
  debtInBase(balance: bigint, price: bigint, unit: bigint): bigint;
  /**
   * Whether an enabled collateral counts toward TC/HF given the reserve's own LT
   * (V3.0-3.5: not when LT == 0; 3.6: always).
   */
  collateralCounts(reserve: ReserveState): boolean;
  /** Whether the reserve takes the user's eMode category LT/LTV/bonus. */
  inEMode(reserve: ReserveState, userEModeCategory: number): boolean;
  /** LT (bps) the reserve takes in the account: the category's for members (zero if the category is missing). */
  effectiveLiquidationThreshold(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): bigint;
  /** LTV (bps) the reserve adds to avgLtv; 0 means "zero-LTV collateral" (GenericLogic skips it). */
  effectiveLtv(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): bigint;
  /**
   * Price used for the reserve in the HF when the user is in `category` (undefined when not in eMode):
   * V3.0 uses the category's priceSource price for member assets when it is non-zero.
   */
  priceInHealthFactor(
    reserve: ReserveState,
    userEModeCategory: number,
    category: EModeCategoryState | undefined,
  ): { price: bigint; feed: Address };
  /** avgLT and HF from the totals of GenericLogic.calculateUserAccountData. */
  healthFactor(totalCollateralBase: bigint, weightedLiquidationThreshold: bigint, totalDebtBase: bigint): HealthFactorResult;
  /** Liquidatable iff healthFactor < this. */
  readonly liquidationThreshold: bigint;
  /**
   * Prices and bonus a liquidationCall uses (LiquidationLogic._getConfigurationData on V3.0:
   * eMode bonus for member collateral; priceSource price for member collateral and — whenever the
   * user's category has a priceSource — for the debt, without a membership check).
   */
  liquidationPricesAndBonus(
    collateral: ReserveState,
    debt: ReserveState,
    userEModeCategory: number,
    category: EModeCategoryState | undefined,
  ): { collateralPrice: bigint; debtPrice: bigint; liquidationBonus: bigint };
}

const MAX = MAX_UINT256;
function checkedMul(op: string, a: bigint, b: bigint): bigint {
  const p = a * b;
  if (p > MAX) throw new MathRevertError(op, "uint256 overflow");
  return p;
}

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
  collateralInBase: (balance: bigint, price: bigint, unit: bigint) => checkedMul("_getUserBalanceInBaseCurrency", balance, price) / unit,
  debtInBase: (balance: bigint, price: bigint, unit: bigint) => checkedMul("_getUserDebtInBaseCurrency", balance, price) / unit,
  // GenericLogic: `if (vars.liquidationThreshold != 0 && isUsingAsCollateral(i))` — the reserve's own LT.
  collateralCounts: (reserve: ReserveState) => reserve.liquidationThreshold !== 0,
  // EModeLogic.isInEModeCategory: userCategory != 0 && assetCategory == userCategory.
  inEMode: (reserve: ReserveState, userEModeCategory: number) =>
    userEModeCategory !== 0 && reserve.eModeCategory === userEModeCategory,
  // GenericLogic: `isInEModeCategory ? eModeLiqThreshold : liquidationThreshold`; a missing category
  // reads as zeroed storage, so members get LT 0.
  effectiveLiquidationThreshold: (reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined) =>
    BigInt(userEModeCategory !== 0 && reserve.eModeCategory === userEModeCategory ? (category?.liquidationThreshold ?? 0) : reserve.liquidationThreshold),
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
  liquidationThreshold: HEALTH_FACTOR_LIQUIDATION_THRESHOLD,
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

/**
 * Revisions whose HF and liquidation math equal V3.0: 1 = core-v3 1.x (3.0.0/3.0.1),
 * 2 and 3 = 3.0.x patch instances (aave-v3-factory PoolInstance), 4 = 3.1 (aave-v3-origin 3.1.0:
 * adds virtual accounting and the liquidation grace period, neither of which enters this math;
 * the grace period is a validation the scheduler checks). Only revision 1 is verified against
 * sources shipped in this repo; 2-4 follow AAVE-V3.md §6 (math changes start at 3.2).
 */
const V3_0_REVISIONS = [1, 2, 3, 4] as const;

export class UnsupportedPoolRevisionError extends Error {
  constructor(readonly revision: number) {
    super(`Aave pool revision ${revision} is not supported yet (supported: ${V3_0_REVISIONS.join(", ")} = Aave V3.0.x/3.1)`);
    this.name = "UnsupportedPoolRevisionError";
  }
}

export function rulesForRevision(revision: bigint | number): ProtocolRules {
  const r = Number(revision);
  if ((V3_0_REVISIONS as readonly number[]).includes(r)) {
    return r === 1 ? RULES_V3_0 : Object.freeze({ ...RULES_V3_0, poolRevision: r, version: r === 4 ? "Aave V3.1" : "Aave V3.0.x" });
  }
  throw new UnsupportedPoolRevisionError(r);
}
