import { describe, expect, it } from "vitest";
import {
  computeAccountHealth,
  computeAccountHealthFromSnapshot,
  compileAccount,
  evaluateAccount,
  healthOf,
} from "../../src/risk/healthFactor.js";
import { screenAccount } from "../../src/risk/healthScreen.js";
import { snapshotMarket } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_0 } from "../../src/risk/rules.js";
import type { AccountHealth, AccountPosition, MarketState } from "../../src/risk/types.js";
import { buildUserConfig } from "../../src/risk/userConfiguration.js";
import { calculateCompoundedInterestV30, calculateLinearInterest } from "../../src/risk/interest.js";
import { MAX_UINT256, RAY, WAD, percentMul, rayMul, wadDiv } from "../../src/risk/wadRayMath.js";
import { Rng, ZERO, addr, makeAccount, makeMarket } from "./riskSynthetic.js";

const T = 1_700_000_000n;

/**
 * Literal transcription of core-v3 1.19.3 GenericLogic.calculateUserAccountData (+ ReserveLogic,
 * StableDebtToken.balanceOf, EModeLogic), written independently of the optimized engine.
 */
function referenceAccountData(p: AccountPosition, m: MarketState, ts: bigint): AccountHealth {
  if (p.userConfig === 0n)
    return { totalCollateralBase: 0n, totalDebtBase: 0n, avgLiquidationThreshold: 0n, healthFactor: MAX_UINT256, ltv: 0n };
  let eModeLtv = 0n,
    eModeLt = 0n,
    eModePrice = 0n;
  if (p.eModeCategory !== 0) {
    const c = m.eModes.get(p.eModeCategory);
    eModeLtv = BigInt(c?.ltv ?? 0);
    eModeLt = BigInt(c?.liquidationThreshold ?? 0);
    eModePrice = c !== undefined && c.priceSource !== ZERO ? c.priceSourcePrice : 0n;
  }
  let tc = 0n,
    td = 0n,
    avgLtv = 0n,
    avgLt = 0n;
  for (let i = 0; i < m.reserves.length; i++) {
    const borrowing = ((p.userConfig >> BigInt(2 * i)) & 1n) === 1n;
    const collateral = ((p.userConfig >> BigInt(2 * i + 1)) & 1n) === 1n;
    if (!borrowing && !collateral) continue;
    const r = m.reserves[i];
    if (r === undefined) continue;
    const unit = 10n ** BigInt(r.decimals);
    const price = eModePrice !== 0n && p.eModeCategory === r.eModeCategory ? eModePrice : r.price;
    if (r.liquidationThreshold !== 0 && collateral) {
      const income =
        ts === r.lastUpdateTimestamp
          ? r.liquidityIndex
          : rayMul(calculateLinearInterest(r.currentLiquidityRate, r.lastUpdateTimestamp, ts), r.liquidityIndex);
      const bal = (rayMul(p.scaledCollateral.get(i) ?? 0n, income) * price) / unit;
      tc += bal;
      const inEMode = p.eModeCategory !== 0 && r.eModeCategory === p.eModeCategory;
      if (r.ltv !== 0) avgLtv += bal * (inEMode ? eModeLtv : BigInt(r.ltv));
      avgLt += bal * (inEMode ? eModeLt : BigInt(r.liquidationThreshold));
    }
    if (borrowing) {
      let debt = p.scaledVariableDebt.get(i) ?? 0n;
      if (debt !== 0n) {
        const nd =
          ts === r.lastUpdateTimestamp
            ? r.variableBorrowIndex
            : rayMul(calculateCompoundedInterestV30(r.currentVariableBorrowRate, r.lastUpdateTimestamp, ts), r.variableBorrowIndex);
        debt = rayMul(debt, nd);
      }
      const s = p.stableDebt.get(i);
      if (s !== undefined && s.principal !== 0n)
        debt += rayMul(s.principal, calculateCompoundedInterestV30(s.stableRate, s.lastUpdated, ts));
      td += (price * debt) / unit;
    }
  }
  avgLtv = tc !== 0n ? avgLtv / tc : 0n;
  avgLt = tc !== 0n ? avgLt / tc : 0n;
  const hf = td === 0n ? MAX_UINT256 : wadDiv(percentMul(tc, avgLt), td);
  return { totalCollateralBase: tc, totalDebtBase: td, avgLiquidationThreshold: avgLt, healthFactor: hf, ltv: avgLtv };
}

function handMarket(): MarketState {
  const rng = new Rng(1);
  const m = makeMarket(rng, { reserves: 4, timestamp: T, eModePriceSource: true });
  // Make reserves simple and deterministic: no accrual (lastUpdate = T), index 1.
  const setup = [
    { decimals: 18, price: 2000n * 10n ** 8n, ltv: 8000, lt: 8250, cat: 2 }, // WETH-like, eMode 2 member
    { decimals: 6, price: 10n ** 8n, ltv: 7500, lt: 8000, cat: 1 }, // USDC-like, eMode 1
    { decimals: 8, price: 30000n * 10n ** 8n, ltv: 7000, lt: 7500, cat: 0 }, // WBTC-like
    { decimals: 18, price: 5n * 10n ** 8n, ltv: 0, lt: 0, cat: 2 }, // LT = 0 collateral, eMode 2 member
  ];
  setup.forEach((s, id) => {
    const r = m.reserves[id]!;
    Object.assign(r, {
      decimals: s.decimals,
      unit: 10n ** BigInt(s.decimals),
      price: s.price,
      ltv: s.ltv,
      liquidationThreshold: s.lt,
      eModeCategory: s.cat,
      liquidityIndex: RAY,
      variableBorrowIndex: RAY,
      lastUpdateTimestamp: T,
    });
  });
  return m;
}

function pos(
  eMode: number,
  coll: [number, bigint][],
  debt: [number, bigint][],
  stable: [number, bigint, bigint, bigint][] = [],
): AccountPosition {
  return {
    user: addr(0xcc, 1),
    eModeCategory: eMode,
    userConfig: buildUserConfig(
      coll.map((c) => c[0]),
      [...debt.map((d) => d[0]), ...stable.map((s) => s[0])],
    ),
    scaledCollateral: new Map(coll),
    scaledVariableDebt: new Map(debt),
    stableDebt: new Map(stable.map(([id, principal, stableRate, lastUpdated]) => [id, { principal, stableRate, lastUpdated }])),
  };
}

describe("computeAccountHealth (V3.0, hand-built accounts)", () => {
  const m = handMarket();
  const hf = (p: AccountPosition) => computeAccountHealth(p, m, RULES_V3_0, T);

  it("single collateral / single debt", () => {
    // 1 WETH ($2000, LT 82.5%) vs 1000 USDC: HF = 2000*0.825/1000 = 1.65
    const h = hf(pos(0, [[0, 10n ** 18n]], [[1, 1000n * 10n ** 6n]]));
    expect(h).toEqual({
      totalCollateralBase: 2000n * 10n ** 8n,
      totalDebtBase: 1000n * 10n ** 8n,
      avgLiquidationThreshold: 8250n,
      healthFactor: 165n * 10n ** 16n,
      ltv: 8000n,
    });
  });

  it("multi collateral: avgLT truncates (floor of the weighted mean)", () => {
    // $2000 @8250 + $3000 (0.1 WBTC) @7500: S = 2000e8*8250 + 3000e8*7500 = 3.9e15, TC = 5000e8 -> 7800
    const h = hf(
      pos(
        0,
        [
          [0, 10n ** 18n],
          [2, 10n ** 7n],
        ],
        [[1, 3000n * 10n ** 6n]],
      ),
    );
    expect(h.avgLiquidationThreshold).toBe(7800n);
    expect(h.healthFactor).toBe(wadDiv(percentMul(5000n * 10n ** 8n, 7800n), 3000n * 10n ** 8n)); // 1.3
    expect(h.healthFactor).toBe(13n * 10n ** 17n);
    // truncation case: $1 more of WBTC-like at 7500 -> 7799.9.. -> 7799
    const h2 = hf(
      pos(
        0,
        [
          [0, 10n ** 18n],
          [2, 10n ** 7n + 3334n],
        ],
        [[1, 3000n * 10n ** 6n]],
      ),
    );
    expect(h2.totalCollateralBase).toBe(5001n * 10n ** 8n + 20000n); // floor(1003334 * 3e12 / 1e8) = 300100.02e6
    expect(h2.avgLiquidationThreshold).toBe(7799n);
  });

  it("eMode with priceSource: member assets priced by the source, eMode LT/LTV", () => {
    const src = m.eModes.get(2)!.priceSourcePrice;
    // eMode 2: WETH-like collateral (member) + WBTC (not member) ; debt WETH-like (member)
    const h = hf(
      pos(
        2,
        [
          [0, 10n ** 18n],
          [2, 10n ** 7n],
        ],
        [[0, 5n * 10n ** 17n]],
      ),
    );
    const collBase = src + 3000n * 10n ** 8n;
    expect(h.totalCollateralBase).toBe(collBase);
    expect(h.totalDebtBase).toBe(src / 2n);
    const s = src * 9300n + 3000n * 10n ** 8n * 7500n;
    expect(h.avgLiquidationThreshold).toBe(s / collBase);
    expect(h.ltv).toBe((src * 9000n + 3000n * 10n ** 8n * 7000n) / collBase);
    expect(h.healthFactor).toBe(wadDiv(percentMul(collBase, s / collBase), src / 2n));
  });

  it("eMode without priceSource: own prices, eMode LT", () => {
    const m2 = handMarket();
    m2.eModes.set(2, { ...m2.eModes.get(2)!, priceSource: ZERO, priceSourcePrice: 0n });
    const h = computeAccountHealth(pos(2, [[0, 10n ** 18n]], [[0, 5n * 10n ** 17n]]), m2, RULES_V3_0, T);
    expect(h.totalCollateralBase).toBe(2000n * 10n ** 8n);
    expect(h.avgLiquidationThreshold).toBe(9300n);
    expect(h.healthFactor).toBe(186n * 10n ** 16n); // 2000*0.93/1000
  });

  it("LT = 0 collateral is skipped even when its eMode LT is not 0", () => {
    const a = hf(
      pos(
        2,
        [
          [0, 10n ** 18n],
          [3, 1000n * 10n ** 18n],
        ],
        [[1, 100n * 10n ** 6n]],
      ),
    );
    const b = hf(pos(2, [[0, 10n ** 18n]], [[1, 100n * 10n ** 6n]]));
    expect(a).toEqual(b);
    // ... and it does not enter TC
    const c = hf(pos(0, [[3, 1000n * 10n ** 18n]], [[1, 100n * 10n ** 6n]]));
    expect(c.totalCollateralBase).toBe(0n);
    expect(c.healthFactor).toBe(0n);
  });

  it("stable debt is added to the variable debt before the base conversion", () => {
    const rate = RAY / 10n;
    const p = pos(0, [[0, 10n ** 18n]], [[1, 500n * 10n ** 6n]], [[1, 400n * 10n ** 6n, rate, T - 86_400n]]);
    const h = hf(p);
    const stable = rayMul(400n * 10n ** 6n, calculateCompoundedInterestV30(rate, T - 86_400n, T));
    expect(stable > 400n * 10n ** 6n).toBe(true);
    expect(h.totalDebtBase).toBe(((500n * 10n ** 6n + stable) * 10n ** 8n) / 10n ** 6n);
  });

  it("no debt: HF = 2^256-1; empty config: all zero", () => {
    expect(hf(pos(0, [[0, 10n ** 18n]], [])).healthFactor).toBe(MAX_UINT256);
    const empty = hf({ ...pos(0, [], []), scaledCollateral: new Map([[0, 10n ** 18n]]) });
    expect(empty).toEqual({ totalCollateralBase: 0n, totalDebtBase: 0n, avgLiquidationThreshold: 0n, healthFactor: MAX_UINT256, ltv: 0n });
  });

  it("a set bit without balance counts as 0; a balance without its bit is ignored", () => {
    const p = pos(0, [[0, 10n ** 18n]], [[1, 1000n * 10n ** 6n]]);
    p.scaledVariableDebt.set(2, 10n ** 8n); // no borrowing bit for reserve 2
    p.userConfig |= 1n << 5n; // collateral bit of reserve 2, no balance
    expect(hf(p).healthFactor).toBe(165n * 10n ** 16n);
  });
});

describe("computeAccountHealth vs the literal GenericLogic transcription (random accounts)", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: bit-exact, and the screen bracket contains the exact HF`, () => {
      const rng = new Rng(seed);
      const m = makeMarket(rng, { eModePriceSource: seed !== 2, ltZeroReserve: true });
      for (let step = 0; step < 3; step++) {
        const ts = T + BigInt(step * 7919);
        const snap = snapshotMarket(m, RULES_V3_0, ts);
        for (let i = 0; i < 400; i++) {
          const p = makeAccount(rng, m, i, { stableProb: 0.2, eModeProb: 0.3, hfLo: 0.9, hfHi: 1.1 });
          const ref = referenceAccountData(p, m, ts);
          expect(computeAccountHealthFromSnapshot(p, snap)).toEqual(ref);
          const acc = compileAccount(p, RULES_V3_0);
          screenAccount(acc, snap);
          if (ref.healthFactor !== MAX_UINT256) {
            const x = Number(ref.healthFactor) / 1e18;
            expect(acc.hfLo <= x && x <= acc.hfHi).toBe(true);
          }
          expect(healthOf(acc)).toEqual(ref); // lazily exact after a screen
        }
      }
    });
  }

  it("incremental re-evaluation with cached positions equals a fresh one after a price move", () => {
    const rng = new Rng(9);
    const m = makeMarket(rng, { eModePriceSource: true });
    const snap1 = snapshotMarket(m, RULES_V3_0, T);
    const accounts = Array.from({ length: 300 }, (_, i) => makeAccount(rng, m, i, { stableProb: 0.1 }));
    const compiled = accounts.map((p) => compileAccount(p, RULES_V3_0));
    for (const a of compiled) evaluateAccount(a, snap1);
    m.reserves[4]!.price = (m.reserves[4]!.price * 97n) / 100n;
    m.eModes.get(2)!.priceSourcePrice -= 10n ** 9n;
    const snap2 = snapshotMarket(m, RULES_V3_0, T + 12n);
    compiled.forEach((a, i) => {
      evaluateAccount(a, snap2);
      expect(healthOf(a)).toEqual(referenceAccountData(accounts[i]!, m, T + 12n));
    });
  });

  it("healthFactor threshold is strict: HF == 1e18 is not liquidatable", () => {
    expect(RULES_V3_0.liquidationThreshold).toBe(WAD);
  });
});
