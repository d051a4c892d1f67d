// The quoter's route choice as plain values: which intermediates a pair's pools allow, the first legs
// phase two starts from, the ranking and its runner-up, which amounts one choice serves, and the words.
import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import {
  bestFirstLegs,
  choiceAmounts,
  decodeSwapPath,
  describeNoRoute,
  encodeSwapPath,
  pairPools,
  rankRoutes,
  withinFactor,
  type TokenLabel,
} from "./uniswapRoutes.js";

const token = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const [LINK, DAI, USDC, WETH, WBTC] = [1, 2, 3, 4, 5].map(token) as [Address, Address, Address, Address, Address];
const TIERS = [100, 500, 3000, 10_000] as const;
const NAMES = new Map([
  [LINK, { symbol: "LINK", decimals: 18 }],
  [DAI, { symbol: "DAI", decimals: 18 }],
  [USDC, { symbol: "USDC", decimals: 6 }],
  [WETH, { symbol: "WETH", decimals: 18 }],
  [WBTC, { symbol: "WBTC", decimals: 8 }],
]);
const label: TokenLabel = (t) => NAMES.get(t);

/** LINK/USDC 1%, LINK/WETH 0.3%, DAI/USDC 0.01%, DAI/WETH 0.3% and 0.05%, WETH/USDC 0.05%, WBTC/WETH 0.05%. */
const POOLS = new Set(
  [
    [LINK, USDC, 10_000],
    [LINK, WETH, 3000],
    [DAI, USDC, 100],
    [DAI, WETH, 3000],
    [DAI, WETH, 500],
    [WETH, USDC, 500],
    [WBTC, WETH, 500],
  ].map(([a, b, fee]) => `${[a, b].sort().join("/")}/${fee}`),
);
const hasPool = (a: Address, b: Address, fee: number) => POOLS.has(`${[a, b].sort().join("/")}/${fee}`);
const q = (amountOut: bigint, gasEstimate = 100_000n) => ({ amountOut, gasEstimate });

describe("pairPools", () => {
  it("keeps the intermediates with a pool to both tokens, and their tiers on each side", () => {
    const p = pairPools(LINK, DAI, [LINK, DAI, USDC, WETH, WBTC], TIERS, hasPool);
    expect(p.direct).toEqual([]);
    expect(p.intermediates).toEqual([
      { hub: USDC, first: [10_000], second: [100] },
      { hub: WETH, first: [3000], second: [500, 3000] },
    ]);
    // The pair's own tokens are no intermediates; WBTC has no pool to LINK.
    expect(p.considered).toBe(3);
  });

  it("finds the direct tiers, and only WETH between LINK and WBTC", () => {
    expect(pairPools(WETH, USDC, [USDC, WETH], TIERS, hasPool)).toEqual({ direct: [500], intermediates: [], considered: 0 });
    expect(pairPools(LINK, WBTC, [USDC, WETH, DAI], TIERS, hasPool).intermediates).toEqual([{ hub: WETH, first: [3000], second: [500] }]);
  });
});

describe("bestFirstLegs", () => {
  it("takes each hub's first leg with the most out, the cheaper at a tie, and drops hubs reached with nothing", () => {
    const best = bestFirstLegs([
      { hub: WETH, fee: 500, quote: q(990n) },
      { hub: WETH, fee: 3000, quote: q(995n) },
      { hub: WETH, fee: 10_000, quote: undefined },
      { hub: USDC, fee: 100, quote: q(700n, 90_000n) },
      { hub: USDC, fee: 500, quote: q(700n, 80_000n) },
      { hub: DAI, fee: 500, quote: q(0n) },
      { hub: WBTC, fee: 500, quote: undefined },
    ]);
    expect([...best]).toEqual([
      [WETH, 3000],
      [USDC, 500],
    ]);
  });
});

describe("rankRoutes", () => {
  const r = (name: string, quote: ReturnType<typeof q> | undefined) => ({ name, quote });

  it("puts the most out first, the cheaper first at a tie, and leaves out what reverted or returned nothing", () => {
    const ranked = rankRoutes([r("a", q(100n)), r("b", undefined), r("c", q(101n)), r("d", q(0n)), r("e", q(101n, 90_000n))], 10_000n);
    expect(ranked.map((x) => x.name)).toEqual(["e", "c"]);
  });

  it("keeps the runner-up only within the margin of the best", () => {
    expect(rankRoutes([r("a", q(10_000n)), r("b", q(9_900n))], 100n).map((x) => x.name)).toEqual(["a", "b"]);
    expect(rankRoutes([r("a", q(10_000n)), r("b", q(9_899n))], 100n).map((x) => x.name)).toEqual(["a"]);
    expect(rankRoutes([r("a", undefined)], 100n)).toEqual([]);
  });
});

describe("choiceAmounts and withinFactor", () => {
  it("serves amounts within the factor either way", () => {
    expect(withinFactor(50n, 100n, 2n)).toBe(true);
    expect(withinFactor(49n, 100n, 2n)).toBe(false);
    expect(withinFactor(200n, 100n, 2n)).toBe(true);
    expect(withinFactor(201n, 100n, 2n)).toBe(false);
  });

  it("chooses at the largest amount, then at the largest one out of its reach, so every amount is served", () => {
    const amounts = [30n, 1000n, 600n, 500n, 499n, 260n, 31n, 1000n];
    const at = choiceAmounts(amounts, 2n);
    expect(at).toEqual([1000n, 499n, 31n]);
    for (const a of amounts)
      expect(
        at.some((c) => withinFactor(a, c, 2n)),
        `${a}`,
      ).toBe(true);
    expect(choiceAmounts([], 2n)).toEqual([]);
  });
});

describe("describeNoRoute", () => {
  it("names the tokens, the tiers and how many intermediates had no pools to both", () => {
    expect(describeNoRoute(LINK, DAI, { kind: "noPools", feeTiers: TIERS, considered: 7 }, label)).toBe(
      "no Uniswap V3 pool between LINK and DAI at 0.01/0.05/0.3/1%, nor through any of 7 intermediates (none has pools to both)",
    );
    expect(describeNoRoute(LINK, DAI, { kind: "noPools", feeTiers: TIERS, considered: 0 })).toBe(
      `no Uniswap V3 pool between ${LINK} and ${DAI} at 0.01/0.05/0.3/1%, and no intermediate to try`,
    );
  });

  it("says the pools cannot take the amount when every quote reverted, or return nothing for it", () => {
    const why = { kind: "noQuote", amountIn: 1_234_500_000_000_000_000_000n, reverted: true, direct: [3000], via: [WETH, USDC] } as const;
    expect(describeNoRoute(LINK, DAI, why, label)).toBe("the pools cannot take 1,234.5 LINK (direct at 0.3%, via WETH, USDC)");
    expect(describeNoRoute(WBTC, DAI, { ...why, amountIn: 1n, reverted: false, direct: [], via: [WETH] }, label)).toBe(
      "the pools return no DAI for 0.00000001 WBTC (via WETH)",
    );
    expect(describeNoRoute(USDC, DAI, { ...why, amountIn: 2_000_000_000_123n, via: [] }, label)).toBe(
      "the pools cannot take 2,000,000.000123 USDC (direct at 0.3%)",
    );
    const many = [WETH, USDC, WBTC, DAI, token(9), token(10)];
    expect(describeNoRoute(LINK, token(11), { ...why, direct: [], via: many }, label)).toBe(
      "the pools cannot take 1,234.5 LINK (via WETH, USDC, WBTC, DAI and 2 more)",
    );
  });
});

describe("decodeSwapPath", () => {
  it("reads back what encodeSwapPath wrote; 0x is no swap; a malformed path throws", () => {
    const [a, b, c] = [`0x${"11".repeat(20)}`, `0x${"22".repeat(20)}`, `0x${"33".repeat(20)}`] as `0x${string}`[];
    expect(decodeSwapPath(encodeSwapPath([a!, b!, c!], [500, 3000]))).toEqual({ tokens: [a, b, c], fees: [500, 3000] });
    expect(decodeSwapPath("0x")).toEqual({ tokens: [], fees: [] });
    expect(() => decodeSwapPath("0x1234")).toThrow(RangeError);
  });
});
