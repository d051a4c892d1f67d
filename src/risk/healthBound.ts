// How far a health factor can have fallen between two snapshots of the same market, without looking
// at the account: HF = Σ collateral·income·price·LT / Σ debt·debtIndex·price, so when every reserve's
// collateral term moves by at least a factor c and every debt term by at most a factor d, every HF
// moves by at least c / d. Per eMode category (its prices and LTs). The watcher uses it to re-evaluate
// first, in a new block, only the accounts that can have crossed 1, and the rest after the block's
// first liquidations are out.
import { eModeView, type MarketSnapshot } from "./marketSnapshot.js";

/** Below this the bound is not used (its error margins assume moves of less than 2x). */
const MIN_FACTOR = 0.5;

/**
 * The factor w ≤ 1 with HF(after) ≥ HF(before)·w for every account in `category` holding only
 * variable debt; 0 when the snapshots cannot be compared (a reserve added or removed, a collateral
 * switched on or off, a zero price or LT, or a move of 2x or more).
 */
export function worstHealthFactor(before: MarketSnapshot, after: MarketSnapshot, category: number): number {
  if (before.rules.version !== after.rules.version || before.reserves.length !== after.reserves.length) return 0;
  const v0 = before.views[category] ?? eModeView(before, category);
  const v1 = after.views[category] ?? eModeView(after, category);
  let collateral = 1;
  let debt = 1;
  for (let id = 0; id < after.reserves.length; id++) {
    const r0 = before.reserves[id];
    const r1 = after.reserves[id];
    if (r0 === undefined || r1 === undefined) {
      if (r0 !== r1) return 0;
      continue;
    }
    const p0 = v0.fPriceOverUnit[id]!;
    const p1 = v1.fPriceOverUnit[id]!;
    if (p0 === 0 && p1 === 0) continue; // counts for nothing, before and after
    if (!(p0 > 0) || !(p1 > 0)) return 0;
    if (v0.countsAsCollateral[id] !== v1.countsAsCollateral[id]) return 0;
    const lt0 = v0.fLiquidationThreshold[id]!;
    const lt1 = v1.fLiquidationThreshold[id]!;
    // A collateral with LT 0 (in this category) adds nothing to the HF, before and after.
    if (v1.countsAsCollateral[id] && !(lt0 === 0 && lt1 === 0)) {
      if (!(lt0 > 0) || !(lt1 > 0)) return 0;
      const c = (r1.fIncome * p1 * lt1) / (r0.fIncome * p0 * lt0);
      if (c < collateral) collateral = c;
    }
    const d = (r1.fDebtIndex * p1) / (r0.fDebtIndex * p0);
    if (d > debt) debt = d;
  }
  const w = collateral / debt;
  return w >= MIN_FACTOR && w <= 1 ? w : w > 1 ? 1 : 0;
}

/**
 * Whether an account whose HF lay in [hfLo, hfHi] at `before` is surely still ≥ 1 after a move by
 * `factor` (worstHealthFactor). The bracket's width stands for the rounding of the exact integer
 * evaluation (a few base units per position, relatively large for dust); twice it is taken off, and
 * 1e-9 on top for float error.
 */
export function surelyHealthy(hfLo: number, hfHi: number, factor: number): boolean {
  if (factor <= 0) return false;
  const lower = (hfLo - 2 * (hfHi - hfLo)) * factor * (1 - 1e-9);
  return lower >= 1 + 1e-9;
}
