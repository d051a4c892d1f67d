// The round's pure planning over capital sources: the best offer per account (a tie to the earlier
// source), the gas budget, a source's coverage (a plan it can no longer cover is asked again, over
// every source), the reasons of an account no source can liquidate.
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import type { CapitalSource, RoundTerms, SourcePlan } from "../capital/source.js";
import type { CompiledAccount } from "../risk/healthFactor.js";
import type { LiquidationPlan } from "./plan.js";
import { planRound, whyNone } from "./round.js";

const a = (n: number): Address => `0x${n.toString(16).padStart(40, "0")}`;
const account = (n: number) => ({ user: a(n) }) as unknown as CompiledAccount;
const plan = (user: Address, capital: "wallet" | "flashLoan", profit: bigint): LiquidationPlan =>
  ({
    user,
    capital,
    expectedProfitBase: profit,
    debtAsset: a(9),
    debtReserveId: 1,
    debtToCover: 100n,
    expectedDebtRepaid: 100n,
  }) as LiquidationPlan;

/** A source offering each account what `offers` says, holding `budget` units of plans. */
function source(
  kind: "wallet" | "flashLoan",
  offers: Record<string, SourcePlan | ((left: number) => SourcePlan)>,
  budget = Infinity,
): CapitalSource {
  let left = budget;
  return {
    kind,
    prepare: async () => undefined,
    plan: (acc) => {
      const o = offers[acc.user] ?? { skip: `${kind} has nothing` };
      return typeof o === "function" ? o(left) : o;
    },
    covers: () => left >= 1,
    take: () => {
      left -= 1;
    },
    giveBack: () => {
      left += 1;
    },
  };
}

const terms = {} as RoundTerms;
const pack = { pool: a(1), maxItems: 20, maxUnitGas: 10_000_000n, gasPerItem: 1n };

describe("planRound", () => {
  it("keeps each account's best offer, a tie going to the earlier source", () => {
    const [u1, u2] = [a(0x11), a(0x12)];
    const wallet = source("wallet", { [u1]: { plan: plan(u1, "wallet", 10n) }, [u2]: { plan: plan(u2, "wallet", 5n) } });
    const flash = source("flashLoan", { [u1]: { plan: plan(u1, "flashLoan", 10n) }, [u2]: { plan: plan(u2, "flashLoan", 8n) } });
    const r = planRound({
      accounts: [account(0x11), account(0x12)],
      sources: [wallet, flash],
      terms,
      gasBudget: 10n,
      gasPerLiquidation: 1n,
      pack,
    });
    expect(r.choices.map((c) => c.plan?.capital)).toEqual(["wallet", "flashLoan"]);
    expect(r.units.flatMap((u) => u.plans.map((p) => [p.user, p.expectedProfitBase]))).toEqual([
      [u1, 10n],
      [u2, 8n],
    ]);
  });

  it("the gas budget takes the most profitable first", () => {
    const users = [0x21, 0x22, 0x23].map(a);
    const wallet = source("wallet", Object.fromEntries(users.map((u, i) => [u, { plan: plan(u, "wallet", BigInt(i + 1)) }])));
    const r = planRound({
      accounts: [0x21, 0x22, 0x23].map(account),
      sources: [wallet],
      terms,
      gasBudget: 2n,
      gasPerLiquidation: 1n,
      pack,
    });
    expect(r.units.flatMap((u) => u.plans.map((p) => p.user))).toEqual([users[2], users[1]]);
  });

  it("a wallet plan its source no longer covers is asked again over every source", () => {
    const [u1, u2] = [a(0x31), a(0x32)];
    // The wallet covers one plan; asked again with nothing left, it has none, and the flash loan takes the second.
    const wallet = source(
      "wallet",
      {
        [u1]: { plan: plan(u1, "wallet", 10n) },
        [u2]: (left) => (left >= 1 ? { plan: plan(u2, "wallet", 9n) } : { skip: "wallet holds no USDC" }),
      },
      1,
    );
    const flash = source("flashLoan", { [u2]: { plan: plan(u2, "flashLoan", 3n) } });
    const r = planRound({
      accounts: [account(0x31), account(0x32)],
      sources: [wallet, flash],
      terms,
      gasBudget: 10n,
      gasPerLiquidation: 1n,
      pack,
    });
    expect(r.units.flatMap((u) => u.plans.map((p) => [p.user, p.capital]))).toEqual([
      [u1, "wallet"],
      [u2, "flashLoan"],
    ]);
  });

  it("says, per source, why an account has no plan", () => {
    const wallet = source("wallet", {});
    const flash = source("flashLoan", { [a(0x41)]: { skip: "LINK/DAI: no Uniswap route" } });
    const r = planRound({ accounts: [account(0x41)], sources: [wallet, flash], terms, gasBudget: 10n, gasPerLiquidation: 1n, pack });
    expect(r.units).toEqual([]);
    expect(whyNone(r.choices[0]!)).toBe("wallet: wallet has nothing | flashLoan: LINK/DAI: no Uniswap route");
  });
});
