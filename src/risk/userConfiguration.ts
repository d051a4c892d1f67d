// DataTypes.UserConfigurationMap: two bits per reserve id, bit 2i = borrowing, bit 2i+1 = collateral
// (core-v3 UserConfiguration.sol BORROWING_MASK 0x55.., COLLATERAL_MASK 0xAA..).

export const MAX_RESERVES_COUNT = 128;
export const BORROWING_MASK = BigInt(`0x${"55".repeat(32)}`);
export const COLLATERAL_MASK = BigInt(`0x${"AA".repeat(32)}`);

function checkId(reserveId: number): void {
  // UserConfiguration.isBorrowing/isUsingAsCollateral require(reserveIndex < MAX_RESERVES_COUNT).
  if (!Number.isInteger(reserveId) || reserveId < 0 || reserveId >= MAX_RESERVES_COUNT) {
    throw new RangeError(`reserve id ${reserveId} out of range [0, ${MAX_RESERVES_COUNT})`);
  }
}

export function isBorrowing(config: bigint, reserveId: number): boolean {
  checkId(reserveId);
  return ((config >> BigInt(reserveId * 2)) & 1n) === 1n;
}

export function isUsingAsCollateral(config: bigint, reserveId: number): boolean {
  checkId(reserveId);
  return ((config >> BigInt(reserveId * 2 + 1)) & 1n) === 1n;
}

export function isUsingAsCollateralOrBorrowing(config: bigint, reserveId: number): boolean {
  checkId(reserveId);
  return ((config >> BigInt(reserveId * 2)) & 3n) !== 0n;
}

export function isEmpty(config: bigint): boolean {
  return config === 0n;
}

export function isBorrowingAny(config: bigint): boolean {
  return (config & BORROWING_MASK) !== 0n;
}

export function isUsingAsCollateralAny(config: bigint): boolean {
  return (config & COLLATERAL_MASK) !== 0n;
}

/** Builds a config from reserve ids (for tests, fixtures and the watcher's local bookkeeping). */
export function buildUserConfig(collateralIds: Iterable<number>, borrowingIds: Iterable<number>): bigint {
  let c = 0n;
  for (const id of collateralIds) {
    checkId(id);
    c |= 1n << BigInt(id * 2 + 1);
  }
  for (const id of borrowingIds) {
    checkId(id);
    c |= 1n << BigInt(id * 2);
  }
  return c;
}

export interface UserReserveIds {
  /** Ids with the collateral bit set, ascending. */
  collateral: number[];
  /** Ids with the borrowing bit set, ascending. */
  borrowing: number[];
}

/**
 * Splits the bitmap into reserve ids in one pass over 32-bit words, skipping empty words,
 * so a typical 2-4 position account costs a handful of Number operations, not 128 BigInt shifts.
 */
export function userReserveIds(config: bigint): UserReserveIds {
  const collateral: number[] = [];
  const borrowing: number[] = [];
  let rest = config;
  let base = 0;
  while (rest !== 0n) {
    let word = Number(rest & 0xffffffffn);
    rest >>= 32n;
    while (word !== 0) {
      const bit = 31 - Math.clz32(word & -word);
      word &= word - 1;
      const pos = base + bit;
      if (pos & 1) collateral.push(pos >> 1);
      else borrowing.push(pos >> 1);
    }
    base += 32;
  }
  return { collateral, borrowing };
}
