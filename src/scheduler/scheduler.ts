// A block's round, with its I/O: every liquidatable account not in flight, ranked by debt, compiled
// and evaluated at the timestamp the next block will have; the capital sources' I/O (quotes); the
// pure planning (round.ts: best plan per account over the sources, chosen within the gas budget,
// packed into transactions); then the executor. The largest debts go first, alone: planned, sent,
// and the rest planned while their simulation is on the way.
import type { Address } from "viem";
import type { FlashLoanSource } from "../capital/flashLoan/flashLoanSource.js";
import type { CapitalSource, RoundTerms } from "../capital/source.js";
import type { KeeperEventBus } from "../daemon/events.js";
import type { Backrun, Executor, SubmitResult } from "../executor/executor.js";
import type { PoolCall } from "../executor/poolCall.js";
import { compileAccount, evaluateAccount, type CompiledAccount } from "../risk/healthFactor.js";
import type { AccountBook } from "../risk/accountBook.js";
import type { ProtocolRules } from "../risk/rules.js";
import { packUnits, type PackPolicy } from "./batch.js";
import type { LiquidationPlan } from "./plan.js";
import { planRound, whyNone, type AccountChoice } from "./round.js";
import type { TxUnit } from "./txUnit.js";

/** How many of a round's largest debts are planned and sent before the rest is planned. */
const FIRST_GROUP = 4;

export interface RoundContext {
  terms: RoundTerms;
  /** liquidatable accounts, in rank order (largest debt first) */
  candidates: readonly Address[];
  /** gas that may still be put in flight */
  gasBudget: bigint;
  gasPerLiquidation: bigint;
  head: { number: bigint; baseFeePerGas: bigint };
  /** gas one transaction may take (a share of the block's) */
  maxUnitGas: bigint;
  /** planned at the prices a pending update sets: sent right behind it */
  backrun?: Backrun;
}

export interface SchedulerOptions {
  book: AccountBook;
  rules: () => ProtocolRules;
  executor: Executor;
  sources: readonly CapitalSource[];
  /** the pool and the Liquidator; the batch size (the gas figures come with each round) */
  pack: Omit<PackPolicy, "gasPerItem" | "maxUnitGas">;
  events: KeeperEventBus;
  dryRun: boolean;
  /** the flash-loan source, when there is one: the round's later swaps are quoted after the earlier ones */
  flash?: FlashLoanSource;
}

export class Scheduler {
  /** dry run: each account's last opportunity (pair and capital), so that an unchanged one is not planned again */
  private readonly shown = new Map<string, string>();
  /** this round's choice per account (lower-case): what each source offered */
  private readonly choices = new Map<string, AccountChoice>();

  constructor(private readonly o: SchedulerOptions) {}

  /** Plans and sends the round; returns the plans handed to the executor. */
  async round(ctx: RoundContext): Promise<LiquidationPlan[]> {
    if (!ctx.backrun) this.forgetShown(ctx.candidates);
    this.choices.clear();
    const eligible = ctx.candidates.filter((u) => !this.o.executor.hasInFlight(u));
    if (eligible.length === 0 || ctx.gasBudget < ctx.gasPerLiquidation) return [];
    // Planning costs ~0.1-1 ms an account: in a cascade only about as many as the gas budget takes.
    const wanted = ctx.gasBudget / ctx.gasPerLiquidation;
    const enough = Number(wanted + wanted / 2n + 4n);
    // The largest debts are planned and sent first, the rest planned while their simulation is on the
    // way. Every simulation runs after the Liquidator calls still in flight (their swaps move the pools
    // the new ones sell in, their liquidations the accounts) and after the round's earlier transactions.
    const inFlight = this.o.executor.inFlightCalls();
    const first = this.plan(eligible.slice(0, FIRST_GROUP), ctx, ctx.gasBudget);
    const firstSent = first.then((plan) => this.submit(plan.units, ctx, inFlight));
    firstSent.catch(() => undefined); // awaited below
    const firstPlans = await first;
    const used = BigInt(plansOf(firstPlans.units).length) * ctx.gasPerLiquidation;
    const rest = eligible.slice(FIRST_GROUP, Math.max(FIRST_GROUP, enough));
    const left = ctx.gasBudget - used;
    // The rest is planned while the first transactions' simulation is on the way; its swaps are put in
    // sequence after theirs and those in flight (the first group, a handful, takes its own quotes).
    const earlier = [...this.o.executor.inFlightPlans(), ...plansOf(firstPlans.units)];
    const restPlans = rest.length > 0 && left >= ctx.gasPerLiquidation ? await this.plan(rest, ctx, left, earlier) : undefined;
    const sent = await firstSent;
    if (restPlans) await this.submit(restPlans.units, ctx, [...inFlight, ...sent]);
    return [...plansOf(firstPlans.units), ...(restPlans ? plansOf(restPlans.units) : [])];
  }

  private async plan(users: readonly Address[], ctx: RoundContext, gasBudget: bigint, earlier?: readonly LiquidationPlan[]) {
    const accounts: CompiledAccount[] = [];
    for (const user of users) {
      const position = this.o.book.get(user);
      if (!position) continue;
      const account = compileAccount(position, this.o.rules());
      evaluateAccount(account, ctx.terms.snapshot);
      accounts.push(account);
    }
    // An account the wallet can liquidate in full is not quoted for a flash loan: on the same pair a
    // flash loan nets less (the premium, the swap's fee and impact against the oracle's price), and
    // the wallet's plan is already its best pair. Quotes are the round's heaviest call (a swap each).
    const wallet = this.o.sources.find((s) => s.kind === "wallet");
    const needsQuotes = (a: CompiledAccount) => {
      const offer = wallet?.plan(a, ctx.terms);
      return !offer || !("plan" in offer) || offer.plan.walletLimited === true;
    };
    await Promise.all(
      this.o.sources.map((s) => s.prepare(s.kind === "flashLoan" && wallet ? accounts.filter(needsQuotes) : accounts, ctx.terms)),
    );
    const planned = planRound({
      accounts,
      sources: this.o.sources,
      terms: ctx.terms,
      gasBudget,
      gasPerLiquidation: ctx.gasPerLiquidation,
      pack: { ...this.o.pack, gasPerItem: ctx.gasPerLiquidation, maxUnitGas: ctx.maxUnitGas },
    });
    if (earlier && this.o.flash) {
      const sequenced = await this.o.flash.sequence(planned.chosen, earlier, ctx.terms);
      for (const { plan, reason } of sequenced.left) {
        this.sourceOf(plan).giveBack(plan);
        this.o.events.emit("skipped", { user: plan.user, reason, stage: "plan", plan });
      }
      if (sequenced.left.length > 0 || sequenced.plans.some((p, i) => p !== planned.chosen[i])) {
        planned.chosen = sequenced.plans;
        planned.units = packUnits(sequenced.plans, { ...this.o.pack, gasPerItem: ctx.gasPerLiquidation, maxUnitGas: ctx.maxUnitGas });
      }
    }
    for (const choice of planned.choices) {
      this.choices.set(choice.user.toLowerCase(), choice);
      if (!choice.plan) this.o.events.emit("skipped", { user: choice.user, reason: whyNone(choice), stage: "plan" });
    }
    // A dry run shows each opportunity once, until it changes: the new ones packed without the others.
    if (this.o.dryRun && planned.chosen.some((p) => this.alreadyShown(p))) {
      const shown = planned.chosen.filter((p) => this.alreadyShown(p));
      for (const plan of shown) this.sourceOf(plan).giveBack(plan);
      planned.chosen = planned.chosen.filter((p) => !this.alreadyShown(p));
      planned.units = packUnits(planned.chosen, { ...this.o.pack, gasPerItem: ctx.gasPerLiquidation, maxUnitGas: ctx.maxUnitGas });
    }
    if (planned.units.length > 0) this.o.events.emit("planned", { units: planned.units, blockNumber: ctx.head.number });
    return planned;
  }

  /**
   * Hands the round's transactions to the executor; what a source reserved is given back unless sent.
   * Returns the calls sent (the round's later transactions are simulated after them).
   */
  private async submit(units: readonly TxUnit[], ctx: RoundContext, before: readonly PoolCall[]): Promise<PoolCall[]> {
    if (units.length === 0) return [];
    const plans = plansOf(units);
    let results: SubmitResult[][];
    try {
      results = await this.o.executor.submitUnits(units, ctx.head.number, ctx.head.baseFeePerGas, before, ctx.backrun);
    } catch (err) {
      for (const plan of plans) this.sourceOf(plan).giveBack(plan);
      throw err;
    }
    const sent = new Map<string, PoolCall>();
    units.forEach((unit, u) => {
      unit.plans.forEach((plan, i) => {
        const result = results[u]![i]!;
        if (result.kind === "sent") {
          if (!sent.has(result.tx.hash)) {
            sent.set(result.tx.hash, result.call);
            this.o.events.emit("sent", { tx: result.tx, baseFeePerGas: ctx.head.baseFeePerGas });
          }
          return;
        }
        this.sourceOf(plan).giveBack(plan);
        if (result.kind === "dry-run") {
          this.shown.set(plan.user.toLowerCase(), opportunityKey(plan));
          this.o.events.emit("opportunity", { plan: result.plan, dryRun: true, simulation: result.simulation, ...this.alternative(plan) });
        } else {
          const stage = result.reason.startsWith("simulation") ? "simulation" : "send";
          this.o.events.emit("skipped", { user: plan.user, reason: result.reason, stage, plan });
        }
      });
    });
    return [...sent.values()];
  }

  /** For a plan from the wallet while a flash loan was on offer: what the flash loan would net, or why there is none. */
  private alternative(plan: LiquidationPlan): { flashAlternative?: LiquidationPlan | string } {
    if (plan.capital === "flashLoan") return {};
    const offer = this.choices.get(plan.user.toLowerCase())?.offers.find((o) => o.kind === "flashLoan")?.outcome;
    if (!offer) return {};
    return { flashAlternative: "plan" in offer ? offer.plan : offer.skip };
  }

  private sourceOf(plan: LiquidationPlan): CapitalSource {
    return this.o.sources.find((s) => s.kind === (plan.capital ?? "wallet")) ?? this.o.sources[0]!;
  }

  private alreadyShown(plan: LiquidationPlan): boolean {
    return this.shown.get(plan.user.toLowerCase()) === opportunityKey(plan);
  }

  private forgetShown(candidates: readonly Address[]): void {
    if (this.shown.size === 0) return;
    const now = new Set(candidates.map((c) => c.toLowerCase()));
    for (const user of this.shown.keys()) if (!now.has(user)) this.shown.delete(user);
  }
}

const plansOf = (units: readonly TxUnit[]): LiquidationPlan[] => units.flatMap((u) => u.plans);

function opportunityKey(plan: LiquidationPlan): string {
  return `${plan.collateralAsset}:${plan.debtAsset}:${plan.capital ?? "wallet"}`;
}
