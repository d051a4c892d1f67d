// Seeded synthetic markets and accounts for the risk-engine tests and the benchmark.
import type { AccountPosition, Address, EModeCategoryState, MarketState, ReserveState, StableDebtPosition } from "../../src/risk/types.js";
import { buildUserConfig } from "../../src/risk/userConfiguration.js";
import { RAY } from "../../src/risk/wadRayMath.js";

/** mulberry32: tiny deterministic PRNG, so a failing seed reproduces. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  bool(p: number): boolean {
    return this.next() < p;
  }
  /** Uniform-ish bigint in [0, 2^bits). */
  bits(bits: number): bigint {
    let x = 0n;
    for (let b = 0; b < bits; b += 32) x = (x << 32n) | BigInt(Math.floor(this.next() * 4294967296));
    return x & ((1n << BigInt(bits)) - 1n);
  }
  /** Random bigint in [lo, hi]. */
  range(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    return lo + (this.bits(span.toString(2).length + 16) % span);
  }
}

export function addr(prefix: number, i: number): Address {
  return `0x${prefix.toString(16).padStart(2, "0")}${i.toString(16).padStart(38, "0")}` as Address;
}

export const ZERO: Address = "0x0000000000000000000000000000000000000000";

export interface MarketOptions {
  reserves?: number;
  timestamp?: bigint;
  /** eMode category 2 has a priceSource (V3.0 feature). */
  eModePriceSource?: boolean;
  /** The last reserve has LT = 0 (enabled collateral that does not count on V3.0, counts in TC on 3.6). */
  ltZeroReserve?: boolean;
  /**
   * 3.2+ layout: eMode membership by the categories' bitmaps (reserves' category bits 0, no priceSource);
   * in category 2 the second member is LTV-zero (ltvzeroBitmap) and the LT-0 reserve, if any, is a member.
   */
  bitmaps?: boolean;
}

/** Whether reserve `r` takes category `eMode`'s parameters, in either layout (for building accounts). */
export function isEModeMember(market: MarketState, r: ReserveState, eMode: number): boolean {
  if (eMode === 0) return false;
  const c = market.eModes.get(eMode);
  return r.eModeCategory === eMode || (c !== undefined && ((c.collateralBitmap >> BigInt(r.id)) & 1n) === 1n);
}

/**
 * Reserves 0-19 with decimals 6/8/18, prices in 1e8 USD. eMode 1 = "stables" (ids ≡ 0 mod 5),
 * eMode 2 = "ETH-like" (ids ≡ 1 mod 5), the latter with a priceSource when asked.
 */
export function makeMarket(rng: Rng, opts: MarketOptions = {}): MarketState {
  const n = opts.reserves ?? 20;
  const ts = opts.timestamp ?? 1_700_000_000n;
  const reserves: ReserveState[] = [];
  for (let id = 0; id < n; id++) {
    const decimals = rng.pick([6, 8, 18] as const);
    const cat = id % 5 === 0 ? 1 : id % 5 === 1 ? 2 : 0;
    const lt = opts.ltZeroReserve && id === n - 1 ? 0 : rng.int(6000, 9000);
    const ltv = lt === 0 ? 0 : rng.bool(0.1) ? 0 : rng.int(lt - 1500, lt - 100);
    const price =
      cat === 1
        ? rng.range(99_000_000n, 101_000_000n)
        : cat === 2
          ? rng.range(2_000n * 10n ** 8n, 4_000n * 10n ** 8n)
          : rng.range(10n ** 6n, 60_000n * 10n ** 8n);
    reserves.push({
      asset: addr(0xaa, id),
      id,
      decimals,
      unit: 10n ** BigInt(decimals),
      ltv,
      liquidationThreshold: lt,
      liquidationBonus: lt === 0 ? 0 : rng.int(10_100, 11_500),
      liquidationProtocolFee: rng.pick([0, 1000, 2000]),
      eModeCategory: opts.bitmaps ? 0 : cat,
      active: true,
      frozen: false,
      paused: false,
      borrowingEnabled: true,
      flashLoanEnabled: true,
      liquidityIndex: RAY + rng.range(0n, RAY / 5n),
      variableBorrowIndex: RAY + rng.range(0n, RAY / 3n),
      currentLiquidityRate: rng.range(0n, RAY / 10n),
      currentVariableBorrowRate: rng.range(0n, RAY / 4n),
      lastUpdateTimestamp: ts - BigInt(rng.int(0, 7200)),
      aToken: addr(0xa1, id),
      variableDebtToken: addr(0xd1, id),
      stableDebtToken: addr(0x51, id),
      price,
      liquidationGracePeriodUntil: 0n,
    });
  }
  const bitmap = (ids: number[]) => ids.reduce((b, id) => b | (1n << BigInt(id)), 0n);
  const members = (cat: number) => reserves.filter((r) => r.id % 5 === (cat === 1 ? 0 : 1)).map((r) => r.id);
  const ltZero = opts.ltZeroReserve ? [n - 1] : [];
  const eth = [...members(2), ...ltZero];
  const eModes = new Map<number, EModeCategoryState>();
  eModes.set(1, {
    id: 1,
    ltv: 9300,
    liquidationThreshold: 9500,
    liquidationBonus: 10100,
    priceSource: ZERO,
    priceSourcePrice: 0n,
    label: "Stablecoins",
    collateralBitmap: opts.bitmaps ? bitmap(members(1)) : 0n,
    borrowableBitmap: opts.bitmaps ? bitmap(members(1)) : 0n,
    ltvzeroBitmap: 0n,
  });
  eModes.set(2, {
    id: 2,
    ltv: 9000,
    liquidationThreshold: 9300,
    liquidationBonus: 10100,
    priceSource: opts.eModePriceSource && !opts.bitmaps ? addr(0xee, 2) : ZERO,
    priceSourcePrice: opts.eModePriceSource && !opts.bitmaps ? rng.range(2_000n * 10n ** 8n, 4_000n * 10n ** 8n) : 0n,
    label: "ETH correlated",
    collateralBitmap: opts.bitmaps ? bitmap(eth) : 0n,
    borrowableBitmap: opts.bitmaps ? bitmap(members(2)) : 0n,
    ltvzeroBitmap: opts.bitmaps && eth.length > 1 ? bitmap([eth[1]!]) : 0n,
  });
  return { reserves, eModes, baseCurrencyUnit: 10n ** 8n, flashLoanPremiumTotal: 5n };
}

export interface AccountOptions {
  /** Probability of a stable-debt position on each borrowed reserve. */
  stableProb?: number;
  eModeProb?: number;
  /** Target HF range (approximate). */
  hfLo?: number;
  hfHi?: number;
}

function scaledFor(valueUsd: number, r: ReserveState, index: bigint): bigint {
  // amount = value / price (token units), scaled = amount / index; precision is irrelevant here.
  const amount = (BigInt(Math.floor(valueUsd * 1e6)) * 10n ** 8n * r.unit) / (r.price * 1_000_000n);
  return (amount * RAY) / index;
}

export function makeAccount(rng: Rng, market: MarketState, i: number, opts: AccountOptions = {}): AccountPosition {
  const reserves = market.reserves.filter((r): r is ReserveState => r !== undefined);
  const eMode = rng.bool(opts.eModeProb ?? 0.15) ? rng.pick([1, 2]) : 0;
  const nColl = rng.int(1, 3);
  const nDebt = rng.int(1, 2);
  const coll = new Set<number>();
  while (coll.size < nColl) coll.add(rng.pick(reserves).id);
  // An eMode user may only borrow assets of the category (V3.0: its members; 3.2+: its borrowable bitmap).
  const cat = market.eModes.get(eMode);
  const borrowable =
    eMode === 0
      ? reserves
      : reserves.filter((r) => r.eModeCategory === eMode || (cat !== undefined && ((cat.borrowableBitmap >> BigInt(r.id)) & 1n) === 1n));
  const debt = new Set<number>();
  while (debt.size < Math.min(nDebt, borrowable.length)) debt.add(rng.pick(borrowable).id);

  const scaledCollateral = new Map<number, bigint>();
  let collValue = 0;
  let weighted = 0;
  for (const id of coll) {
    const r = market.reserves[id]!;
    const v = Math.exp(rng.next() * Math.log(1e6 / 100)) * 100; // $100 .. $1M, log-uniform
    scaledCollateral.set(id, scaledFor(v, r, r.liquidityIndex));
    collValue += v;
    const lt = isEModeMember(market, r, eMode) ? market.eModes.get(eMode)!.liquidationThreshold : r.liquidationThreshold;
    weighted += (v * lt) / 1e4;
  }
  const hf = (opts.hfLo ?? 0.7) + rng.next() * ((opts.hfHi ?? 2.5) - (opts.hfLo ?? 0.7));
  const debtValue = Math.max(weighted, collValue * 0.05) / hf;
  const scaledVariableDebt = new Map<number, bigint>();
  const stableDebt = new Map<number, StableDebtPosition>();
  const debtIds = [...debt];
  for (const id of debtIds) {
    const r = market.reserves[id]!;
    const v = debtValue / debtIds.length;
    if (rng.bool(opts.stableProb ?? 0)) {
      const stableShare = rng.next();
      scaledVariableDebt.set(id, scaledFor(v * (1 - stableShare), r, r.variableBorrowIndex));
      stableDebt.set(id, {
        principal: scaledFor(v * stableShare, r, RAY),
        stableRate: rng.range(RAY / 50n, RAY / 5n),
        lastUpdated: r.lastUpdateTimestamp - BigInt(rng.int(0, 86_400 * 30)),
      });
    } else {
      scaledVariableDebt.set(id, scaledFor(v, r, r.variableBorrowIndex));
    }
  }
  return {
    user: addr(0xbb, i),
    eModeCategory: eMode,
    userConfig: buildUserConfig(coll, debt),
    scaledCollateral,
    scaledVariableDebt,
    stableDebt,
  };
}
