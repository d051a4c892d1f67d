// A block's flash swaps in sequence: paths decoded to their pools, plans split into those sent at once,
// runs on one path (later swaps re-quoted cumulatively) and those that wait for the next block.
import { describe, expect, it } from "vitest";
import type { Address, Hex } from "viem";
import { encodeSwapPath } from "../chain/uniswapQuoter.js";
import type { LiquidationPlan } from "./plan.js";
import { cumulativeAmounts, decodeSwapPath, marginalQuotes, poolsOfPath, poolsSwappedBy, sequenceSwaps } from "./swapSequence.js";

const token = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const WETH = token(0xe1),
  USDC = token(0xc1),
  DAI = token(0xd1),
  WBTC = token(0xb1);
const WETH_USDC = encodeSwapPath([WETH, USDC], [500]);
const WETH_DAI = encodeSwapPath([WETH, DAI], [500]);
const WBTC_WETH_USDC = encodeSwapPath([WBTC, WETH, USDC], [500, 500]);
const USDC_WETH = encodeSwapPath([USDC, WETH], [500]);

let users = 0;
function flash(path: Hex, seized: bigint, quotedOut: bigint): LiquidationPlan {
  const user = token(0x1000 + users++);
  const { tokens } = decodeSwapPath(path);
  return {
    user,
    collateralAsset: tokens[0] ?? WETH,
    collateralReserveId: 0,
    debtAsset: tokens.at(-1) ?? WETH,
    debtReserveId: 1,
    debtToCover: 1n,
    expectedDebtRepaid: 1n,
    expectedCollateralSeized: seized,
    expectedProtocolFee: 0n,
    receiveAToken: false,
    debtValueBase: 0n,
    collateralValueBase: 0n,
    gasCostBase: 0n,
    swapCostBase: 0n,
    expectedProfitBase: 0n,
    healthFactor: 0n,
    timestamp: 0n,
    blockNumber: 0n,
    capital: "flashLoan",
    flashLoan: {
      liquidator: token(0xaa),
      loanAmount: 1n,
      premium: 0n,
      premiumTotalBps: 5n,
      swapPath: path,
      quotedAmountIn: seized,
      quotedAmountOut: quotedOut,
      minAmountOut: 0n,
      expectedProfit: 0n,
      minProfit: 0n,
      premiumBase: 0n,
      gasUnits: 600_000n,
    },
  };
}
function wallet(): LiquidationPlan {
  const plan = flash(WETH_USDC, 1n, 1n);
  return { ...plan, capital: "wallet", flashLoan: undefined };
}

describe("swap paths", () => {
  it("decodes a packed path and names each pool whatever the direction", () => {
    expect(decodeSwapPath(WBTC_WETH_USDC)).toEqual({ tokens: [WBTC, WETH, USDC], fees: [500, 500] });
    expect(decodeSwapPath("0x")).toEqual({ tokens: [], fees: [] });
    expect(poolsOfPath(WETH_USDC)).toEqual(poolsOfPath(USDC_WETH));
    expect(poolsOfPath(WBTC_WETH_USDC)).toEqual([`${WBTC}/${WETH}/500`, poolsOfPath(WETH_USDC)[0]]);
    expect(() => decodeSwapPath("0x1234")).toThrow(RangeError);
  });
});

describe("sequenceSwaps", () => {
  it("sends wallet plans, swap-free plans and each path's first at once; the same path again follows; a shared pool waits", () => {
    const w = wallet();
    const sameAsset = flash("0x", 5n, 5n);
    const a1 = flash(WETH_USDC, 10n, 100n);
    const d1 = flash(WETH_DAI, 10n, 100n);
    const a2 = flash(WETH_USDC, 20n, 190n);
    const b1 = flash(WBTC_WETH_USDC, 1n, 50n); // shares WETH/USDC with a1's path
    const r1 = flash(USDC_WETH, 100n, 10n); // the same pool the other way
    const a3 = flash(WETH_USDC, 30n, 280n);
    const s = sequenceSwaps([a1, w, d1, a2, b1, sameAsset, r1, a3], new Set());
    expect(s.now).toEqual([a1, w, d1, sameAsset]);
    expect(s.runs).toEqual([{ path: WETH_USDC, first: a1, followers: [a2, a3] }]);
    expect(s.deferred).toEqual([b1, r1]);
  });

  it("a pool a flash liquidation in flight swaps in makes a plan wait", () => {
    const inFlight = flash(WETH_DAI, 1n, 1n);
    const busy = poolsSwappedBy([inFlight, wallet()]);
    expect([...busy]).toEqual(poolsOfPath(WETH_DAI));
    const d = flash(WETH_DAI, 10n, 100n);
    const u = flash(WETH_USDC, 10n, 100n);
    expect(sequenceSwaps([d, u], busy)).toEqual({ now: [u], runs: [], deferred: [d] });
  });
});

describe("marginal quotes of a run", () => {
  it("quotes cumulative amounts and gives each follower the difference; stops at the first without a quote", () => {
    const first = flash(WETH_USDC, 10n, 100n);
    const f2 = flash(WETH_USDC, 20n, 0n);
    const f3 = flash(WETH_USDC, 30n, 0n);
    const f4 = flash(WETH_USDC, 40n, 0n);
    const run = { path: WETH_USDC, first, followers: [f2, f3, f4] };
    expect(cumulativeAmounts(run)).toEqual([30n, 60n, 100n]);
    // the pools give less per unit as they move: 100 for the first 10, then 195 for 20 more, 285 for 30 more
    const quotes = marginalQuotes(run, [295n, 580n, undefined]);
    expect(quotes.map((q) => [q.amountIn, q.amountOut, q.path])).toEqual([
      [20n, 195n, WETH_USDC],
      [30n, 285n, WETH_USDC],
    ]);
  });
});
