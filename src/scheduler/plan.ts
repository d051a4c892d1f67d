// The contract between the scheduler (which decides what to liquidate) and the executor (which
// sends it): one liquidationCall, with what the profit model expects it to do.
import type { Address, Hex } from "viem";

/** Debt the pool will burn as bad debt (a DeficitCreated event): the borrower keeps no collateral. */
export interface ExpectedDeficit {
  reserveId: number;
  asset: Address;
  /** debt-token units written off (not paid by the liquidator) */
  amount: bigint;
}

export interface LiquidationPlan {
  user: Address;
  collateralAsset: Address;
  collateralReserveId: number;
  collateralSymbol?: string;
  debtAsset: Address;
  debtReserveId: number;
  debtSymbol?: string;
  /**
   * the amount passed to liquidationCall, in debt-token units; 2^256-1 (Aave 3.3+) when the plan
   * repays the whole debt reserve or takes the whole collateral reserve, so interest accrued
   * before it is mined cannot leave a MustNotLeaveDust remainder (expectedDebtRepaid is the amount)
   */
  debtToCover: bigint;
  /** true when the wallet's balance, not the pool's limits, set the amount (less than the pool allows) */
  walletLimited?: boolean;
  /** debt the pool will actually take (smaller than debtToCover in the collateral-capped branch) */
  expectedDebtRepaid: bigint;
  /** collateral the liquidator receives (LiquidationCall.liquidatedCollateralAmount; the protocol fee excluded) */
  expectedCollateralSeized: bigint;
  /** collateral that goes to the treasury */
  expectedProtocolFee: bigint;
  receiveAToken: boolean;
  /** all values in the oracle's base currency (USD, 8 decimals, on mainnet and in the sandbox) */
  debtValueBase: bigint;
  collateralValueBase: bigint;
  gasCostBase: bigint;
  swapCostBase: bigint;
  expectedProfitBase: bigint;
  /** the user's health factor the plan was made with (wad) */
  healthFactor: bigint;
  /** the timestamp the amounts were computed for */
  timestamp: bigint;
  /** block the plan was made from */
  blockNumber: bigint;
  /** gas units gasCostBase was computed with, when more than the gas model's (bad-debt burns of other reserves) */
  gasUnits?: bigint;
  /** Aave 3.3+: the liquidation takes the last collateral, so these debts are burned as deficit */
  expectedDeficits?: ExpectedDeficit[];
  /**
   * Where the debt asset comes from: "wallet" = Pool.liquidationCall from the wallet's tokens;
   * "flashLoan" = Liquidator.liquidate([item], deadline) on LIQUIDATOR_ADDRESS, item built from
   * `flashLoan` (and then gasCostBase, swapCostBase and expectedProfitBase are the flash path's).
   * Absent (plans built by hand) means "wallet".
   */
  capital?: "wallet" | "flashLoan";
  /** set when capital is "flashLoan" */
  flashLoan?: FlashLoanTerms;
}

/**
 * One item of Liquidator.liquidate (struct Liquidation: collateralAsset, debtAsset, user, debtToCover =
 * loanAmount, swapPath, minAmountOut, minProfit) and what the profit model expects of it.
 */
export interface FlashLoanTerms {
  /** the Liquidator contract: the pool's liquidator (msg.sender of liquidationCall), checked for SelfLiquidation */
  liquidator: Address;
  /** flash-borrowed and passed to liquidationCall as debtToCover (= plan.debtToCover; never 2^256-1) */
  loanAmount: bigint;
  /** the pool's premium on loanAmount (rules.flashLoanPremium, MarketState.flashLoanPremiumTotal bps) */
  premium: bigint;
  /** MarketState.flashLoanPremiumTotal the premium was computed with */
  premiumTotalBps: bigint;
  /** Uniswap V3 packed path collateral -> ... -> debt; "0x" when collateral and debt are one asset */
  swapPath: Hex;
  /** the quote's amountIn (= plan.expectedCollateralSeized) and amountOut, in collateral / debt units */
  quotedAmountIn: bigint;
  quotedAmountOut: bigint;
  /** quotedAmountOut less SWAP_SLIPPAGE_BPS (0 without a swap) */
  minAmountOut: bigint;
  /** debt-asset units the owner receives at the quote: quotedAmountOut - expectedDebtRepaid - premium */
  expectedProfit: bigint;
  /** the contract reverts below this (debt units): MIN_PROFIT plus the call's gas, at most expectedProfit */
  minProfit: bigint;
  /** base-currency value of the premium (part of expectedProfitBase's costs) */
  premiumBase: bigint;
  /** gas units of the Liquidator call the model priced (flashLiquidationGas) */
  gasUnits: bigint;
  /** of gasUnits, what the model added to a plain liquidationCall's (the loan, the swap): to learn the latter from simulations */
  modelAddedGas?: bigint;
}

/**
 * The most debt tokens the plan can pull from the wallet, to reserve while it is in flight. An exact
 * debtToCover is the bound. 2^256-1 (3.3+) takes the whole debt reserve (or what the whole collateral
 * covers) as it is when mined: expectedDebtRepaid plus the interest accrued meanwhile, for which
 * 1/10,000 is ample (at a 100% borrow rate that is 50 minutes of interest).
 */
export function debtReservation(plan: Pick<LiquidationPlan, "debtToCover" | "expectedDebtRepaid" | "capital">): bigint {
  // A flash-loan plan borrows its debt asset inside the Liquidator's call: it pulls nothing from the wallet.
  if (plan.capital === "flashLoan") return 0n;
  const withInterest = plan.expectedDebtRepaid + plan.expectedDebtRepaid / 10_000n + 1n;
  return plan.debtToCover < withInterest ? plan.debtToCover : withInterest;
}
