import { describe, expect, it } from "vitest";
import { amountInToMovePrice, fullRangeTicks, isqrt, MAX_SQRT_RATIO, MIN_SQRT_RATIO, Q96, sqrtPriceX96 } from "./uniswapMath.js";

describe("isqrt", () => {
  it("is the floor of the square root, for small and 256-bit numbers", () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 10n ** 30n, (1n << 255n) + 12345n, (1n << 256n) - 1n]) {
      const r = isqrt(n);
      expect(r * r <= n, `${n}`).toBe(true);
      expect((r + 1n) * (r + 1n) > n, `${n}`).toBe(true);
    }
    expect(isqrt(10n ** 36n)).toBe(10n ** 18n);
    expect(() => isqrt(-1n)).toThrow(/negative/);
  });
});

describe("sqrtPriceX96", () => {
  it("is sqrt(token1 per token0, in raw units) in Q64.96", () => {
    // Equal prices and decimals: price 1, sqrt 1.
    expect(sqrtPriceX96(10n ** 8n, 18, 10n ** 8n, 18)).toBe(Q96);
    // USDC (6) as token0 at $1, WETH (18) as token1 at $2,500: 1e18 / (2500·1e6) = 4e8 raw WETH per raw USDC, sqrt 20,000.
    expect(sqrtPriceX96(10n ** 8n, 6, 2_500n * 10n ** 8n, 18)).toBe(20_000n * Q96);
    // The other way round: 1/4e8, sqrt 1/20,000 (rounded down).
    expect(sqrtPriceX96(2_500n * 10n ** 8n, 18, 10n ** 8n, 6)).toBe(Q96 / 20_000n);
  });

  it("refuses prices outside Uniswap's range", () => {
    expect(() => sqrtPriceX96(0n, 18, 1n, 18)).toThrow(/positive/);
    expect(() => sqrtPriceX96(1n, 30, 10n ** 30n, 0)).toThrow(/range/);
    expect(sqrtPriceX96(1n, 0, 1n, 0) > MIN_SQRT_RATIO && sqrtPriceX96(1n, 0, 1n, 0) < MAX_SQRT_RATIO).toBe(true);
  });
});

describe("fullRangeTicks", () => {
  it("are the widest multiples of the spacing inside TickMath's bounds", () => {
    expect(fullRangeTicks(1)).toEqual({ tickLower: -887_272, tickUpper: 887_272 });
    expect(fullRangeTicks(10)).toEqual({ tickLower: -887_270, tickUpper: 887_270 });
    expect(fullRangeTicks(60)).toEqual({ tickLower: -887_220, tickUpper: 887_220 });
  });
});

describe("amountInToMovePrice", () => {
  const L = 10n ** 18n;
  it("pays token1 to raise the price: L·Δsqrt, plus the fee on top", () => {
    // sqrt price 1 -> 2: L·(2-1) = 1e18 of token1; fee 0.3%: ceil(1e18·3000/997000).
    expect(amountInToMovePrice(L, Q96, 2n * Q96, 3000)).toEqual({ zeroForOne: false, amountIn: 10n ** 18n + 3_009_027_081_243_732n });
  });
  it("pays token0 to lower the price: L·(1/to − 1/from)", () => {
    // sqrt price 2 -> 1: L·(1 − 1/2) = 5e17 of token0, no fee.
    expect(amountInToMovePrice(L, 2n * Q96, Q96, 0)).toEqual({ zeroForOne: true, amountIn: 5n * 10n ** 17n });
    // Rounded up: 1 wei of liquidity still costs a wei.
    expect(amountInToMovePrice(1n, 3n * Q96, 2n * Q96, 0).amountIn).toBe(1n);
  });
  it("costs nothing when the price is already there", () => {
    expect(amountInToMovePrice(L, Q96, Q96, 500).amountIn).toBe(0n);
  });
});
