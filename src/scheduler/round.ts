// A round's planning, pure: for each liquidatable account (in rank order) the best plan over every
// capital source, then the plans chosen together (most profitable first, within the round's gas
// budget and what each source still covers: a plan the earlier ones left short is planned again),
// then packed into transactions (batch.ts). Accounts in, transaction units and reasons out; the I/O
// (the sources' quotes, the simulations) happens around it (scheduler.ts).
import type { Address } from "viem";
import type { CapitalKind, CapitalSource, RoundTerms, SourcePlan } from "../capital/source.js";
import type { CompiledAccount } from "../risk/healthFactor.js";
import { packUnits, type PackPolicy } from "./batch.js";
import { chooseForBlock } from "./blockPlan.js";
import type { LiquidationPlan } from "./plan.js";
import type { TxUnit } from "./txUnit.js";

export interface RoundInput {
  /** evaluated at terms.snapshot, in the order they should be considered */
  accounts: readonly CompiledAccount[];
  /** in order of preference at equal profit */
  sources: readonly CapitalSource[];
  terms: RoundTerms;
  /** gas that may still be put in flight */
  gasBudget: bigint;
  /** gas one liquidation is expected to take of a block */
  gasPerLiquidation: bigint;
  pack: PackPolicy;
}

/** What each source offered an account, and the plan kept (undefined: none can liquidate it). */
export interface AccountChoice {
  user: CompiledAccount["user"];
  plan?: LiquidationPlan;
  offers: { kind: CapitalKind; outcome: SourcePlan }[];
}

export interface RoundPlan {
  /** the plans chosen, in send order (most profitable first) */
  chosen: LiquidationPlan[];
  units: TxUnit[];
  /** every account considered, chosen or not (a plan chosen but left out by the gas budget is not in the units) */
  choices: AccountChoice[];
}

/** The best plan over the sources (a tie goes to the earlier source: the wallet, one call and no swap). */
export function chooseAccount(account: CompiledAccount, sources: readonly CapitalSource[], terms: RoundTerms): AccountChoice {
  const offers = sources.map((s) => ({ kind: s.kind, outcome: s.plan(account, terms) }));
  let plan: LiquidationPlan | undefined;
  for (const { outcome } of offers) {
    if ("plan" in outcome && (plan === undefined || outcome.plan.expectedProfitBase > plan.expectedProfitBase)) plan = outcome.plan;
  }
  return { user: account.user, ...(plan && { plan }), offers };
}

/** Why no source can liquidate the account, in one line: each source's reason. */
export function whyNone(choice: AccountChoice): string {
  return choice.offers.map((o) => `${o.kind}: ${"skip" in o.outcome ? o.outcome.skip : "planned"}`).join(" | ");
}

export function planRound(input: RoundInput): RoundPlan {
  const { sources, terms } = input;
  const sourceOf = (plan: LiquidationPlan): CapitalSource => {
    const kind: CapitalKind = plan.capital ?? "wallet";
    return sources.find((s) => s.kind === kind) ?? sources[0]!;
  };
  const accountOf = new Map(input.accounts.map((a) => [a.user.toLowerCase(), a]));
  const choices = input.accounts.map((a) => chooseAccount(a, sources, terms));
  const plans = choices.flatMap((c) => (c.plan ? [c.plan] : []));
  const chosen = chooseForBlock(plans, {
    gasBudget: input.gasBudget,
    gasPerLiquidation: input.gasPerLiquidation,
    covers: (p) => sourceOf(p).covers(p),
    take: (p) => sourceOf(p).take(p),
    // Short of what its source still holds: the account again over every source, as things stand now.
    replan: (p) => chooseAccount(accountOf.get(p.user.toLowerCase())!, sources, terms).plan,
  });
  return { chosen, units: packUnits(chosen, input.pack), choices };
}

/** Users by debt, largest first (the debt computed once per user). */
export function rankByDebt(users: readonly Address[], debtOf: (u: Address) => number): Address[] {
  const withDebt = users.map((u) => ({ u, debt: debtOf(u) }));
  withDebt.sort((a, b) => b.debt - a.debt);
  return withDebt.map((x) => x.u);
}
