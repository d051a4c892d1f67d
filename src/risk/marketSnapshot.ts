// Per-block precomputation: everything about the market that does not depend on the user, so that
// the per-account work is a few bigint multiplies per position.
import type { ProtocolRules } from "./rules.js";
import type { Address, EModeCategoryState, MarketState, ReserveState } from "./types.js";
import { getNormalizedDebt, getNormalizedIncome } from "./interest.js";

export interface ReserveSnapshot {
  readonly state: ReserveState;
  readonly id: number;
  readonly unit: bigint;
  /** ReserveLogic.getNormalizedIncome at the snapshot timestamp. */
  readonly normalizedIncome: bigint;
  /** ReserveLogic.getNormalizedDebt at the snapshot timestamp. */
  readonly normalizedDebt: bigint;
  /** normalizedIncome / RAY and normalizedDebt / RAY as floats, for the screening pass. */
  readonly fIncome: number;
  readonly fDebtIndex: number;
}

/** How the reserves look to an account in one eMode category (0 = no eMode). Arrays indexed by reserve id. */
export interface EModeView {
  readonly category: number;
  /** Price used in the HF (eMode priceSource price for V3.0 members when non-zero). */
  readonly price: bigint[];
  /** Oracle address that `price` comes from (asset or eMode priceSource). */
  readonly priceFeed: Address[];
  /** Effective LT (bps) as bigint. */
  readonly liquidationThreshold: bigint[];
  /** Effective LTV (bps); 0n marks zero-LTV collateral. */
  readonly ltv: bigint[];
  /** Whether an enabled collateral of this reserve enters TC at all (V3.0: reserve LT != 0). */
  readonly countsAsCollateral: boolean[];
  /** Float screening: price / unit, a bound on |exact base value - real value| in base units, LT. */
  readonly fPriceOverUnit: number[];
  readonly fBaseError: number[];
  readonly fLiquidationThreshold: number[];
}

export interface MarketSnapshot {
  readonly rules: ProtocolRules;
  readonly timestamp: bigint;
  readonly market: MarketState;
  readonly reserves: (ReserveSnapshot | undefined)[];
  /** Lazily filled by eModeView(); index = category id. */
  readonly views: (EModeView | undefined)[];
}

export function snapshotMarket(market: MarketState, rules: ProtocolRules, timestamp: bigint): MarketSnapshot {
  const reserves: (ReserveSnapshot | undefined)[] = new Array(market.reserves.length);
  const RAY_F = 1e27;
  for (let id = 0; id < market.reserves.length; id++) {
    const r = market.reserves[id];
    if (r === undefined) {
      reserves[id] = undefined;
      continue;
    }
    if (r.id !== id) throw new Error(`market.reserves[${id}] has id ${r.id}; reserves must be indexed by id`);
    const normalizedIncome = getNormalizedIncome(r.liquidityIndex, r.currentLiquidityRate, r.lastUpdateTimestamp, timestamp);
    const normalizedDebt = getNormalizedDebt(
      r.variableBorrowIndex,
      r.currentVariableBorrowRate,
      r.lastUpdateTimestamp,
      timestamp,
      rules.compoundedInterest,
    );
    reserves[id] = {
      state: r,
      id,
      unit: r.unit,
      normalizedIncome,
      normalizedDebt,
      fIncome: Number(normalizedIncome) / RAY_F,
      fDebtIndex: Number(normalizedDebt) / RAY_F,
    };
  }
  const snapshot: MarketSnapshot = { rules, timestamp, market, reserves, views: [] };
  eModeView(snapshot, 0);
  for (const id of market.eModes.keys()) eModeView(snapshot, id);
  return snapshot;
}

const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

export function eModeView(snapshot: MarketSnapshot, category: number): EModeView {
  const cached = snapshot.views[category];
  if (cached !== undefined) return cached;
  const { rules, market } = snapshot;
  const cat: EModeCategoryState | undefined = category === 0 ? undefined : market.eModes.get(category);
  const n = snapshot.reserves.length;
  const price: bigint[] = new Array(n).fill(0n);
  const priceFeed: Address[] = new Array(n).fill(ZERO_ADDRESS);
  const liquidationThreshold: bigint[] = new Array(n).fill(0n);
  const ltv: bigint[] = new Array(n).fill(0n);
  const countsAsCollateral: boolean[] = new Array(n).fill(false);
  const fPriceOverUnit: number[] = new Array(n).fill(0);
  const fBaseError: number[] = new Array(n).fill(0);
  const fLiquidationThreshold: number[] = new Array(n).fill(0);
  for (let id = 0; id < n; id++) {
    const r = snapshot.reserves[id]?.state;
    if (r === undefined) continue;
    const p = rules.priceInHealthFactor(r, category, cat);
    price[id] = p.price;
    priceFeed[id] = p.feed;
    liquidationThreshold[id] = rules.effectiveLiquidationThreshold(r, category, cat);
    ltv[id] = rules.effectiveLtv(r, category, cat);
    countsAsCollateral[id] = rules.collateralCounts(r);
    const pu = Number(p.price) / Number(r.unit);
    fPriceOverUnit[id] = pu;
    // balance off by ≤ 1 token unit (half-up, floor or ceil) and base value by ≤ 1 base unit (floor/ceil).
    fBaseError[id] = pu * (1 + 1e-9) + 1;
    fLiquidationThreshold[id] = Number(liquidationThreshold[id]);
  }
  const view: EModeView = {
    category,
    price,
    priceFeed,
    liquidationThreshold,
    ltv,
    countsAsCollateral,
    fPriceOverUnit,
    fBaseError,
    fLiquidationThreshold,
  };
  snapshot.views[category] = view;
  return view;
}

/**
 * Reserve ids whose HF price is read from `asset`: the reserve itself plus, on V3.0, the members
 * of every eMode category whose priceSource is `asset`. Feed this to AccountBook.recomputeForReserves
 * when that oracle answer changes.
 */
export function reservesPricedBy(market: MarketState, asset: Address): number[] {
  const a = asset.toLowerCase();
  const ids = new Set<number>();
  const cats = new Set<number>();
  for (const [id, c] of market.eModes) if (c.priceSource.toLowerCase() === a) cats.add(id);
  for (const r of market.reserves) {
    if (r === undefined) continue;
    if (r.asset.toLowerCase() === a || cats.has(r.eModeCategory)) ids.add(r.id);
  }
  return [...ids].sort((x, y) => x - y);
}

/** The addresses whose oracle prices make up a market's: every reserve's asset, then each eMode price source. */
export function pricedAssets(market: MarketState): Address[] {
  const reserves = market.reserves.flatMap((r) => (r ? [r.asset] : []));
  const sources = [...market.eModes.values()].map((c) => c.priceSource).filter((s) => s.toLowerCase() !== ZERO_ADDRESS);
  return [...reserves, ...sources];
}

/**
 * The market with the prices of `pricedAssets(market)` replaced by `prices` (same order), and the
 * reserve ids whose health-factor price can have moved (their own, or their eMode category's source).
 */
export function withPrices(market: MarketState, prices: readonly bigint[]): { market: MarketState; moved: number[] } {
  const assets = pricedAssets(market);
  if (prices.length !== assets.length) throw new Error(`withPrices: ${prices.length} prices for ${assets.length} assets`);
  const priceOf = new Map(assets.map((a, i) => [a.toLowerCase(), prices[i]!]));
  const moved = new Set<number>();
  const reserves = market.reserves.map((r) => {
    if (r === undefined) return r;
    const price = priceOf.get(r.asset.toLowerCase())!;
    if (price === r.price) return r;
    moved.add(r.id);
    return { ...r, price };
  });
  const eModes = new Map(market.eModes);
  for (const [id, c] of market.eModes) {
    if (c.priceSource.toLowerCase() === ZERO_ADDRESS) continue;
    const price = priceOf.get(c.priceSource.toLowerCase())!;
    if (price === c.priceSourcePrice) continue;
    eModes.set(id, { ...c, priceSourcePrice: price });
    for (const r of market.reserves) if (r && r.eModeCategory === id) moved.add(r.id);
  }
  return { market: { ...market, reserves, eModes }, moved: [...moved].sort((a, b) => a - b) };
}
