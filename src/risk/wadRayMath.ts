// Fixed-point primitives of Aave V3, bit-exact with the Solidity libraries.
// Half-up versions mirror core-v3 1.19.3 (V3.0) `WadRayMath.sol` and `PercentageMath.sol`; the
// floor/ceil versions are the ones later versions (3.5+ TokenMath, 3.7 liquidation rounding) use.
// Inputs are uint256 values; a result or intermediate that would not fit in uint256, or a division
// by zero, throws MathRevertError where the contract's assembly would `revert(0, 0)`.

import { EXIT_FAILURE, KeeperError } from "../errors.js";

export const WAD = 10n ** 18n;
export const HALF_WAD = WAD / 2n;
export const RAY = 10n ** 27n;
export const HALF_RAY = RAY / 2n;
export const WAD_RAY_RATIO = 10n ** 9n;
export const PERCENTAGE_FACTOR = 10_000n;
export const HALF_PERCENTAGE_FACTOR = 5_000n;
export const MAX_UINT256 = (1n << 256n) - 1n;

/**
 * The contract would revert (overflow or division by zero); `op` names the library function. Callers
 * skip the liquidation; should one escape, the next block's state may not revert: retryable.
 */
export class MathRevertError extends KeeperError {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail} (the contract reverts here)`, { exitCode: EXIT_FAILURE, retryable: true });
    this.name = "MathRevertError";
  }
}

function overflow(op: string): never {
  throw new MathRevertError(op, "uint256 overflow");
}
function divByZero(op: string): never {
  throw new MathRevertError(op, "division by zero");
}

// WadRayMath.rayMul: reverts iff a > (MAX - HALF_RAY) / b, i.e. iff a*b + HALF_RAY > MAX.
export function rayMul(a: bigint, b: bigint): bigint {
  const n = a * b + HALF_RAY;
  if (n > MAX_UINT256) overflow("rayMul");
  return n / RAY;
}

// WadRayMath.rayDiv: reverts iff b == 0 or a > (MAX - b/2) / RAY.
export function rayDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) divByZero("rayDiv");
  const n = a * RAY + b / 2n;
  if (n > MAX_UINT256) overflow("rayDiv");
  return n / b;
}

export function wadMul(a: bigint, b: bigint): bigint {
  const n = a * b + HALF_WAD;
  if (n > MAX_UINT256) overflow("wadMul");
  return n / WAD;
}

export function wadDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) divByZero("wadDiv");
  const n = a * WAD + b / 2n;
  if (n > MAX_UINT256) overflow("wadDiv");
  return n / b;
}

// PercentageMath.percentMul: reverts iff percentage != 0 and value*percentage + HALF > MAX.
export function percentMul(value: bigint, percentage: bigint): bigint {
  const n = value * percentage + HALF_PERCENTAGE_FACTOR;
  if (n > MAX_UINT256) overflow("percentMul");
  return n / PERCENTAGE_FACTOR;
}

export function percentDiv(value: bigint, percentage: bigint): bigint {
  if (percentage === 0n) divByZero("percentDiv");
  const n = value * PERCENTAGE_FACTOR + percentage / 2n;
  if (n > MAX_UINT256) overflow("percentDiv");
  return n / percentage;
}

/** WadRayMath.rayToWad (half-up on the 1e9 remainder). */
export function rayToWad(a: bigint): bigint {
  const q = a / WAD_RAY_RATIO;
  return a % WAD_RAY_RATIO >= WAD_RAY_RATIO / 2n ? q + 1n : q;
}

export function wadToRay(a: bigint): bigint {
  const n = a * WAD_RAY_RATIO;
  if (n > MAX_UINT256) overflow("wadToRay");
  return n;
}

// --- Directed rounding (aave-v3-origin ≥3.5 WadRayMath / MathUtils, 3.7 PercentageMath). ---
// All revert when the plain product a*b does not fit in uint256 (they check `a > MAX / b`).

function checkedProduct(op: string, a: bigint, b: bigint): bigint {
  const p = a * b;
  if (p > MAX_UINT256) overflow(op);
  return p;
}

function ceilDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  return n % d === 0n ? q : q + 1n;
}

export function rayMulFloor(a: bigint, b: bigint): bigint {
  return checkedProduct("rayMulFloor", a, b) / RAY;
}
export function rayMulCeil(a: bigint, b: bigint): bigint {
  return ceilDiv(checkedProduct("rayMulCeil", a, b), RAY);
}
export function rayDivFloor(a: bigint, b: bigint): bigint {
  if (b === 0n) divByZero("rayDivFloor");
  return checkedProduct("rayDivFloor", a, RAY) / b;
}
export function rayDivCeil(a: bigint, b: bigint): bigint {
  if (b === 0n) divByZero("rayDivCeil");
  return ceilDiv(checkedProduct("rayDivCeil", a, RAY), b);
}
/** MathUtils.mulDivCeil (origin ≥3.5): ceil(a*b/c); reverts on c == 0 or a*b overflow. */
export function mulDivCeil(a: bigint, b: bigint, c: bigint): bigint {
  if (c === 0n) divByZero("mulDivCeil");
  return ceilDiv(checkedProduct("mulDivCeil", a, b), c);
}
export function percentMulFloor(value: bigint, percentage: bigint): bigint {
  return checkedProduct("percentMulFloor", value, percentage) / PERCENTAGE_FACTOR;
}
export function percentMulCeil(value: bigint, percentage: bigint): bigint {
  return ceilDiv(checkedProduct("percentMulCeil", value, percentage), PERCENTAGE_FACTOR);
}
export function percentDivFloor(value: bigint, percentage: bigint): bigint {
  if (percentage === 0n) divByZero("percentDivFloor");
  return checkedProduct("percentDivFloor", value, PERCENTAGE_FACTOR) / percentage;
}
export function percentDivCeil(value: bigint, percentage: bigint): bigint {
  if (percentage === 0n) divByZero("percentDivCeil");
  return ceilDiv(checkedProduct("percentDivCeil", value, PERCENTAGE_FACTOR), percentage);
}

/** Solidity 0.8 checked arithmetic: the value of an expression the contract computes with `*`/`+`. */
export function checkedUint256(op: string, x: bigint): bigint {
  if (x > MAX_UINT256) overflow(op);
  if (x < 0n) throw new MathRevertError(op, "uint256 underflow");
  return x;
}
