// EIP-1559 fees for the executor: the first send and the replacement of a stuck transaction.
// Pure functions on wei amounts.

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** Gwei (a config number, possibly fractional) to wei. */
export function gweiToWei(gwei: number): bigint {
  if (!Number.isFinite(gwei) || gwei < 0) throw new Error(`a fee in gwei must be a finite non-negative number, got ${gwei}`);
  const [whole = "0", frac = ""] = gwei.toFixed(9).split(".");
  return BigInt(whole) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9));
}

/**
 * First send: tip = priority, max fee = 2 × base fee + tip (room for six full blocks of base-fee
 * growth), capped. A cap below the base fee can never be included: the reason to skip.
 */
export function initialFees(baseFeePerGas: bigint, priority: bigint, cap: bigint): Fees | { skip: string } {
  if (cap < baseFeePerGas) return { skip: `fee cap ${cap} wei is below the base fee ${baseFeePerGas} wei` };
  const wanted = 2n * baseFeePerGas + priority;
  const maxFeePerGas = wanted < cap ? wanted : cap;
  const maxPriorityFeePerGas = priority < maxFeePerGas ? priority : maxFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * A backrun's fees: no higher than the transaction it follows, neither max fee nor tip (a legacy
 * transaction's gas price counts as both), so that builders ordering by fee, then by arrival, put it
 * after; capped. Below the base fee neither could be included: the reason to skip.
 */
export function backrunFees(
  update: { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint },
  baseFeePerGas: bigint,
  cap: bigint,
): Fees | { skip: string } {
  const maxFee = update.maxFeePerGas ?? update.gasPrice ?? 0n;
  const tip = update.maxPriorityFeePerGas ?? update.gasPrice ?? 0n;
  const maxFeePerGas = maxFee < cap ? maxFee : cap;
  if (maxFeePerGas < baseFeePerGas) {
    return { skip: `the update's max fee ${maxFee} wei (capped at ${cap}) is below the base fee ${baseFeePerGas} wei` };
  }
  return { maxFeePerGas, maxPriorityFeePerGas: tip < maxFeePerGas ? tip : maxFeePerGas };
}

/** Replacement bump: 12.5% (geth needs 10%, others up to 12.5%), rounded up, at least 1 wei. */
export function bump(value: bigint): bigint {
  const bumped = (value * 1125n + 999n) / 1000n;
  return bumped > value ? bumped : value + 1n;
}

/**
 * Fees for a replacement at the same nonce: both fees at least +12.5% over the previous send, and at
 * least what a first send at the current base fee would pay; never above the cap. When the cap leaves
 * no valid bump: the reason.
 */
export function replacementFees(previous: Fees, baseFeePerGas: bigint, priority: bigint, cap: bigint): Fees | { skip: string } {
  const minFee = bump(previous.maxFeePerGas);
  const minTip = bump(previous.maxPriorityFeePerGas);
  const tip = minTip > priority ? minTip : priority;
  const fromBase = 2n * baseFeePerGas + tip;
  let maxFeePerGas = fromBase > minFee ? fromBase : minFee;
  if (maxFeePerGas > cap) maxFeePerGas = cap;
  if (maxFeePerGas < minFee) {
    return { skip: `fee cap ${cap} wei leaves no valid bump over max fee ${previous.maxFeePerGas} wei (needs ${minFee})` };
  }
  const maxPriorityFeePerGas = tip < maxFeePerGas ? tip : maxFeePerGas;
  if (maxPriorityFeePerGas < minTip) {
    return { skip: `fee cap ${cap} wei leaves no valid bump over tip ${previous.maxPriorityFeePerGas} wei (needs ${minTip})` };
  }
  return { maxFeePerGas, maxPriorityFeePerGas };
}
