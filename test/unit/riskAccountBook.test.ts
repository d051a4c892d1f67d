import { describe, expect, it } from "vitest";
import { AccountBook } from "../../src/risk/accountBook.js";
import { computeAccountHealthFromSnapshot } from "../../src/risk/healthFactor.js";
import { reservesPricedBy, snapshotMarket } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_0 } from "../../src/risk/rules.js";
import type { AccountPosition, MarketState } from "../../src/risk/types.js";
import { WAD } from "../../src/risk/wadRayMath.js";
import { Rng, makeAccount, makeMarket } from "./riskSynthetic.js";

const T = 1_700_000_000n;

function setup(screening: boolean) {
  const rng = new Rng(77);
  const market = makeMarket(rng, { eModePriceSource: true, ltZeroReserve: true });
  const book = new AccountBook(RULES_V3_0, { screening });
  const positions: AccountPosition[] = [];
  for (let i = 0; i < 3000; i++) {
    const p = makeAccount(rng, market, i, { stableProb: 0.05, eModeProb: 0.25, hfLo: 0.95, hfHi: 1.08 });
    positions.push(p);
    book.upsert(p);
  }
  return { rng, market, book, positions };
}

function exposedCount(positions: AccountPosition[], ids: number[]): number {
  return positions.filter((p) => ids.some((id) => ((p.userConfig >> BigInt(2 * id)) & 3n) !== 0n)).length;
}

function movePrice(m: MarketState, id: number, num: bigint, den: bigint): void {
  const r = m.reserves[id]!;
  r.price = (r.price * num) / den;
}

describe.each([true, false])("AccountBook (screening=%s)", (screening) => {
  it("full recompute matches computeAccountHealth for every account", () => {
    const { market, book, positions } = setup(screening);
    const snap = snapshotMarket(market, RULES_V3_0, T);
    expect(book.recomputeAll(snap)).toBe(positions.length);
    for (const p of positions) expect(book.health(p.user)).toEqual(computeAccountHealthFromSnapshot(p, snap));
    const liq = new Set(positions.filter((p) => computeAccountHealthFromSnapshot(p, snap).healthFactor < WAD).map((p) => p.user));
    expect(new Set(book.liquidatable())).toEqual(liq);
    expect(liq.size).toBeGreaterThan(100);
  });

  it("incremental recompute after a price move = full recompute, touching only exposed users", () => {
    const { market, book, positions } = setup(screening);
    book.recomputeAll(snapshotMarket(market, RULES_V3_0, T));
    const fresh = new AccountBook(RULES_V3_0, { screening });
    for (const p of positions) fresh.upsert(p);
    for (const [id, num] of [
      [3, 97n],
      [5, 103n],
      [1, 90n],
    ] as const) {
      movePrice(market, id, num, 100n);
      const snap = snapshotMarket(market, RULES_V3_0, T); // same block, only a price moved
      const touched = book.recomputeForReserves([id], snap);
      expect(touched).toBe(exposedCount(positions, [id]));
      expect(touched).toBeLessThan(positions.length / 3);
      fresh.recomputeAll(snap);
      for (const p of positions) expect(book.health(p.user)).toEqual(fresh.health(p.user));
      expect(new Set(book.liquidatable())).toEqual(new Set(fresh.liquidatable()));
    }
    // eMode priceSource move: reservesPricedBy maps the feed to the member reserves
    const cat = market.eModes.get(2)!;
    cat.priceSourcePrice = (cat.priceSourcePrice * 95n) / 100n;
    const ids = reservesPricedBy(market, cat.priceSource);
    expect(ids.length).toBeGreaterThan(0);
    const snap = snapshotMarket(market, RULES_V3_0, T);
    expect(book.recomputeForReserves(ids, snap)).toBe(exposedCount(positions, ids));
    fresh.recomputeAll(snap);
    for (const p of positions) expect(book.health(p.user)).toEqual(fresh.health(p.user));
  });

  it("upsert / remove keep the exposure index and the liquidatable set right; lowest(n) is exactly ordered", () => {
    const { market, book, positions, rng } = setup(screening);
    const snap = snapshotMarket(market, RULES_V3_0, T + 60n);
    book.recomputeAll(snap);
    const victim = positions[0]!;
    const ids = [...victim.scaledCollateral.keys()];
    expect(book.usersExposedTo(ids).has(victim.user)).toBe(true);
    expect(book.remove(victim.user)).toBe(true);
    expect(book.usersExposedTo(ids).has(victim.user)).toBe(false);
    expect(book.get(victim.user)).toBeUndefined();
    expect(book.size).toBe(positions.length - 1);
    const replacement = makeAccount(rng, market, 0, { hfLo: 0.5, hfHi: 0.6 });
    book.upsert(replacement);
    expect(book.health(replacement.user)).toBeUndefined(); // not evaluated yet
    expect(book.recompute([replacement.user], snap)).toBe(1);
    expect(book.liquidatable()).toContain(replacement.user);
    // an account too wide for the packed layout (> 8 positions) goes through the object path
    const wide = makeAccount(rng, market, 99_999, { hfLo: 0.99, hfHi: 1.01 });
    for (let id = 0; id < 10; id++) {
      wide.scaledCollateral.set(id, 10n ** 15n);
      wide.userConfig |= 1n << BigInt(2 * id + 1);
    }
    book.upsert(wide);
    book.recompute([wide.user], snap);
    expect(book.health(wide.user)).toEqual(computeAccountHealthFromSnapshot(wide, snap));
    book.remove(wide.user);
    const low = book.lowest(25);
    const all = [...positions.slice(1), replacement]
      .map((p) => computeAccountHealthFromSnapshot(p, snap).healthFactor)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(low.map((x) => x.health.healthFactor)).toEqual(all.slice(0, 25));
  });
});
