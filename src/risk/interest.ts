// Interest accrual, bit-exact with the contracts' MathUtils and ReserveLogic.
import { RAY, checkedUint256, rayMul } from "./wadRayMath.js";

/** MathUtils.SECONDS_PER_YEAR (365 days, leap years ignored). */
export const SECONDS_PER_YEAR = 31_536_000n;

function elapsed(op: string, lastUpdateTimestamp: bigint, currentTimestamp: bigint): bigint {
  // `currentTimestamp - uint256(lastUpdateTimestamp)` is checked arithmetic: a clock going
  // backwards reverts in the contract, so it throws here.
  return checkedUint256(op, currentTimestamp - lastUpdateTimestamp);
}

/** MathUtils.calculateLinearInterest (all versions): RAY + rate*dt/SPY. */
export function calculateLinearInterest(rate: bigint, lastUpdateTimestamp: bigint, currentTimestamp: bigint): bigint {
  const dt = elapsed("calculateLinearInterest", lastUpdateTimestamp, currentTimestamp);
  return RAY + checkedUint256("calculateLinearInterest", rate * dt) / SECONDS_PER_YEAR;
}

/**
 * core-v3 1.19.3 MathUtils.calculateCompoundedInterest (V3.0 .. 3.3): the 3-term binomial
 * 1 + n·x + n(n-1)/2·x² + n(n-1)(n-2)/6·x³ with the contract's own truncation order
 * (basePowerTwo = rayMul(r,r)/SPY², basePowerThree = rayMul(basePowerTwo,r)/SPY; terms divided last).
 */
export function calculateCompoundedInterestV30(rate: bigint, lastUpdateTimestamp: bigint, currentTimestamp: bigint): bigint {
  const exp = elapsed("calculateCompoundedInterest", lastUpdateTimestamp, currentTimestamp);
  if (exp === 0n) return RAY;
  const expMinusOne = exp - 1n;
  const expMinusTwo = exp > 2n ? exp - 2n : 0n;
  const basePowerTwo = rayMul(rate, rate) / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
  const basePowerThree = rayMul(basePowerTwo, rate) / SECONDS_PER_YEAR;
  const secondTerm = checkedUint256("calculateCompoundedInterest", exp * expMinusOne * basePowerTwo) / 2n;
  const thirdTerm = checkedUint256("calculateCompoundedInterest", exp * expMinusOne * expMinusTwo * basePowerThree) / 6n;
  return checkedUint256(
    "calculateCompoundedInterest",
    RAY + checkedUint256("calculateCompoundedInterest", rate * exp) / SECONDS_PER_YEAR + secondTerm + thirdTerm,
  );
}

/**
 * aave-v3-origin ≥3.4 MathUtils.calculateCompoundedInterest: x = r·dt/SPY,
 * RAY + x + rayMul(x, x/2 + rayMul(x, x/6)). The contract computes it `unchecked` (no overflow
 * revert on the additions), but rayMul still reverts; realistic rates never get near either.
 */
export function calculateCompoundedInterestV34(rate: bigint, lastUpdateTimestamp: bigint, currentTimestamp: bigint): bigint {
  const exp = elapsed("calculateCompoundedInterest", lastUpdateTimestamp, currentTimestamp);
  if (exp === 0n) return RAY;
  const x = (rate * exp) / SECONDS_PER_YEAR;
  return RAY + x + rayMul(x, x / 2n + rayMul(x, x / 6n));
}

export type CompoundedInterestFn = (rate: bigint, lastUpdateTimestamp: bigint, currentTimestamp: bigint) => bigint;

/** ReserveLogic.getNormalizedIncome: the stored index when updated in this block, else linear accrual. */
export function getNormalizedIncome(
  liquidityIndex: bigint,
  currentLiquidityRate: bigint,
  lastUpdateTimestamp: bigint,
  timestamp: bigint,
): bigint {
  if (timestamp === lastUpdateTimestamp) return liquidityIndex;
  return rayMul(calculateLinearInterest(currentLiquidityRate, lastUpdateTimestamp, timestamp), liquidityIndex);
}

/** ReserveLogic.getNormalizedDebt with the version's compounding formula. */
export function getNormalizedDebt(
  variableBorrowIndex: bigint,
  currentVariableBorrowRate: bigint,
  lastUpdateTimestamp: bigint,
  timestamp: bigint,
  compounded: CompoundedInterestFn = calculateCompoundedInterestV30,
): bigint {
  if (timestamp === lastUpdateTimestamp) return variableBorrowIndex;
  return rayMul(compounded(currentVariableBorrowRate, lastUpdateTimestamp, timestamp), variableBorrowIndex);
}
