// Property: on random Aave 3.6 accounts (wallet caps included), the planner never plans an amount the
// pool would refuse, and plans exactly what the pool would do. The pool here is a literal transcription
// of LiquidationLogic.executeLiquidationCall 3.6 (amounts and the MustNotLeaveDust require), written
// apart from src/risk so the two implementations check each other.
import { describe, expect, it } from "vitest";
import { compileAccount, evaluateAccount, healthOf, type CompiledAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { RULES_V3_6 } from "../risk/rules.js";
import type { Address, MarketState, ReserveState } from "../risk/types.js";
import { buildUserConfig } from "../risk/userConfiguration.js";
import { RAY } from "../risk/wadRayMath.js";
import { seededRandom } from "../sandbox/random.js";
import { planLiquidation, type PlanOptions } from "./profit.js";

const T = 1_700_000_000n;
const MAX = (1n << 256n) - 1n;
const addr = (prefix: number, i: number): Address =>
  `0x${prefix.toString(16).padStart(2, "0")}${i.toString(16).padStart(38, "0")}` as Address;

// --- the pool, transcribed (LiquidationLogic 3.6; PercentageMath; MathUtils.mulDivCeil) ---
const pMul = (v: bigint, p: bigint) => (v * p + 5000n) / 10000n;
const pDiv = (v: bigint, p: bigint) => (v * 10000n + p / 2n) / p;
const pDivCeil = (v: bigint, p: bigint) => (v * 10000n + p - 1n) / p;
const mdCeil = (a: bigint, b: bigint, c: bigint) => (a * b + c - 1n) / c;

interface PoolInput {
  debtToCover: bigint;
  borrowerCollateralBalance: bigint;
  borrowerReserveDebt: bigint;
  totalDebtInBaseCurrency: bigint;
  healthFactor: bigint;
  collateralAssetPrice: bigint;
  collateralAssetUnit: bigint;
  debtAssetPrice: bigint;
  debtAssetUnit: bigint;
  liquidationBonus: bigint;
  liquidationProtocolFeePercentage: bigint;
}
type PoolOutcome =
  | { revert: "MustNotLeaveDust" }
  | { actualDebtToLiquidate: bigint; actualCollateralToLiquidate: bigint; liquidationProtocolFeeAmount: bigint };

function pool(v: PoolInput): PoolOutcome {
  const borrowerReserveDebtInBaseCurrency = mdCeil(v.borrowerReserveDebt, v.debtAssetPrice, v.debtAssetUnit);
  const borrowerReserveCollateralInBaseCurrency = (v.borrowerCollateralBalance * v.collateralAssetPrice) / v.collateralAssetUnit;
  let maxLiquidatableDebt = v.borrowerReserveDebt;
  if (
    borrowerReserveCollateralInBaseCurrency >= 2000_00000000n &&
    borrowerReserveDebtInBaseCurrency >= 2000_00000000n &&
    v.healthFactor > 95n * 10n ** 16n
  ) {
    const totalDefaultLiquidatableDebtInBaseCurrency = pMul(v.totalDebtInBaseCurrency, 5000n);
    if (borrowerReserveDebtInBaseCurrency > totalDefaultLiquidatableDebtInBaseCurrency) {
      maxLiquidatableDebt = (totalDefaultLiquidatableDebtInBaseCurrency * v.debtAssetUnit) / v.debtAssetPrice;
    }
  }
  let actualDebtToLiquidate = v.debtToCover > maxLiquidatableDebt ? maxLiquidatableDebt : v.debtToCover;
  // _calculateAvailableCollateralToLiquidate
  const baseCollateral = (v.debtAssetPrice * actualDebtToLiquidate * v.collateralAssetUnit) / (v.collateralAssetPrice * v.debtAssetUnit);
  const maxCollateralToLiquidate = pMul(baseCollateral, v.liquidationBonus);
  let collateralAmount: bigint;
  if (maxCollateralToLiquidate > v.borrowerCollateralBalance) {
    collateralAmount = v.borrowerCollateralBalance;
    actualDebtToLiquidate = pDivCeil(
      (v.collateralAssetPrice * collateralAmount * v.debtAssetUnit) / (v.debtAssetPrice * v.collateralAssetUnit),
      v.liquidationBonus,
    );
  } else {
    collateralAmount = maxCollateralToLiquidate;
  }
  let fee = 0n;
  if (v.liquidationProtocolFeePercentage !== 0n) {
    fee = pMul(collateralAmount - pDiv(collateralAmount, v.liquidationBonus), v.liquidationProtocolFeePercentage);
    collateralAmount -= fee;
  }
  if (actualDebtToLiquidate < v.borrowerReserveDebt && collateralAmount + fee < v.borrowerCollateralBalance) {
    const debtOk = mdCeil(v.borrowerReserveDebt - actualDebtToLiquidate, v.debtAssetPrice, v.debtAssetUnit) >= 1000_00000000n;
    const collOk =
      ((v.borrowerCollateralBalance - collateralAmount - fee) * v.collateralAssetPrice) / v.collateralAssetUnit >= 1000_00000000n;
    if (!(debtOk && collOk)) return { revert: "MustNotLeaveDust" };
  }
  return { actualDebtToLiquidate, actualCollateralToLiquidate: collateralAmount, liquidationProtocolFeeAmount: fee };
}

// --- random markets and accounts ---
const DECIMALS = [6, 8, 18] as const;

function randomMarket(rnd: ReturnType<typeof seededRandom>): MarketState {
  const reserves: ReserveState[] = [];
  for (let id = 0; id < 5; id++) {
    const decimals = DECIMALS[rnd.int(0, 2)]!;
    const lt = rnd.int(6000, 9000);
    const lb = rnd.int(10100, Math.min(10800, Math.floor(1e8 / lt)));
    reserves.push({
      asset: addr(0xaa, id),
      id,
      decimals,
      unit: 10n ** BigInt(decimals),
      ltv: lt - 500,
      liquidationThreshold: lt,
      liquidationBonus: lb,
      liquidationProtocolFee: rnd.int(0, 2) * 1000,
      eModeCategory: 0,
      active: true,
      frozen: false,
      paused: false,
      borrowingEnabled: true,
      flashLoanEnabled: true,
      liquidityIndex: RAY + BigInt(rnd.int(0, 1e9)) * 10n ** 17n,
      variableBorrowIndex: RAY + BigInt(rnd.int(0, 1e9)) * 10n ** 17n,
      currentLiquidityRate: 0n,
      currentVariableBorrowRate: 0n,
      lastUpdateTimestamp: T,
      aToken: addr(0xa1, id),
      variableDebtToken: addr(0xd1, id),
      stableDebtToken: addr(0x51, id),
      // $0.5 .. $50,000, 8 decimals
      price: BigInt(Math.round(10 ** rnd.between(-0.3, 4.7) * 1e8)),
      liquidationGracePeriodUntil: 0n,
    });
  }
  return { reserves, eModes: new Map(), baseCurrencyUnit: 10n ** 8n, flashLoanPremiumTotal: 5n };
}

/** Amount of `r` worth `usd` dollars (as scaled units). */
const worth = (r: ReserveState, usd: number) => (BigInt(Math.round(usd * 1e6)) * 100n * r.unit) / r.price;

function randomAccount(rnd: ReturnType<typeof seededRandom>, m: MarketState, snap: MarketSnapshot): CompiledAccount | undefined {
  const ids = rnd.sample([0, 1, 2, 3, 4], 5);
  const nc = rnd.int(1, 2),
    nd = rnd.int(1, 2);
  const coll = ids.slice(0, nc),
    debt = ids.slice(nc, nc + nd);
  // position sizes from $50 to $50,000 per leg; HF pushed below 1 by sizing the debt
  const collUsd = coll.map(() => 10 ** rnd.between(1.7, 4.7));
  const s = coll.reduce((acc, id, i) => acc + (collUsd[i]! * m.reserves[id]!.liquidationThreshold) / 1e4, 0);
  const hf = rnd.between(0.5, 0.999);
  const debtTotal = s / hf;
  const shares = debt.map(() => rnd.between(0.1, 1));
  const sum = shares.reduce((a, b) => a + b, 0);
  const acc = compileAccount(
    {
      user: addr(0xcc, 1),
      eModeCategory: 0,
      userConfig: buildUserConfig(coll, debt),
      scaledCollateral: new Map(coll.map((id, i) => [id, worth(m.reserves[id]!, collUsd[i]!)])),
      scaledVariableDebt: new Map(debt.map((id, i) => [id, worth(m.reserves[id]!, (debtTotal * shares[i]!) / sum)])),
      stableDebt: new Map(),
    },
    RULES_V3_6,
  );
  evaluateAccount(acc, snap);
  return healthOf(acc).healthFactor < 10n ** 18n ? acc : undefined;
}

describe("planner vs a transcription of executeLiquidationCall 3.6 (random accounts)", () => {
  it("never plans a revert, always plans the pool's amounts, and stops exactly at the dust line", () => {
    const rnd = seededRandom(36);
    let plans = 0,
      reduced = 0,
      dustSkips = 0,
      maxPassed = 0,
      walletCapped = 0;
    for (let round = 0; round < 400; round++) {
      const m = randomMarket(rnd);
      const snap = snapshotMarket(m, RULES_V3_6, T);
      const acc = randomAccount(rnd, m, snap);
      if (acc === undefined) continue;
      const health = healthOf(acc);
      const wallet = rnd.int(0, 2) === 0 ? new Map(acc.debt.map((d) => [d.id, (d.varBal * BigInt(rnd.int(1, 120))) / 100n])) : undefined;
      const options: PlanOptions = {
        gas: { gasUnits: 0n, maxFeePerGas: 0n, nativePriceBase: 0n },
        minProfitBase: -(10n ** 40n),
        blockNumber: 1n,
        walletBalances: wallet,
      };
      const result = planLiquidation(acc, snap, options);
      for (const c of acc.collateral) {
        for (const d of acc.debt) {
          const cr = m.reserves[c.id]!,
            dr = m.reserves[d.id]!;
          const input = (debtToCover: bigint): PoolInput => ({
            debtToCover,
            borrowerCollateralBalance: c.bal,
            borrowerReserveDebt: d.varBal,
            totalDebtInBaseCurrency: health.totalDebtBase,
            healthFactor: health.healthFactor,
            collateralAssetPrice: cr.price,
            collateralAssetUnit: cr.unit,
            debtAssetPrice: dr.price,
            debtAssetUnit: dr.unit,
            liquidationBonus: BigInt(cr.liquidationBonus),
            liquidationProtocolFeePercentage: BigInt(cr.liquidationProtocolFee),
          });
          const outcome = result.pairs.find((o) =>
            "plan" in o
              ? o.plan.collateralReserveId === c.id && o.plan.debtReserveId === d.id
              : o.collateralReserveId === c.id && o.debtReserveId === d.id,
          )!;
          const held = wallet?.get(d.id);
          if ("skip" in outcome) {
            if (outcome.skip.startsWith("every amount leaves dust")) {
              dustSkips++;
              expect(pool(input(1n))).toEqual({ revert: "MustNotLeaveDust" });
            } else {
              expect(outcome.skip).toMatch(/^(wallet holds no|amounts round to zero|collateral burn|debt burn)/);
            }
            continue;
          }
          const p = outcome.plan;
          plans++;
          const got = pool(input(p.debtToCover));
          expect("revert" in got, `${round}: ${c.id}/${d.id}`).toBe(false);
          expect(got).toEqual({
            actualDebtToLiquidate: p.expectedDebtRepaid,
            actualCollateralToLiquidate: p.expectedCollateralSeized,
            liquidationProtocolFeeAmount: expect.any(BigInt),
          });
          if (held !== undefined) expect(p.expectedDebtRepaid <= held).toBe(true);
          if (p.debtToCover === MAX) {
            maxPassed++;
            const r = got as { actualDebtToLiquidate: bigint; actualCollateralToLiquidate: bigint; liquidationProtocolFeeAmount: bigint };
            expect(r.actualDebtToLiquidate === d.varBal || r.actualCollateralToLiquidate + r.liquidationProtocolFeeAmount === c.bal).toBe(
              true,
            );
            continue;
          }
          const full = pool(input(MAX));
          if (held !== undefined && "actualDebtToLiquidate" in full && full.actualDebtToLiquidate > held) walletCapped++;
          // an amount below what the close factor (and wallet) allows is there only because one more wei leaves dust
          const cap = held !== undefined && held < d.varBal ? held : d.varBal;
          const limit = "actualDebtToLiquidate" in full && full.actualDebtToLiquidate < cap ? full.actualDebtToLiquidate : cap;
          if (p.debtToCover < limit && "actualDebtToLiquidate" in got && got.actualDebtToLiquidate === p.debtToCover) {
            const more = pool(input(p.debtToCover + 1n));
            if ("revert" in more) reduced++;
            else expect(held !== undefined && "actualDebtToLiquidate" in more && more.actualDebtToLiquidate > held).toBe(true);
          }
        }
      }
    }
    // the random accounts reach every branch
    expect(plans).toBeGreaterThan(200);
    expect(reduced).toBeGreaterThan(5);
    expect(dustSkips).toBeGreaterThan(5);
    expect(maxPassed).toBeGreaterThan(50);
    expect(walletCapped).toBeGreaterThan(5);
  });
});
