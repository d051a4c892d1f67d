// The contract between the watcher (which reads the chain) and the risk engine (pure math).
// Every on-chain quantity is a bigint; small config fields (bps, ids, decimals) are numbers.

export type Address = `0x${string}`;

/** One per reserve, as read from Pool.getReserveData + AaveOracle each block. */
export interface ReserveState {
  asset: Address;
  id: number;
  decimals: number;
  /** 10n ** BigInt(decimals) */
  unit: bigint;
  /** bps */
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  liquidationProtocolFee: number;
  /** Reserve config bits 168-175 (V3.0/3.1); 0 from 3.2 on (membership is the category's bitmaps). */
  eModeCategory: number;
  active: boolean;
  frozen: boolean;
  paused: boolean;
  borrowingEnabled: boolean;
  /**
   * Configuration bit 63: the reserve can be flash-loaned. Off, Pool.flashLoan(Simple) of it reverts
   * with FlashloanDisabled() (ValidationLogic.validateFlashloanSimple); initReserves leaves it off.
   */
  flashLoanEnabled: boolean;
  liquidityIndex: bigint;
  variableBorrowIndex: bigint;
  currentLiquidityRate: bigint;
  currentVariableBorrowRate: bigint;
  lastUpdateTimestamp: bigint;
  aToken: Address;
  variableDebtToken: Address;
  stableDebtToken: Address;
  /** AaveOracle.getAssetPrice(asset), base currency units (USD 8 decimals on mainnet). */
  price: bigint;
  /**
   * Pool.getLiquidationGracePeriod(asset) (3.1+; 0n before): liquidations with this reserve as collateral
   * or debt revert while block.timestamp <= this (ValidationLogic: `liquidationGracePeriodUntil < block.timestamp`).
   */
  liquidationGracePeriodUntil: bigint;
}

export interface EModeCategoryState {
  id: number;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  priceSource: Address;
  /** AaveOracle.getAssetPrice(priceSource); 0n when priceSource is the zero address. */
  priceSourcePrice: bigint;
  label: string;
  /**
   * 3.2+: bit i set = reserve id i takes the category's LT, LTV and bonus (EModeConfiguration bitmaps,
   * Pool.getEModeCategoryCollateralBitmap). 0n on V3.0/3.1, whose members are named by the reserves' config.
   */
  collateralBitmap: bigint;
  /** 3.2+: bit i set = reserve id i may be borrowed in the category (gates new borrows only). 0n on V3.0/3.1. */
  borrowableBitmap: bigint;
  /** 3.6+: bit i set = a member collateral whose LTV is 0 in the category (LTV only, not LT). 0n before. */
  ltvzeroBitmap: bigint;
}

export interface MarketState {
  /** Indexed by reserve id; sparse ids (dropped reserves) allowed. */
  reserves: (ReserveState | undefined)[];
  eModes: Map<number, EModeCategoryState>;
  baseCurrencyUnit: bigint;
  /** Pool.FLASHLOAN_PREMIUM_TOTAL() in bps (the premium a flash loan pays; 3.6 sends all of it to the protocol). */
  flashLoanPremiumTotal: bigint;
}

export interface StableDebtPosition {
  /** StableDebtToken.principalBalanceOf(user) */
  principal: bigint;
  /** StableDebtToken.getUserStableRate(user) */
  stableRate: bigint;
  /** StableDebtToken.getUserLastUpdated(user) */
  lastUpdated: bigint;
}

/** What the watcher keeps per user: scaled balances, not balances. */
export interface AccountPosition {
  user: Address;
  /** Pool.getUserEMode(user) */
  eModeCategory: number;
  /** Pool.getUserConfiguration(user).data */
  userConfig: bigint;
  /** reserve id -> aToken.scaledBalanceOf(user) */
  scaledCollateral: Map<number, bigint>;
  /** reserve id -> variableDebtToken.scaledBalanceOf(user) */
  scaledVariableDebt: Map<number, bigint>;
  /** V3.0/3.1 only; empty otherwise. */
  stableDebt: Map<number, StableDebtPosition>;
}

/** Same fields and units as Pool.getUserAccountData, except `ltv`/`avgLiquidationThreshold` as bps. */
export interface AccountHealth {
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  avgLiquidationThreshold: bigint;
  healthFactor: bigint;
  ltv: bigint;
}
