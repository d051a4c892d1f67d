// The liquidation call, built in one place: where a plan goes and what it says. A wallet plan calls
// Pool.liquidationCall; a flash-loan plan calls Liquidator.liquidate([loan], deadline) on the plan's
// liquidator contract, one flash loan of one item. Simulation, sending, replacement and the revert
// replay all use planCall, so the executor simulates exactly the call it sends. liquidatorCall builds
// a Liquidator call of many loans (each one debt asset's money and the items it pays for).
import { decodeFunctionData, encodeFunctionData, type Address, type Hex } from "viem";
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
  /** a call someone else sends (a pending price update simulated before ours): always run from it */
  origin?: Address;
  /** wei the call carries (a pending transaction's; ours carry none) */
  value?: bigint;
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

/** One liquidation of a Liquidator loan (struct Item): passed to liquidationCall with the loan's debt asset. */
export interface LiquidatorItem {
  collateralAsset: Address;
  user: Address;
  /** passed to liquidationCall as is (2^256-1 allowed: the pool caps it) */
  debtToCover: bigint;
  /** debt-asset units this item adds to its loan's required profit, counted only if it is liquidated */
  minProfit: bigint;
}

/** A sale of the collateral a loan's items seized (struct Swap). */
export interface LiquidatorSwap {
  /** Uniswap V3 packed path from a collateral asset to the loan's debt asset */
  path: Hex;
  /** least output per unit of input, scaled by OUT_PER_IN_SCALE: amountOutMinimum = amountIn * minOutPerIn / 1e36 */
  minOutPerIn: bigint;
}

/**
 * One debt asset's money and the liquidations it pays for (struct Loan). "flashLoan": flash-borrowed
 * from the pool (premium paid, profit checked); "owner": pulled from the owner, who approved the
 * Liquidator for `amount` (the profit is checked only when the loan has swaps).
 */
export interface LiquidatorLoan {
  debtAsset: Address;
  amount: bigint;
  funding: "flashLoan" | "owner";
  items: readonly LiquidatorItem[];
  /** each sells all its first token the liquidated items seized; collateral no swap names goes to the owner */
  swaps: readonly LiquidatorSwap[];
}

/** Swap.minOutPerIn's scale in the contract (Liquidator.OUT_PER_IN_SCALE). */
export const OUT_PER_IN_SCALE = 10n ** 36n;

/** Liquidator.Funding's values. */
const FUNDING = { flashLoan: 0, owner: 1 } as const;

/** The least output per unit of input that still asks `minAmountOut` for `amountIn`: rounded up. */
export function minOutPerIn(minAmountOut: bigint, amountIn: bigint): bigint {
  if (amountIn <= 0n) throw new Error(`minOutPerIn: amountIn must be positive, not ${amountIn}`);
  return (minAmountOut * OUT_PER_IN_SCALE + amountIn - 1n) / amountIn;
}

/** Liquidator.liquidate(loans, deadline) on `liquidator`. */
export function liquidatorCall(liquidator: Address, loans: readonly LiquidatorLoan[], deadline: bigint): PoolCall {
  const args = loans.map((l) => ({ ...l, funding: FUNDING[l.funding] }));
  return {
    to: liquidator,
    data: encodeFunctionData({ abi: liquidatorAbi, functionName: "liquidate", args: [args, deadline] }),
    flash: true,
  };
}

/** The loans and deadline of a Liquidator.liquidate calldata (liquidatorCall's inverse). */
export function decodeLiquidatorCall(data: Hex): { loans: LiquidatorLoan[]; deadline: bigint } {
  const { functionName, args } = decodeFunctionData({ abi: liquidatorAbi, data });
  if (functionName !== "liquidate") throw new Error(`not a Liquidator.liquidate call: ${functionName}`);
  const [loans, deadline] = args;
  const funding = (f: number) => (f === FUNDING.owner ? "owner" : "flashLoan");
  return { loans: loans.map((l) => ({ ...l, funding: funding(l.funding), items: [...l.items], swaps: [...l.swaps] })), deadline };
}

/**
 * A flash plan's loan: a flash loan of terms.loanAmount for one item (debtToCover = loanAmount,
 * minProfit = terms.minProfit) and one swap of its collateral, whose minimum output per unit in asks
 * terms.minAmountOut for the quoted amount in; no swap when collateral and debt are one asset.
 */
export function flashLoanOf(plan: LiquidationPlan): LiquidatorLoan {
  const terms = plan.flashLoan;
  if (!terms) throw new Error(`executor: a flash-loan plan for ${plan.user} carries no flashLoan terms`);
  const sameAsset = plan.collateralAsset.toLowerCase() === plan.debtAsset.toLowerCase();
  return {
    debtAsset: plan.debtAsset,
    amount: terms.loanAmount,
    funding: "flashLoan",
    items: [{ collateralAsset: plan.collateralAsset, user: plan.user, debtToCover: terms.loanAmount, minProfit: terms.minProfit }],
    swaps: sameAsset ? [] : [{ path: terms.swapPath, minOutPerIn: minOutPerIn(terms.minAmountOut, terms.quotedAmountIn) }],
  };
}

/** Liquidator.liquidate([flashLoanOf(plan)], flashDeadline(plan)) on the plan's liquidator. */
export function flashLiquidationCall(plan: LiquidationPlan): PoolCall {
  const loan = flashLoanOf(plan);
  return liquidatorCall(plan.flashLoan!.liquidator, [loan], flashDeadline(plan));
}

/** "WETH/USDC": the pair a plan liquidates, for log lines. */
export function pairOf(plan: LiquidationPlan): string {
  return `${plan.collateralSymbol ?? plan.collateralAsset}/${plan.debtSymbol ?? plan.debtAsset}`;
}

/** "wallet" or "flashLoan": where the plan's debt asset comes from (log lines, stats). */
export function capitalOf(plan: LiquidationPlan): "wallet" | "flashLoan" {
  return plan.capital ?? "wallet";
}

/**
 * Whether a call sells collateral on Uniswap (a Liquidator call with a swap): only those move what a
 * later call of the keeper meets, the pools it sells in. Liquidations of other accounts do not (the
 * wallet's tokens they take are reserved by the wallet inventory).
 */
export function callSwaps(call: PoolCall): boolean {
  try {
    return decodeLiquidatorCall(call.data).loans.some((l) => l.swaps.length > 0);
  } catch {
    return false; // Pool.liquidationCall
  }
}
