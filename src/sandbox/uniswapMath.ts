// Uniswap V3 price arithmetic the sandbox needs to seed its pools at the oracle's prices and to
// arbitrage them back after a price move. Pure bigint functions; the formulas are v3-core's
// (TickMath, SqrtPriceMath, SwapMath), cited where they are mirrored.

export const Q96 = 1n << 96n;
/** TickMath.MIN_TICK / MAX_TICK */
export const MIN_TICK = -887_272;
export const MAX_TICK = 887_272;
/** TickMath.MIN_SQRT_RATIO / MAX_SQRT_RATIO: the pool accepts prices strictly inside these. */
export const MIN_SQRT_RATIO = 4_295_128_739n;
export const MAX_SQRT_RATIO = 1_461_446_703_485_210_103_287_273_052_203_988_822_378_723_970_342n;
/** Uniswap fees are in hundredths of a basis point. */
export const FEE_UNITS = 1_000_000n;

/** floor(sqrt(n)) for n >= 0 (Newton's method on bigints). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new Error(`isqrt of a negative number: ${n}`);
  if (n < 2n) return n;
  let x = 1n << (BigInt(n.toString(2).length + 1) / 2n);
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * The pool's sqrtPriceX96 for two tokens priced in the same unit (e.g. the oracle's USD with 8
 * decimals): a pool's price is token1 per token0 in raw units, price1per0 = p0·10^d1 / (p1·10^d0),
 * and slot0 holds sqrt(price1per0)·2^96, rounded down.
 */
export function sqrtPriceX96(price0: bigint, decimals0: number, price1: bigint, decimals1: number): bigint {
  if (price0 <= 0n || price1 <= 0n) throw new Error(`prices must be positive (got ${price0}, ${price1})`);
  const num = price0 * 10n ** BigInt(decimals1) * Q96 * Q96;
  const den = price1 * 10n ** BigInt(decimals0);
  const root = isqrt(num / den);
  if (root <= MIN_SQRT_RATIO || root >= MAX_SQRT_RATIO) throw new Error(`price out of Uniswap's range (sqrtPriceX96 ${root})`);
  return root;
}

/** The widest usable range for a tick spacing: the ticks must be multiples of it. */
export function fullRangeTicks(tickSpacing: number): { tickLower: number; tickUpper: number } {
  return {
    tickLower: Math.ceil(MIN_TICK / tickSpacing) * tickSpacing,
    tickUpper: Math.floor(MAX_TICK / tickSpacing) * tickSpacing,
  };
}

function divUp(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/**
 * What a swap must pay in, fee included, to move a pool with constant in-range `liquidity` from
 * `from` to `to` (both sqrtPriceX96): token0 when the price falls (zeroForOne), token1 when it
 * rises. SqrtPriceMath.getAmount0Delta / getAmount1Delta rounded up, then the fee on top as
 * SwapMath.computeSwapStep charges it (amountIn·fee / (1e6 − fee), rounded up). Valid while the
 * whole move stays inside one liquidity range, as with the sandbox's full-range positions.
 */
export function amountInToMovePrice(liquidity: bigint, from: bigint, to: bigint, fee: number): { zeroForOne: boolean; amountIn: bigint } {
  if (from === to) return { zeroForOne: true, amountIn: 0n };
  const zeroForOne = to < from;
  const net = zeroForOne ? divUp(divUp(liquidity * Q96 * (from - to), from), to) : divUp(liquidity * (to - from), Q96);
  const feeAmount = divUp(net * BigInt(fee), FEE_UNITS - BigInt(fee));
  return { zeroForOne, amountIn: net + feeAmount };
}
