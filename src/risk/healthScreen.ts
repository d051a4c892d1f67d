// Float screening of the health factor: a rigorous bracket [hfLo, hfHi] ∋ HF/1e18 from float64
// arithmetic, about 10x cheaper than the bigint path. Accounts whose bracket lies entirely on one side
// of 1 are decided without bigint work; the rest (HF within ~1e-4 of 1) get the exact evaluation.
//
// Why the bracket holds, for every version's rounding (half-up ≤3.4, floor/ceil ≥3.5):
// - balance = scaled·index/RAY off by ≤ 1 token unit, base = balance·P/U off by ≤ 1 base unit,
//   so |exact base − real value| ≤ P/U + 1 (EModeView.fBaseError, rounded up);
// - float products/sums carry ≤ ~10 ulp (≈1e-15) relative error; we allow 1e-12;
// - HF/1e18 ∈ [(S − a·TC − b)/(1e4·TD) − 1e-18, (S + c)/(1e4·TD) + 1e-18] with the version's slack
//   (rules.healthFactorSlack): V3.0's wadDiv(percentMul(TC, ⌊S/TC⌋), TD) has a = 1, b = 1e4, c = 5e3;
//   3.5+'s wadDiv(S, TD)/1e4 has none (a = b = c = 0), so its bracket is ~TC/S (about 1e-4) tighter.
import type { CompiledAccount } from "./healthFactor.js";
import { eModeView, type MarketSnapshot } from "./marketSnapshot.js";
import type { HealthFactorSlack } from "./rules.js";

const REL = 1e-12;
/** Beyond this the bigint path must run: it alone reproduces uint256 overflow reverts. */
const HUGE = 1e70;

/**
 * Screens `acc` against `snapshot`: sets hfLo/hfHi and returns true when the bracket alone decides
 * HF < 1e18 (the caller then skips the exact evaluation). Returns false when it cannot decide.
 */
export function screenAccount(acc: CompiledAccount, snapshot: MarketSnapshot): boolean {
  const reserves = snapshot.reserves;
  const view = snapshot.views[acc.eModeCategory] ?? eModeView(snapshot, acc.eModeCategory);
  const pu = view.fPriceOverUnit;
  const err = view.fBaseError;
  const lts = view.fLiquidationThreshold;
  const counts = view.countsAsCollateral;
  let s = 0;
  let sErr = 0;
  let tc = 0;
  let tcErr = 0;
  const coll = acc.collateral;
  for (let k = 0; k < coll.length; k++) {
    const c = coll[k]!;
    const id = c.id;
    const rs = reserves[id];
    if (rs === undefined || !counts[id]) continue;
    const v = c.fScaled * rs.fIncome * pu[id]!;
    const e = err[id]!;
    const lt = lts[id]!;
    tc += v;
    tcErr += e;
    s += v * lt;
    sErr += e * lt;
  }
  let td = 0;
  let tdErr = 0;
  let anyDebt = false;
  const debt = acc.debt;
  const t = snapshot.timestamp;
  for (let k = 0; k < debt.length; k++) {
    const d = debt[k]!;
    const id = d.id;
    const rs = reserves[id];
    if (rs === undefined) continue;
    anyDebt = true;
    let bal = d.fScaled * rs.fDebtIndex;
    if (d.stable !== null) {
      // Stable balances depend on the user's own rate and timestamp: computed exactly (cached per timestamp).
      if (d.ts !== t) {
        d.stableBal = snapshot.rules.stableDebtBalance(d.stable, t);
        d.ts = t;
        d.price = -1n; // the exact base value must be redone too
      }
      bal += Number(d.stableBal);
    }
    td += bal * pu[id]!;
    tdErr += err[id]!;
  }
  acc.snapshot = snapshot;
  acc.exact = undefined;
  const decided = bracket(s, sErr, tc, tcErr, td, tdErr, anyDebt, snapshot.rules.healthFactorSlack, BRACKET, 0);
  acc.hfLo = BRACKET[0]!;
  acc.hfHi = BRACKET[1]!;
  return decided;
}

const BRACKET = new Float64Array(2);

/**
 * Writes [hfLo, hfHi] to out[o], out[o+1] from float totals and their error bounds; returns whether
 * the bracket decides HF < 1e18. Without any debt read, HF = type(uint256).max exactly.
 */
function bracket(
  s: number,
  sErr: number,
  tc: number,
  tcErr: number,
  td: number,
  tdErr: number,
  anyDebt: boolean,
  slack: HealthFactorSlack,
  out: Float64Array,
  o: number,
): boolean {
  if (!anyDebt) {
    out[o] = Infinity;
    out[o + 1] = Infinity;
    return true;
  }
  const sHi = s * (1 + REL) + sErr;
  if (!(sHi <= HUGE && td <= HUGE)) {
    out[o] = 0;
    out[o + 1] = Infinity;
    return false;
  }
  const sLo = s * (1 - REL) - sErr;
  const tcHi = tc * (1 + REL) + tcErr;
  const tdLo = td * (1 - REL) - tdErr;
  const tdHi = td * (1 + REL) + tdErr;
  const num = sLo - slack.tcSlack * tcHi - slack.lowSlack;
  const lo = num > 0 ? (num / (1e4 * tdHi)) * (1 - REL) - 1e-15 : 0;
  const hi = tdLo > 0 ? ((sHi + slack.highSlack) / (1e4 * tdLo)) * (1 + REL) + 1e-15 : Infinity;
  out[o] = lo;
  out[o + 1] = hi;
  return hi < 1 || lo >= 1;
}

/**
 * Layout of one account in a packed Float64Array (used by AccountBook for cache-friendly scans):
 * [hfLo, hfHi, nCollateral, nDebt, (id, Number(scaled)) × (nCollateral + nDebt)].
 * nCollateral = -1 marks an account that must be screened through its CompiledAccount (stable debt
 * or more than PACKED_MAX_POSITIONS positions).
 */
export const PACKED_MAX_POSITIONS = 8;
export const PACKED_STRIDE = 4 + 2 * PACKED_MAX_POSITIONS;

/** Packs `acc` at offset o; returns false (and marks it) when it needs the object path. */
export function packAccount(acc: CompiledAccount, out: Float64Array, o: number): boolean {
  out[o] = 0;
  out[o + 1] = Infinity;
  const n = acc.collateral.length + acc.debt.length;
  if (acc.hasStable || n > PACKED_MAX_POSITIONS) {
    out[o + 2] = -1;
    out[o + 3] = 0;
    return false;
  }
  out[o + 2] = acc.collateral.length;
  out[o + 3] = acc.debt.length;
  let k = o + 4;
  for (const c of acc.collateral) {
    out[k++] = c.id;
    out[k++] = c.fScaled;
  }
  for (const d of acc.debt) {
    out[k++] = d.id;
    out[k++] = d.fScaled;
  }
  return true;
}

/** screenAccount for a packed account (see packAccount); writes the bracket into out[o], out[o+1]. */
export function screenPacked(out: Float64Array, o: number, eModeCategory: number, snapshot: MarketSnapshot): boolean {
  const reserves = snapshot.reserves;
  const view = snapshot.views[eModeCategory] ?? eModeView(snapshot, eModeCategory);
  const pu = view.fPriceOverUnit;
  const err = view.fBaseError;
  const lts = view.fLiquidationThreshold;
  const counts = view.countsAsCollateral;
  let s = 0;
  let sErr = 0;
  let tc = 0;
  let tcErr = 0;
  const collEnd = o + 4 + 2 * out[o + 2]!;
  const end = collEnd + 2 * out[o + 3]!;
  for (let k = o + 4; k < collEnd; k += 2) {
    const id = out[k]! | 0;
    const rs = reserves[id];
    if (rs === undefined || !counts[id]) continue;
    const v = out[k + 1]! * rs.fIncome * pu[id]!;
    const e = err[id]!;
    const lt = lts[id]!;
    tc += v;
    tcErr += e;
    s += v * lt;
    sErr += e * lt;
  }
  let td = 0;
  let tdErr = 0;
  let anyDebt = false;
  for (let k = collEnd; k < end; k += 2) {
    const id = out[k]! | 0;
    const rs = reserves[id];
    if (rs === undefined) continue;
    anyDebt = true;
    td += out[k + 1]! * rs.fDebtIndex * pu[id]!;
    tdErr += err[id]!;
  }
  return bracket(s, sErr, tc, tcErr, td, tdErr, anyDebt, snapshot.rules.healthFactorSlack, out, o);
}
