// A transaction unit's call, and its guards. A unit through the Liquidator is simulated first with
// loose guards (no minimum output, no minimum profit): the simulation, which runs the block's units
// one after the other, is then the quote, exact for the state each swap meets, including the swaps
// of the units before it. The call sent carries guards from what the simulation got: each swap's
// minimum output is its simulated rate less SWAP_SLIPPAGE_BPS, each item's minimum profit the plan's
// floor (MIN_PROFIT and its gas), so the chain pays at least that or the loan moves nothing; items the
// simulation skipped and loans it failed, or whose profit falls short of their floors, are left out.
// Pure: units, simulated events and settings in, calls and reasons out.
import type { Address } from "viem";
import type { LiquidationPlan } from "../scheduler/plan.js";
import type { TxUnit, UnitLoan } from "../scheduler/txUnit.js";
import { debtReservation } from "../scheduler/plan.js";
import { flashDeadline, liquidationCall, liquidatorCall, OUT_PER_IN_SCALE, type LiquidatorLoan, type PoolCall } from "./poolCall.js";
import type { LiquidatorLoanOutcome } from "./receipts.js";

const BPS = 10_000n;

/** What an item passes to liquidationCall: a flash plan its loan, a wallet plan what the wallet reserves for it. */
export function itemDebtToCover(plan: LiquidationPlan): bigint {
  return plan.capital === "flashLoan" && plan.flashLoan ? plan.flashLoan.loanAmount : debtReservation(plan);
}

/** The least profit (debt units) an item asks of its loan: a flash plan's floor (MIN_PROFIT and its gas); a wallet item keeps its collateral: none. */
export function itemMinProfit(plan: LiquidationPlan): bigint {
  return plan.capital === "flashLoan" ? (plan.flashLoan?.minProfit ?? 0n) : 0n;
}

/** The deadline of a unit's Liquidator call: its earliest plan's. */
export function unitDeadline(unit: TxUnit): bigint {
  return unit.plans.reduce((d, p) => (flashDeadline(p) < d ? flashDeadline(p) : d), flashDeadline(unit.plans[0]!));
}

/** The unit's loans as the contract takes them; `loose`: no minimum output, no minimum profit (a measurement). */
export function liquidatorLoans(unit: Extract<TxUnit, { via: "liquidator" }>, loose: boolean): LiquidatorLoan[] {
  return unit.loans.map((loan) => ({
    debtAsset: loan.debtAsset,
    amount: loan.amount,
    funding: loan.funding,
    items: loan.items.map((i) => {
      const plan = unit.plans[i]!;
      return {
        collateralAsset: plan.collateralAsset,
        user: plan.user,
        debtToCover: itemDebtToCover(plan),
        minProfit: loose ? 0n : itemMinProfit(plan),
      };
    }),
    swaps: loan.swaps.map((s) => ({ path: s.path, minOutPerIn: loose ? 0n : s.minOutPerIn })),
  }));
}

/** The call a unit sends: Pool.liquidationCall for a wallet plan without the Liquidator, else Liquidator.liquidate. */
export function unitCall(unit: TxUnit, loose = false): PoolCall {
  if (unit.via === "pool") return liquidationCall(unit.pool, unit.plans[0]);
  return liquidatorCall(unit.liquidator, liquidatorLoans(unit, loose), unitDeadline(unit));
}

/** What a measurement said of one plan of the unit. */
export type MeasuredPlan = { kept: true; plan: LiquidationPlan } | { kept: false; plan: LiquidationPlan; reason: string };

export interface Guarded {
  /** the unit to send (undefined: nothing of it goes through) */
  unit?: TxUnit;
  /** per plan of the measured unit, in its order: kept (with what the simulation expects of it) or why not */
  plans: MeasuredPlan[];
}

/**
 * The unit to send after its loose simulation's loan outcomes (in loan order): skipped items and failed
 * loans out, each kept flash item's expected profit the simulation's (its share of its loan's: its
 * swap's output in proportion to what it seized, less what it repaid and its share of the premium),
 * items whose share falls short of their floor out, and each swap's minimum output per unit in the
 * simulated rate less `slippageBps`.
 */
export function guardUnit(
  unit: Extract<TxUnit, { via: "liquidator" }>,
  outcomes: readonly LiquidatorLoanOutcome[],
  o: { slippageBps: number },
): Guarded {
  const verdict = new Map<number, MeasuredPlan>();
  const loans: UnitLoan[] = [];
  unit.loans.forEach((loan, l) => {
    const outcome = outcomes[l];
    if (outcome === undefined || outcome.loan !== l) {
      for (const i of loan.items) verdict.set(i, { kept: false, plan: unit.plans[i]!, reason: "the simulation did not run this loan" });
      return;
    }
    if (!outcome.settled) {
      for (const i of loan.items) verdict.set(i, { kept: false, plan: unit.plans[i]!, reason: outcome.reason });
      return;
    }
    // The loan's items' events, in order (a settled loan has one per item).
    const liquidated: { i: number; repaid: bigint; seized: bigint }[] = [];
    loan.items.forEach((i, k) => {
      const event = outcome.items[k];
      const plan = unit.plans[i]!;
      if (!event || event.user.toLowerCase() !== plan.user.toLowerCase())
        verdict.set(i, { kept: false, plan, reason: "no event for it in the simulation" });
      else if (event.kind === "skipped") verdict.set(i, { kept: false, plan, reason: event.reason });
      else liquidated.push({ i, repaid: event.debtRepaid, seized: event.collateralSeized });
    });
    const swapOf = (asset: Address) => outcome.swaps.find((s) => s.tokenIn.toLowerCase() === asset.toLowerCase());
    const seizedOf = (asset: Address) =>
      liquidated.filter((x) => unit.plans[x.i]!.collateralAsset.toLowerCase() === asset.toLowerCase()).reduce((s, x) => s + x.seized, 0n);
    const kept: number[] = [];
    const loanAmountKept = liquidated.reduce((s, x) => s + itemDebtToCover(unit.plans[x.i]!), 0n);
    for (const x of liquidated) {
      const plan = unit.plans[x.i]!;
      if (plan.capital !== "flashLoan" || !plan.flashLoan) {
        kept.push(x.i);
        verdict.set(x.i, { kept: true, plan });
        continue;
      }
      const same = plan.collateralAsset.toLowerCase() === loan.debtAsset.toLowerCase();
      const swap = same ? undefined : swapOf(plan.collateralAsset);
      const total = same ? 0n : seizedOf(plan.collateralAsset);
      const out = same ? x.seized : swap && total > 0n ? (swap.amountOut * x.seized) / total : 0n;
      const premiumBps = plan.flashLoan.premiumTotalBps;
      const premium = (((loan.amount * premiumBps) / BPS) * itemDebtToCover(plan)) / (loanAmountKept > 0n ? loanAmountKept : 1n);
      const profit = out - x.repaid - premium;
      if (profit < itemMinProfit(plan)) {
        verdict.set(x.i, {
          kept: false,
          plan,
          reason: `the simulated profit ${profit} is below its minimum ${itemMinProfit(plan)} (debt units)`,
        });
        continue;
      }
      kept.push(x.i);
      verdict.set(x.i, { kept: true, plan: withMeasured(plan, { out, repaid: x.repaid, seized: x.seized, premium, profit }) });
    }
    if (kept.length === 0) return;
    const swaps = loan.swaps.flatMap((s) => {
      const measured = swapOf(s.tokenIn);
      if (
        !measured ||
        measured.amountIn === 0n ||
        !kept.some((i) => unit.plans[i]!.collateralAsset.toLowerCase() === s.tokenIn.toLowerCase())
      )
        return [];
      const rate = (measured.amountOut * OUT_PER_IN_SCALE) / measured.amountIn;
      return [{ ...s, minOutPerIn: (rate * (BPS - BigInt(o.slippageBps))) / BPS }];
    });
    loans.push({ ...loan, items: kept, swaps, amount: loan.funding === "flashLoan" ? loanAmountOf(kept, unit.plans) : loan.amount });
  });
  const plans = unit.plans.map((plan, i) => verdict.get(i) ?? { kept: false as const, plan, reason: "in no loan" });
  if (loans.length === 0) return { plans };
  // The unit keeps its kept plans, renumbered in their order.
  const order = loans.flatMap((l) => l.items);
  const index = new Map(order.map((i, k) => [i, k]));
  const keptPlans = order.map((i) => (plans[i] as { plan: LiquidationPlan }).plan);
  const renumbered = loans.map((l) => ({ ...l, items: l.items.map((i) => index.get(i)!) }));
  return { unit: { ...unit, plans: keptPlans, loans: renumbered }, plans };
}

/** A flash loan's amount: what its items may repay. */
function loanAmountOf(items: readonly number[], plans: readonly LiquidationPlan[]): bigint {
  return items.reduce((s, i) => s + itemDebtToCover(plans[i]!), 0n);
}

/**
 * The plan as the simulation found it: its swap's share, its profit in the debt asset and in base
 * currency (at the price the plan valued its debt with: debtValueBase per expectedDebtRepaid).
 */
function withMeasured(
  plan: LiquidationPlan,
  m: { out: bigint; repaid: bigint; seized: bigint; premium: bigint; profit: bigint },
): LiquidationPlan {
  const terms = plan.flashLoan!;
  const perUnit = plan.expectedDebtRepaid > 0n ? plan.debtValueBase : 0n;
  const profitBase = perUnit > 0n ? (m.profit * perUnit) / plan.expectedDebtRepaid - plan.gasCostBase : plan.expectedProfitBase;
  return {
    ...plan,
    expectedDebtRepaid: m.repaid,
    expectedCollateralSeized: m.seized,
    expectedProfitBase: profitBase,
    flashLoan: { ...terms, quotedAmountIn: m.seized, quotedAmountOut: m.out, expectedProfit: m.profit, premium: m.premium },
  };
}
