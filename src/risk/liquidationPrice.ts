// Price of one oracle feed at which an account's HF crosses 1e18, all other prices fixed.
// The feed is the one the account's HF reads for the collateral: the asset's own price, or on V3.0
// the eMode priceSource for member assets — every position of the account priced by that feed moves
// (a collateral that is also borrowed moves on both sides).
import { compileAccount, evaluateAccount, type CompiledAccount } from "./healthFactor.js";
import { eModeView, type MarketSnapshot } from "./marketSnapshot.js";
import type { AccountPosition, Address } from "./types.js";

export interface LiquidationPrice {
  /** Collateral reserve id the price was asked for. */
  reserveId: number;
  /** Oracle address whose price moves (the asset, or the eMode priceSource). */
  feed: Address;
  /**
   * "down": HF < 1e18 at `price` and HF ≥ 1e18 at `price + 1` (liquidatable when the price falls to it);
   * "up": HF < 1e18 at `price` and HF ≥ 1e18 at `price - 1` (the feed also prices enough debt that a
   * rising price liquidates).
   */
  direction: "down" | "up";
  price: bigint;
}

/** Upper end of the search; prices are uint256 but nothing real is near this. */
const PRICE_CAP = 1n << 160n;

interface Moving {
  fixedTc: bigint;
  fixedSLt: bigint;
  fixedTd: bigint;
  coll: { bal: bigint; unit: bigint; lt: bigint }[];
  debt: { bal: bigint; unit: bigint }[];
}

function split(acc: CompiledAccount, snapshot: MarketSnapshot, feed: Address): Moving {
  const view = eModeView(snapshot, acc.eModeCategory);
  const m: Moving = { fixedTc: 0n, fixedSLt: 0n, fixedTd: 0n, coll: [], debt: [] };
  for (const c of acc.collateral) {
    const rs = snapshot.reserves[c.id];
    if (rs === undefined || !view.countsAsCollateral[c.id]) continue;
    const lt = view.liquidationThreshold[c.id]!;
    if (view.priceFeed[c.id] === feed) m.coll.push({ bal: c.bal, unit: rs.unit, lt });
    else {
      m.fixedTc += c.base;
      m.fixedSLt += c.base * lt;
    }
  }
  for (const d of acc.debt) {
    const rs = snapshot.reserves[d.id];
    if (rs === undefined) continue;
    if (view.priceFeed[d.id] === feed) m.debt.push({ bal: d.varBal + d.stableBal, unit: rs.unit });
    else m.fixedTd += d.base;
  }
  return m;
}

/** Exact `HF(price) < threshold`, recomputing only the positions priced by the moving feed. */
function liquidatableAt(m: Moving, snapshot: MarketSnapshot, price: bigint): boolean {
  const rules = snapshot.rules;
  let tc = m.fixedTc;
  let sLt = m.fixedSLt;
  let td = m.fixedTd;
  for (const c of m.coll) {
    const base = rules.collateralInBase(c.bal, price, c.unit);
    tc += base;
    sLt += base * c.lt;
  }
  for (const d of m.debt) td += rules.debtInBase(d.bal, price, d.unit);
  return rules.healthFactor(tc, sLt, td).healthFactor < rules.liquidationThreshold;
}

/** The liquidation price for collateral `reserveId`, or null (not enabled/counted, never, or always liquidatable). */
export function liquidationPriceFor(
  position: AccountPosition | CompiledAccount,
  snapshot: MarketSnapshot,
  reserveId: number,
): LiquidationPrice | null {
  const acc = "scaledCollateral" in position ? compileAccount(position, snapshot.rules) : position;
  if (acc.exactSnapshot !== snapshot) evaluateAccount(acc, snapshot);
  const view = eModeView(snapshot, acc.eModeCategory);
  if (
    !acc.collateral.some((c) => c.id === reserveId) ||
    !view.countsAsCollateral[reserveId] ||
    snapshot.reserves[reserveId] === undefined
  ) {
    return null;
  }
  const feed = view.priceFeed[reserveId]!;
  const m = split(acc, snapshot, feed);
  const f = (p: bigint) => liquidatableAt(m, snapshot, p);

  // Linear model without roundings: HF·1e4·TD ≈ S, i.e.
  // fixedSLt + p·Σ bal·LT/U = 1e4·(fixedTd + p·Σ debt/U). Common denominator L = largest unit.
  let L = 1n;
  for (const c of m.coll) if (c.unit > L) L = c.unit;
  for (const d of m.debt) if (d.unit > L) L = d.unit;
  let alpha = 0n;
  for (const c of m.coll) alpha += c.bal * c.lt * (L / c.unit);
  let beta = 0n;
  for (const d of m.debt) beta += d.bal * (L / d.unit);
  const denom = alpha - 10_000n * beta;
  if (denom === 0n) return null;
  const num = L * (10_000n * m.fixedTd - m.fixedSLt);
  let p0 = num / denom;
  if (p0 < 1n) p0 = 1n;
  if (p0 > PRICE_CAP) p0 = PRICE_CAP;

  if (denom > 0n) {
    // HF grows with the price: find p with f(p) && !f(p+1).
    let lo = p0;
    let step = p0 >> 24n > 0n ? p0 >> 24n : 1n;
    while (!f(lo)) {
      if (lo === 1n) return null; // healthy even at the smallest price
      lo = lo - step > 1n ? lo - step : 1n;
      step *= 2n;
    }
    let hi = lo + 1n;
    step = p0 >> 24n > 0n ? p0 >> 24n : 1n;
    while (f(hi)) {
      if (hi >= PRICE_CAP) return null; // liquidatable at any price
      hi = hi + step < PRICE_CAP ? hi + step : PRICE_CAP;
      step *= 2n;
    }
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (f(mid)) lo = mid;
      else hi = mid;
    }
    return { reserveId, feed, direction: "down", price: lo };
  }
  // HF falls as the price rises (the feed prices more weighted debt than collateral): f(p) && !f(p-1).
  let hi = p0;
  let step = p0 >> 24n > 0n ? p0 >> 24n : 1n;
  while (!f(hi)) {
    if (hi >= PRICE_CAP) return null;
    hi = hi + step < PRICE_CAP ? hi + step : PRICE_CAP;
    step *= 2n;
  }
  if (hi === 1n) return null; // liquidatable at any positive price
  let lo = hi - 1n;
  step = p0 >> 24n > 0n ? p0 >> 24n : 1n;
  while (f(lo)) {
    if (lo === 1n) return null;
    lo = lo - step > 1n ? lo - step : 1n;
    step *= 2n;
  }
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (f(mid)) hi = mid;
    else lo = mid;
  }
  return { reserveId, feed, direction: "up", price: hi };
}

/** Liquidation prices of every enabled collateral that counts in the HF. */
export function liquidationPrices(position: AccountPosition | CompiledAccount, snapshot: MarketSnapshot): LiquidationPrice[] {
  const acc = "scaledCollateral" in position ? compileAccount(position, snapshot.rules) : position;
  const out: LiquidationPrice[] = [];
  for (const c of acc.collateral) {
    const lp = liquidationPriceFor(acc, snapshot, c.id);
    if (lp !== null) out.push(lp);
  }
  return out;
}
