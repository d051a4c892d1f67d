// The pure parts of same-block backruns: a pending transaction as a node returns it (parsePendingTx),
// the fee terms of a backrun (never above the update's), and a market at the prices read after an
// update (withPrices: which reserves moved, an eMode category's price source included).
import { describe, expect, it } from "vitest";
import { parsePendingTx } from "../../src/chain/pendingTransactions.js";
import { backrunFees } from "../../src/executor/fees.js";
import { pricedAssets, withPrices } from "../../src/risk/marketSnapshot.js";
import { makeMarket, Rng } from "./riskSynthetic.js";

const GWEI = 10n ** 9n;

describe("parsePendingTx", () => {
  const raw = {
    hash: "0xaa",
    from: "0x00000000000000000000000000000000000000f1",
    to: "0x00000000000000000000000000000000000000f2",
    nonce: "0x7",
    input: "0x1234",
    value: "0x0",
    gas: "0x30000",
    maxFeePerGas: "0x4a817c800",
    maxPriorityFeePerGas: "0x77359400",
    blockNumber: null,
  };

  it("reads an EIP-1559 transaction", () => {
    expect(parsePendingTx(raw)).toEqual({
      hash: "0xaa",
      from: raw.from,
      to: raw.to,
      nonce: 7,
      input: "0x1234",
      value: 0n,
      gas: 0x30000n,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
    });
  });

  it("reads a legacy one by its gas price, and a contract creation's missing `to`", () => {
    const { maxFeePerGas: _, maxPriorityFeePerGas: __, ...legacy } = raw;
    const tx = parsePendingTx({ ...legacy, gasPrice: "0x3b9aca00", to: null });
    expect(tx?.gasPrice).toBe(GWEI);
    expect(tx?.maxFeePerGas).toBeUndefined();
    expect(tx?.to).toBeNull();
  });

  it("refuses what is mined, malformed or without fees", () => {
    expect(parsePendingTx({ ...raw, blockNumber: "0x10" })).toBeUndefined();
    expect(parsePendingTx({ ...raw, nonce: 7 })).toBeUndefined();
    expect(parsePendingTx({ ...raw, hash: "not hex" })).toBeUndefined();
    expect(parsePendingTx("0xaa")).toBeUndefined();
    const { maxFeePerGas: _, ...noFee } = raw;
    expect(parsePendingTx(noFee)).toBeUndefined();
  });
});

describe("backrunFees", () => {
  const cap = 100n * GWEI;

  it("takes the update's own terms: builders ordering by fee or by arrival put it after", () => {
    expect(backrunFees({ maxFeePerGas: 20n * GWEI, maxPriorityFeePerGas: 2n * GWEI }, 10n * GWEI, cap)).toEqual({
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
    });
  });

  it("counts a legacy gas price as both max fee and tip", () => {
    expect(backrunFees({ gasPrice: 15n * GWEI }, 10n * GWEI, cap)).toEqual({ maxFeePerGas: 15n * GWEI, maxPriorityFeePerGas: 15n * GWEI });
  });

  it("never goes above MAX_FEE_GWEI, the tip never above the max fee", () => {
    expect(backrunFees({ maxFeePerGas: 300n * GWEI, maxPriorityFeePerGas: 200n * GWEI }, 10n * GWEI, cap)).toEqual({
      maxFeePerGas: cap,
      maxPriorityFeePerGas: cap,
    });
  });

  it("skips when the terms cannot pay the base fee", () => {
    const fees = backrunFees({ maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI }, 10n * GWEI, cap);
    expect("skip" in fees && fees.skip).toMatch(/below the base fee/);
    expect("skip" in backrunFees({ maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: GWEI }, 60n * GWEI, 40n * GWEI)).toBe(true);
  });
});

describe("withPrices", () => {
  it("moves only the reserves whose price changed", () => {
    const market = makeMarket(new Rng(3), { reserves: 6 });
    const prices = market.reserves.map((r) => r!.price);
    prices[2] = (prices[2]! * 78n) / 100n;
    const after = withPrices(market, prices);
    expect(after.moved).toEqual([2]);
    expect(after.market.reserves[2]!.price).toBe(prices[2]);
    expect(after.market.reserves[1]).toBe(market.reserves[1]);
    expect(market.reserves[2]!.price).not.toBe(prices[2]);
    expect(
      withPrices(
        market,
        market.reserves.map((r) => r!.price),
      ).moved,
    ).toEqual([]);
  });

  it("an eMode category's price source that moves moves every reserve of the category (V3.0)", () => {
    const market = makeMarket(new Rng(5), { reserves: 10, eModePriceSource: true });
    const assets = pricedAssets(market);
    expect(assets.length).toBe(market.reserves.length + 1);
    const prices = [...market.reserves.map((r) => r!.price), (market.eModes.get(2)!.priceSourcePrice * 9n) / 10n];
    const after = withPrices(market, prices);
    const category2 = market.reserves.filter((r) => r!.eModeCategory === 2).map((r) => r!.id);
    expect(category2.length).toBeGreaterThan(0);
    expect(after.moved).toEqual(category2);
    expect(after.market.eModes.get(2)!.priceSourcePrice).toBe(prices.at(-1));
  });

  it("refuses a price list of the wrong length", () => {
    const market = makeMarket(new Rng(7), { reserves: 4 });
    expect(() => withPrices(market, [1n])).toThrow(/1 prices for 4 assets/);
  });
});
