// The contract between the scheduler (which decides what to liquidate) and the executor (which
// sends it): one liquidationCall, with what the profit model expects it to do.
import type { Address } from "viem";

export interface LiquidationPlan {
  user: Address;
  collateralAsset: Address;
  collateralReserveId: number;
  collateralSymbol?: string;
  debtAsset: Address;
  debtReserveId: number;
  debtSymbol?: string;
  /** the amount passed to liquidationCall, in debt-token units */
  debtToCover: bigint;
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
}
