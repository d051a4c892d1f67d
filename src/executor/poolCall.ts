// The liquidation call, built in one place: where a plan goes and what it says. A wallet plan calls
// Pool.liquidationCall; a flash-loan plan calls Liquidator.liquidate([item], deadline) on the plan's
// liquidator contract. Simulation, sending, replacement and the revert replay all use planCall, so
// the executor simulates exactly the call it sends.
import { encodeFunctionData, type Address, type Hex } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import type { LiquidationPlan } from "../scheduler/plan.js";

export interface PoolCall {
  to: Address;
  data: Hex;
  /**
   * who sends it when the executor has no wallet (dry run without a key): a flash call is simulated
   * from the Liquidator's owner (anyone else gets NotOwner); undefined: the executor's sender
   */
  from?: Address;
  /** a Liquidator call: its refunds are large (see simulation.ts), its gas limit is sized for them */
  flash?: boolean;
}

/**
 * How long (chain seconds after the plan's timestamp) a flash liquidation stays valid: the contract
 * reverts Expired after it, and the router gets the same deadline. A replacement re-sends the very
 * same calldata with higher fees, so the window must outlive several replacements: on Ethereum, with
 * TX_TIMEOUT_BLOCKS=3 (36 s per replacement), 10 minutes is about 16 of them. Past it the tracker's
 * re-simulation reverts and the transaction is cancelled: a liquidation that waited that long was
 * planned on a stale quote (minProfit still guards the owner, the deadline bounds the wait).
 */
export const FLASH_DEADLINE_SECONDS = 600n;

/** The call a plan names: Liquidator.liquidate for capital "flashLoan", Pool.liquidationCall otherwise. */
export function planCall(pool: Address, plan: LiquidationPlan): PoolCall {
  return plan.capital === "flashLoan" ? flashLiquidationCall(plan) : liquidationCall(pool, plan);
}

export function liquidationCall(pool: Address, plan: LiquidationPlan): PoolCall {
  return {
    to: pool,
    data: encodeFunctionData({
      abi: poolAbi,
      functionName: "liquidationCall",
      args: [plan.collateralAsset, plan.debtAsset, plan.user, plan.debtToCover, plan.receiveAToken],
    }),
  };
}

/** The deadline a flash plan is sent with: a pure function of the plan, so every build of its call is the same. */
export function flashDeadline(plan: Pick<LiquidationPlan, "timestamp">): bigint {
  return plan.timestamp + FLASH_DEADLINE_SECONDS;
}

/** Liquidator.liquidate([item], deadline), the item from the plan's FlashLoanTerms (debtToCover = loanAmount). */
export function flashLiquidationCall(plan: LiquidationPlan): PoolCall {
  const terms = plan.flashLoan;
  if (!terms) throw new Error(`executor: a flash-loan plan for ${plan.user} carries no flashLoan terms`);
  const item = {
    collateralAsset: plan.collateralAsset,
    debtAsset: plan.debtAsset,
    user: plan.user,
    debtToCover: terms.loanAmount,
    swapPath: terms.swapPath,
    minAmountOut: terms.minAmountOut,
    minProfit: terms.minProfit,
  };
  return {
    to: terms.liquidator,
    data: encodeFunctionData({ abi: liquidatorAbi, functionName: "liquidate", args: [[item], flashDeadline(plan)] }),
    flash: true,
  };
}

/** "WETH/USDC": the pair a plan liquidates, for log lines. */
export function pairOf(plan: LiquidationPlan): string {
  return `${plan.collateralSymbol ?? plan.collateralAsset}/${plan.debtSymbol ?? plan.debtAsset}`;
}

/** "wallet" or "flashLoan": where the plan's debt asset comes from (log lines, stats). */
export function capitalOf(plan: LiquidationPlan): "wallet" | "flashLoan" {
  return plan.capital ?? "wallet";
}
