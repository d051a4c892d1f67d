import { describe, expect, it } from "vitest";
import { AccountBook } from "../../src/risk/accountBook.js";
import { computeAccountHealthFromSnapshot } from "../../src/risk/healthFactor.js";
import { eModeView, reservesPricedBy, snapshotMarket } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_0, RULES_V3_6 } from "../../src/risk/rules.js";
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

describe.each([
  ["3.0", RULES_V3_0],
  ["3.6", RULES_V3_6],
] as const)("AccountBook first pass, Aave %s rules (recomputeAtRisk, then recomputeStale)", (_, rules) => {
  it("re-evaluates only accounts that can have crossed 1 and misses none; the second pass equals a full recompute", () => {
    const rng = new Rng(91);
    let market = makeMarket(rng, { eModePriceSource: rules === RULES_V3_0, ltZeroReserve: true });
    const book = new AccountBook(rules);
    const positions: AccountPosition[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = makeAccount(rng, market, i, { stableProb: 0.02, eModeProb: 0.25, hfLo: 0.9, hfHi: 1.8 });
      positions.push(p);
      book.upsert(p);
    }
    let t = T;
    let before = snapshotMarket(market, rules, t);
    book.recomputeAll(before);
    let skipped = 0;
    for (let step = 0; step < 12; step++) {
      // A new block: 12 s of interest and one to three prices moved by -4%..+3% (an eMode price source now and then).
      market = structuredClone(market);
      t += 12n;
      for (let k = rng.int(1, 3); k > 0; k--) {
        const r = rng.pick(market.reserves.filter((x) => x !== undefined));
        r!.price = (r!.price * BigInt(rng.int(96, 103))) / 100n;
      }
      if (step % 4 === 3) for (const cat of market.eModes.values()) cat.priceSourcePrice = (cat.priceSourcePrice * 97n) / 100n;
      const after = snapshotMarket(market, rules, t);
      const fresh = new AccountBook(rules);
      for (const p of positions) fresh.upsert(p);
      fresh.recomputeAll(after);
      const first = book.recomputeAtRisk(before, after);
      expect(first).toBeLessThan(positions.length);
      skipped += positions.length - first;
      // Every account under water at `after` was evaluated in the first pass.
      expect(new Set(book.liquidatable())).toEqual(new Set(fresh.liquidatable()));
      expect(book.recomputeStale(after)).toBe(positions.length - first);
      for (const p of positions) expect(book.health(p.user)).toEqual(fresh.health(p.user));
      before = after;
    }
    expect(skipped).toBeGreaterThan(12 * positions.length * 0.3);
  });

  it("debtEstimate: the exact total debt up to the contract's rounding of each balance (variable debt), for ranking", () => {
    const rng = new Rng(93);
    const market = makeMarket(rng, {});
    const book = new AccountBook(rules);
    const positions = Array.from({ length: 500 }, (_, i) => makeAccount(rng, market, i, { stableProb: 0, eModeProb: 0.3 }));
    for (const p of positions) book.upsert(p);
    expect(book.debtEstimate(positions[0]!.user)).toBe(0); // not evaluated yet
    const snap = snapshotMarket(market, rules, T);
    book.recomputeAll(snap);
    for (const p of positions) {
      const exact = Number(book.health(p.user)!.totalDebtBase);
      // Each balance is rounded to whole token units, then to whole base units: fBaseError per position.
      const rounding = [...p.scaledVariableDebt.keys()].reduce((sum, id) => sum + eModeView(snap, p.eModeCategory).fBaseError[id]!, 0);
      expect(Math.abs(book.debtEstimate(p.user) - exact)).toBeLessThanOrEqual(rounding + exact * 1e-12);
    }
  });

  it("a collateral switched off (LT 0), or a move of 2x, re-evaluates everyone in the first pass", () => {
    const rng = new Rng(92);
    const market = makeMarket(rng, { ltZeroReserve: true });
    const book = new AccountBook(rules);
    for (let i = 0; i < 300; i++) book.upsert(makeAccount(rng, market, i, { hfLo: 1.2, hfHi: 3 }));
    const before = snapshotMarket(market, rules, T);
    book.recomputeAll(before);
    const off = structuredClone(market);
    const r = off.reserves.find((x) => x !== undefined && x.liquidationThreshold > 0)!;
    r.liquidationThreshold = 0;
    expect(book.recomputeAtRisk(before, snapshotMarket(off, rules, T + 12n))).toBe(300);
    const halved = structuredClone(market);
    for (const x of halved.reserves) if (x) x.price /= 2n;
    expect(book.recomputeAtRisk(before, snapshotMarket(halved, rules, T + 12n))).toBe(300);
  });
});
