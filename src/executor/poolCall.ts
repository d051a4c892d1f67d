// The pool call, built in one place: where a liquidation goes (the pool) and what it says
// (liquidationCall's calldata). Simulation, sending, replacement and the revert replay all use it.
import { encodeFunctionData, type Address, type Hex } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import type { LiquidationPlan } from "../scheduler/plan.js";

export interface PoolCall {
  to: Address;
  data: Hex;
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

/** "WETH/USDC": the pair a plan liquidates, for log lines. */
export function pairOf(plan: LiquidationPlan): string {
  return `${plan.collateralSymbol ?? plan.collateralAsset}/${plan.debtSymbol ?? plan.debtAsset}`;
}
