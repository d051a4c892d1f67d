// Everything that differs between Aave V3 versions, in one object chosen once from POOL_REVISION.
// The objects themselves live beside this file, one per version: rulesV30.ts (POOL_REVISION 1) and
// rulesV36.ts (POOL_REVISION 10). A revision without tested rules is refused at start.
import { EXIT_BAD_INPUT, KeeperError } from "../errors.js";
import type { CompoundedInterestFn } from "./interest.js";
import type { LiquidationRules } from "./liquidationAmounts.js";
import type { Address, EModeCategoryState, ReserveState, StableDebtPosition } from "./types.js";
import { RULES_V3_0 } from "./rulesV30.js";
import { RULES_V3_6 } from "./rulesV36.js";

export { RULES_V3_0 } from "./rulesV30.js";
export { RULES_V3_6 } from "./rulesV36.js";

export interface HealthFactorResult {
  avgLiquidationThreshold: bigint;
  healthFactor: bigint;
}

/**
 * How far the version's exact HF can sit from the real S/(1e4·TD) (S = Σ collateralBase·LT), for the
 * float bracket of healthScreen.ts / evaluateAccount: HF·1e4·TD lies in
 * [S − tcSlack·TC − lowSlack, S + highSlack], before the final wadDiv (±0.5 wei, covered by the bracket's
 * absolute margin).
 */
export interface HealthFactorSlack {
  readonly tcSlack: number;
  readonly lowSlack: number;
  readonly highSlack: number;
}

/** The liquidation members (close factor, amounts, dust, deficit, token rounding) are in LiquidationRules. */
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
  /** StableDebtToken.balanceOf at `timestamp` (0n where stable debt does not exist). */
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
  /**
   * Whether the reserve takes the user's eMode category LT/LTV/bonus (V3.0: the reserve's category bits
   * equal the user's; 3.2+: the reserve's bit in the category's collateral bitmap).
   */
  inEMode(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): boolean;
  /** LT (bps) the reserve takes in the account: the category's for members (zero if the category is missing). */
  effectiveLiquidationThreshold(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): bigint;
  /** LTV (bps) the reserve adds to avgLtv; 0 means "zero-LTV collateral" (GenericLogic skips it). */
  effectiveLtv(reserve: ReserveState, userEModeCategory: number, category: EModeCategoryState | undefined): bigint;
  /**
   * Price used for the reserve in the HF when the user is in `category` (undefined when not in eMode):
   * V3.0 uses the category's priceSource price for member assets when it is non-zero; 3.2+ the asset's.
   */
  priceInHealthFactor(
    reserve: ReserveState,
    userEModeCategory: number,
    category: EModeCategoryState | undefined,
  ): { price: bigint; feed: Address };
  /** avgLT and HF from the totals of GenericLogic.calculateUserAccountData. */
  healthFactor(totalCollateralBase: bigint, weightedLiquidationThreshold: bigint, totalDebtBase: bigint): HealthFactorResult;
  /** Bounds of the rounding in `healthFactor`, for the float pre-screen. */
  readonly healthFactorSlack: HealthFactorSlack;
  /** Liquidatable iff healthFactor < this. */
  readonly liquidationThreshold: bigint;
  /**
   * Prices and bonus a liquidationCall uses (LiquidationLogic._getConfigurationData on V3.0:
   * eMode bonus for member collateral; priceSource price for member collateral and — whenever the
   * user's category has a priceSource — for the debt, without a membership check; 3.2+: asset prices,
   * eMode bonus for collateral in the category's collateral bitmap).
   */
  liquidationPricesAndBonus(
    collateral: ReserveState,
    debt: ReserveState,
    userEModeCategory: number,
    category: EModeCategoryState | undefined,
  ): { collateralPrice: bigint; debtPrice: bigint; liquidationBonus: bigint };
}

/** Aave version of each known POOL_REVISION (instances/PoolInstance.sol at each tag; AAVE-V3.md §0). */
const VERSION_OF_REVISION: Readonly<Record<number, string>> = {
  1: "Aave V3.0",
  2: "Aave V3.0.x",
  3: "Aave V3.0.x",
  4: "Aave V3.1",
  5: "Aave V3.2",
  7: "Aave V3.3",
  8: "Aave V3.4",
  9: "Aave V3.5",
  10: "Aave V3.6",
  11: "Aave V3.7",
};

/** The only revisions whose rules are implemented and proven against the real contracts (fork tests). */
const SUPPORTED: readonly ProtocolRules[] = [RULES_V3_0, RULES_V3_6];

export function versionOfRevision(revision: number): string {
  return VERSION_OF_REVISION[revision] ?? "an Aave V3 version keeper does not know";
}

/** The market runs an Aave version without tested rules: exit 2, and the daemon stops rather than guess. */
export class UnsupportedPoolRevisionError extends KeeperError {
  constructor(readonly revision: number) {
    const supported = SUPPORTED.map((r) => `${r.poolRevision} (${r.version})`).join(", ");
    const version = `${versionOfRevision(revision)} (POOL_REVISION ${revision})`;
    const message = `the pool runs ${version}, which keeper does not support; supported revisions: ${supported}`;
    super(message, { exitCode: EXIT_BAD_INPUT, retryable: false });
    this.name = "UnsupportedPoolRevisionError";
  }
}

export function rulesForRevision(revision: bigint | number): ProtocolRules {
  const r = Number(revision);
  const rules = SUPPORTED.find((s) => s.poolRevision === r);
  if (rules === undefined) throw new UnsupportedPoolRevisionError(r);
  return rules;
}
