// Health factor bit-exact with GenericLogic.calculateUserAccountData of the deployed version.
// The work is split in three: snapshotMarket (per block), compileAccount (per position change)
// and evaluateAccount (per block per account) which is the hot loop. evaluateAccount keeps each
// position's intermediate values keyed by the inputs they came from (index, price, LT), so a new
// price for one asset redoes only that asset's multiply and the account totals.
import { eModeView, snapshotMarket, type MarketSnapshot } from "./marketSnapshot.js";
import type { ProtocolRules } from "./rules.js";
import type { AccountHealth, AccountPosition, Address, MarketState, StableDebtPosition } from "./types.js";
import { userReserveIds } from "./userConfiguration.js";
import { MathRevertError, MAX_UINT256 } from "./wadRayMath.js";

/** Sentinel for "not computed yet": no index or price is negative. */
const NONE = -1n;
// Module-local copies: hot code must not go through a transpiler's live-binding getters.
const MAX = MAX_UINT256;

export interface CollateralSlot {
  readonly id: number;
  scaled: bigint;
  /** Number(scaled), for the screening pass */
  fScaled: number;
  /** normalizedIncome the balance was computed with */
  idx: bigint;
  bal: bigint;
  /** price the base value was computed with */
  price: bigint;
  base: bigint;
}

export interface DebtSlot {
  readonly id: number;
  scaled: bigint;
  fScaled: number;
  stable: StableDebtPosition | null;
  /** normalizedDebt the variable balance was computed with */
  idx: bigint;
  /** timestamp the stable balance was computed at */
  ts: bigint;
  varBal: bigint;
  stableBal: bigint;
  price: bigint;
  base: bigint;
}

/**
 * An account prepared for fast evaluation. evaluateAccount stores the exact totals
 * (TC, ΣLT·collateral, TD) and a float bracket [hfLo, hfHi] guaranteed to contain HF/1e18;
 * the exact avgLT/HF/LTV divisions are done only when someone asks (exactHealth / healthOf),
 * or when the bracket straddles the liquidation threshold.
 */
export interface CompiledAccount {
  readonly user: Address;
  readonly eModeCategory: number;
  readonly userConfig: bigint;
  /** Reserves with the collateral bit set, ascending id. */
  readonly collateral: CollateralSlot[];
  /** Reserves with the borrowing bit set, ascending id. */
  readonly debt: DebtSlot[];
  /** Some debt slot has a stable position (screened through the slot objects instead). */
  readonly hasStable: boolean;
  /** Snapshot of the last evaluation, exact or screened (undefined before the first). */
  snapshot: MarketSnapshot | undefined;
  /** Snapshot the bigint totals below are exact for. */
  exactSnapshot: MarketSnapshot | undefined;
  totalCollateralBase: bigint;
  /** Σ collateralBase · LT (GenericLogic's avgLiquidationThreshold before the division). */
  weightedLiquidationThreshold: bigint;
  totalDebtBase: bigint;
  hfLo: number;
  hfHi: number;
  /** Exact result, filled lazily. */
  exact: AccountHealth | undefined;
}

/**
 * GenericLogic iterates the user-configuration bits, not the balances: a set bit with no scaled
 * balance counts as 0, a balance without its bit is ignored.
 */
export function compileAccount(position: AccountPosition, rules: ProtocolRules): CompiledAccount {
  const ids = userReserveIds(position.userConfig);
  const collateral: CollateralSlot[] = ids.collateral.map((id) => {
    const scaled = position.scaledCollateral.get(id) ?? 0n;
    return { id, scaled, fScaled: Number(scaled), idx: NONE, bal: 0n, price: NONE, base: 0n };
  });
  const debt: DebtSlot[] = ids.borrowing.map((id) => {
    const scaled = position.scaledVariableDebt.get(id) ?? 0n;
    return {
      id,
      scaled,
      fScaled: Number(scaled),
      stable: rules.hasStableDebt ? (position.stableDebt.get(id) ?? null) : null,
      idx: NONE,
      ts: NONE,
      varBal: 0n,
      stableBal: 0n,
      price: NONE,
      base: 0n,
    };
  });
  return {
    user: position.user,
    eModeCategory: position.eModeCategory,
    userConfig: position.userConfig,
    collateral,
    debt,
    hasStable: debt.some((d) => d.stable !== null),
    snapshot: undefined,
    exactSnapshot: undefined,
    totalCollateralBase: 0n,
    weightedLiquidationThreshold: 0n,
    totalDebtBase: 0n,
    hfLo: Infinity,
    hfHi: Infinity,
    exact: undefined,
  };
}

function overflow(): never {
  throw new MathRevertError("calculateUserAccountData", "uint256 overflow");
}

/**
 * Recomputes `acc`'s totals against `snapshot` in place (the per-block hot loop).
 * Position values are cached keyed by the index/price they came from, so when one reserve's price
 * moved only that position is redone.
 */
export function evaluateAccount(acc: CompiledAccount, snapshot: MarketSnapshot): void {
  const rules = snapshot.rules;
  const reserves = snapshot.reserves;
  const view = snapshot.views[acc.eModeCategory] ?? eModeView(snapshot, acc.eModeCategory);
  const prices = view.price;
  const lts = view.liquidationThreshold;
  const counts = view.countsAsCollateral;
  let tc = 0n;
  let sLt = 0n;
  const coll = acc.collateral;
  for (let k = 0; k < coll.length; k++) {
    const c = coll[k]!;
    const id = c.id;
    const rs = reserves[id];
    // reservesList[i] == address(0) (dropped reserve) and reserve LT == 0 are skipped by the contract.
    if (rs === undefined || !counts[id]) continue;
    const li = rs.normalizedIncome;
    const price = prices[id]!;
    if (c.idx !== li) {
      c.bal = rules.collateralBalance(c.scaled, li);
      c.idx = li;
      c.base = rules.collateralInBase(c.bal, price, rs.unit);
      c.price = price;
    } else if (c.price !== price) {
      c.base = rules.collateralInBase(c.bal, price, rs.unit);
      c.price = price;
    }
    tc += c.base;
    sLt += c.base * lts[id]!;
  }
  // All terms are non-negative, so a checked `+=`/`*` overflow anywhere shows in the final sums.
  if (sLt > MAX) overflow();

  let td = 0n;
  const debt = acc.debt;
  const t = snapshot.timestamp;
  for (let k = 0; k < debt.length; k++) {
    const d = debt[k]!;
    const id = d.id;
    const rs = reserves[id];
    if (rs === undefined) continue;
    let dirty = false;
    const vi = rs.normalizedDebt;
    if (d.idx !== vi) {
      d.varBal = rules.variableDebtBalance(d.scaled, vi);
      d.idx = vi;
      dirty = true;
    }
    if (d.stable !== null && d.ts !== t) {
      d.stableBal = rules.stableDebtBalance(d.stable, t);
      d.ts = t;
      dirty = true;
    }
    const price = prices[id]!;
    if (dirty || d.price !== price) {
      // _getUserDebtInBaseCurrency: (variable + stable) * price / unit, one floor per reserve.
      d.base = rules.debtInBase(d.varBal + d.stableBal, price, rs.unit);
      d.price = price;
    }
    td += d.base;
  }
  if (td > MAX) overflow();

  acc.snapshot = snapshot;
  acc.exactSnapshot = snapshot;
  acc.totalCollateralBase = tc;
  acc.weightedLiquidationThreshold = sLt;
  acc.totalDebtBase = td;
  acc.exact = undefined;
  if (td === 0n) {
    acc.hfLo = Infinity;
    acc.hfHi = Infinity;
  } else {
    // HF·1e4·TD lies in [S − a·TC − b, S + c] before the final wadDiv (±0.5 wei), with the version's
    // slack (rules.healthFactorSlack: V3.0 truncates avgLT = ⌊S/TC⌋ and rounds percentMul half-up; 3.5+
    // divides S directly). The float margins (1e-12 relative, far above the few ulps of error, and 1e-15
    // absolute, above the ±1e-18 of the last divisions) keep the bracket rigorous.
    const slack = rules.healthFactorSlack;
    const s = Number(sLt);
    const c = Number(tc);
    const d = 1e4 * Number(td);
    acc.hfLo = ((s - slack.tcSlack * c - slack.lowSlack - 1e-12 * (s + c)) / d) * (1 - 1e-12) - 1e-15;
    acc.hfHi = ((s + slack.highSlack + 1e-12 * s) / d) * (1 + 1e-12) + 1e-15;
  }
}

/** The exact Pool.getUserAccountData figures for the last evaluation (computed once, then cached). */
export function healthOf(acc: CompiledAccount): AccountHealth {
  const snapshot = acc.snapshot;
  if (snapshot === undefined) throw new Error(`account ${acc.user} has not been evaluated yet`);
  if (acc.exactSnapshot !== snapshot) evaluateAccount(acc, snapshot); // last pass was a float screen
  if (acc.exact !== undefined) return acc.exact;
  const tc = acc.totalCollateralBase;
  const hf = snapshot.rules.healthFactor(tc, acc.weightedLiquidationThreshold, acc.totalDebtBase);
  // avgLtv is not needed to find liquidations, so it is summed here rather than in the hot loop.
  let sLtv = 0n;
  if (tc !== 0n) {
    const view = eModeView(snapshot, acc.eModeCategory);
    for (const c of acc.collateral) {
      if (snapshot.reserves[c.id] === undefined || !view.countsAsCollateral[c.id]) continue;
      sLtv += c.base * view.ltv[c.id]!;
    }
    if (sLtv > MAX) overflow();
  }
  acc.exact = {
    totalCollateralBase: tc,
    totalDebtBase: acc.totalDebtBase,
    avgLiquidationThreshold: hf.avgLiquidationThreshold,
    healthFactor: hf.healthFactor,
    ltv: tc === 0n ? 0n : sLtv / tc,
  };
  return acc.exact;
}

/** Exact `healthFactor < threshold`, doing the bigint divisions only when the float bracket straddles it. */
export function isLiquidatable(acc: CompiledAccount): boolean {
  if (acc.hfHi < 1) return true;
  if (acc.hfLo >= 1) return false;
  const snapshot = acc.snapshot;
  if (snapshot === undefined) return false;
  return healthOf(acc).healthFactor < snapshot.rules.liquidationThreshold;
}

export function computeAccountHealthFromSnapshot(position: AccountPosition, snapshot: MarketSnapshot): AccountHealth {
  const acc = compileAccount(position, snapshot.rules);
  evaluateAccount(acc, snapshot);
  return healthOf(acc);
}

/** Pool.getUserAccountData at a block with timestamp `timestamp` (HF = 2^256-1 when there is no debt). */
export function computeAccountHealth(
  position: AccountPosition,
  market: MarketState,
  rules: ProtocolRules,
  timestamp: bigint,
): AccountHealth {
  return computeAccountHealthFromSnapshot(position, snapshotMarket(market, rules, timestamp));
}
