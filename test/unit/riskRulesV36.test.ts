// Aave 3.6 (POOL_REVISION 10) health-factor rules by hand-computed numbers, each rounding difference from
// V3.0 shown on the same inputs, a literal transcription of 3.6 GenericLogic for random accounts, and the
// choice of rules by revision.
import { describe, expect, it } from "vitest";
import { AccountBook } from "../../src/risk/accountBook.js";
import {
  compileAccount,
  computeAccountHealth,
  computeAccountHealthFromSnapshot,
  evaluateAccount,
  healthOf,
} from "../../src/risk/healthFactor.js";
import { screenAccount } from "../../src/risk/healthScreen.js";
import { calculateCompoundedInterestV30, calculateCompoundedInterestV34, calculateLinearInterest } from "../../src/risk/interest.js";
import { liquidationPrices } from "../../src/risk/liquidationPrice.js";
import { snapshotMarket } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_0, RULES_V3_6, UnsupportedPoolRevisionError, rulesForRevision } from "../../src/risk/rules.js";
import type { AccountHealth, AccountPosition, EModeCategoryState, MarketState, ReserveState } from "../../src/risk/types.js";
import { buildUserConfig } from "../../src/risk/userConfiguration.js";
import { MAX_UINT256, RAY, WAD } from "../../src/risk/wadRayMath.js";
import { Rng, ZERO, addr, makeAccount, makeMarket } from "./riskSynthetic.js";

const T = 1_700_000_000n;
const E8 = 10n ** 8n;
const bit = (id: number) => 1n << BigInt(id);

describe("rulesForRevision: only revisions with tested rules", () => {
  it("revision 1 is Aave V3.0, revision 10 is Aave V3.6", () => {
    expect(rulesForRevision(1n)).toBe(RULES_V3_0);
    expect(rulesForRevision(10)).toBe(RULES_V3_6);
    expect(rulesForRevision(10n).version).toBe("Aave V3.6");
  });
  it.each([
    [2, "Aave V3.0.x"],
    [3, "Aave V3.0.x"],
    [4, "Aave V3.1"],
    [5, "Aave V3.2"],
    [7, "Aave V3.3"],
    [8, "Aave V3.4"],
    [9, "Aave V3.5"],
    [11, "Aave V3.7"],
  ])("revision %i is refused, naming %s and the supported versions", (revision, version) => {
    let error: unknown;
    try {
      rulesForRevision(BigInt(revision));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedPoolRevisionError);
    expect((error as UnsupportedPoolRevisionError).revision).toBe(revision);
    expect((error as Error).message).toBe(
      `the pool runs ${version} (POOL_REVISION ${revision}), which keeper does not support; ` +
        "supported revisions: 1 (Aave V3.0), 10 (Aave V3.6)",
    );
  });
  it("an unknown revision is refused too", () => {
    for (const revision of [0, 6, 12, 1000]) {
      expect(() => rulesForRevision(revision)).toThrow(/an Aave V3 version keeper does not know \(POOL_REVISION \d+\)/);
    }
  });
});

describe("3.6 primitives vs V3.0 on the same inputs", () => {
  it("aToken balance: floor on 3.6 (TokenMath.getATokenBalance), half-up on 3.0", () => {
    // 3 scaled at index 1.5: 4.5
    expect(RULES_V3_6.collateralBalance(3n, (15n * RAY) / 10n)).toBe(4n);
    expect(RULES_V3_0.collateralBalance(3n, (15n * RAY) / 10n)).toBe(5n);
  });
  it("variable debt balance: ceil on 3.6 (TokenMath.getVTokenBalance), half-up on 3.0", () => {
    // 3 scaled at index 1.1: 3.3
    expect(RULES_V3_6.variableDebtBalance(3n, (11n * RAY) / 10n)).toBe(4n);
    expect(RULES_V3_0.variableDebtBalance(3n, (11n * RAY) / 10n)).toBe(3n);
    expect(RULES_V3_6.variableDebtBalance(0n, (11n * RAY) / 10n)).toBe(0n);
  });
  it("debt in base currency: ceil on 3.6 (MathUtils.mulDivCeil), floor on 3.0; collateral floor on both", () => {
    // 1.000001 tokens (6 decimals) at $0.33333333: 33333366.333333 base units
    expect(RULES_V3_6.debtInBase(1_000_001n, 33_333_333n, 10n ** 6n)).toBe(33_333_367n);
    expect(RULES_V3_0.debtInBase(1_000_001n, 33_333_333n, 10n ** 6n)).toBe(33_333_366n);
    expect(RULES_V3_6.collateralInBase(1_000_001n, 33_333_333n, 10n ** 6n)).toBe(33_333_366n);
    expect(RULES_V3_6.debtInBase(3n * 10n ** 6n, E8, 10n ** 6n)).toBe(300_000_000n); // exact: no rounding up
  });
  it("compounded interest: the 3.4+ form x + x·(x/2 + x·x/6) on 3.6, the 3-term binomial on 3.0", () => {
    const rate = RAY / 10n; // 10% a year
    const year = 31_536_000n;
    // x = 0.1: 1 + 0.1 + rayMul(0.1, 0.05 + rayMul(0.1, 0.0166..)) = 1.105166666666666666666666667
    expect(RULES_V3_6.compoundedInterest(rate, T - year, T)).toBe(1_105_166_666_666_666_666_666_666_667n);
    expect(calculateCompoundedInterestV34(rate, T - year, T)).toBe(1_105_166_666_666_666_666_666_666_667n);
    // The binomial with per-second compounding terms gives 1.105162042821782412575504
    expect(RULES_V3_0.compoundedInterest(rate, T - year, T)).toBe(1_105_162_042_821_782_412_575_504_000n);
    // 120 days
    const d120 = 120n * 86_400n;
    expect(calculateCompoundedInterestV34(rate, T - d120, T)).toBe(1_033_423_074_055_889_588_372_744_635n);
    expect(calculateCompoundedInterestV30(rate, T - d120, T)).toBe(1_033_422_909_696_593_524_984_823_232n);
    expect(RULES_V3_6.compoundedInterest(rate, T, T)).toBe(RAY);
    expect(RULES_V3_6.linearInterest).toBe(calculateLinearInterest);
  });
  it("HF = wadDiv(S, TD) / 1e4 on 3.6 (no avgLT truncation); avgLT is still reported as ⌊S/TC⌋", () => {
    // $1000 at LT 82.5% + $1 at LT 75%: S = 825,750,000,000,000, TC = 1001e8, avgLT = 8249.25 -> 8249.
    // Debt S/1e4 = $825.75: 3.6 says HF = 1 exactly (not liquidatable); V3.0 loses the 0.25 bp: 0.99997 < 1.
    const tc = 1001n * E8;
    const s = 1000n * E8 * 8250n + E8 * 7500n;
    const td = 82_575_000_000n;
    expect(RULES_V3_6.healthFactor(tc, s, td)).toEqual({ avgLiquidationThreshold: 8249n, healthFactor: WAD });
    expect(RULES_V3_0.healthFactor(tc, s, td)).toEqual({ avgLiquidationThreshold: 8249n, healthFactor: 999_969_603_390_856_797n });
    expect(RULES_V3_6.healthFactor(tc, s, td).healthFactor < RULES_V3_6.liquidationThreshold).toBe(false);
    expect(RULES_V3_0.healthFactor(tc, s, td).healthFactor < RULES_V3_0.liquidationThreshold).toBe(true);
    // floor of the / 1e4: wadDiv(2, 3) = 666666666666666667 -> 66666666666666
    expect(RULES_V3_6.healthFactor(1n, 2n, 3n).healthFactor).toBe(66_666_666_666_666n);
    expect(RULES_V3_6.healthFactor(5n, 5n, 0n)).toEqual({ avgLiquidationThreshold: 1n, healthFactor: MAX_UINT256 });
    expect(RULES_V3_6.healthFactor(0n, 0n, 7n)).toEqual({ avgLiquidationThreshold: 0n, healthFactor: 0n });
  });
});

/** Reserves: 0 WETH-like, 1 USDC-like, 2 WBTC-like (category bits 2, not in any bitmap), 3 LT-0, 4 wstETH-like. */
function handMarket(): MarketState {
  const reserve = (id: number, decimals: number, price: bigint, ltv: number, lt: number, lb: number, eModeBits = 0): ReserveState => ({
    asset: addr(0xaa, id),
    id,
    decimals,
    unit: 10n ** BigInt(decimals),
    ltv,
    liquidationThreshold: lt,
    liquidationBonus: lb,
    liquidationProtocolFee: 1000,
    eModeCategory: eModeBits,
    active: true,
    frozen: false,
    paused: false,
    borrowingEnabled: true,
    flashLoanEnabled: true,
    liquidityIndex: RAY,
    variableBorrowIndex: RAY,
    currentLiquidityRate: 0n,
    currentVariableBorrowRate: 0n,
    lastUpdateTimestamp: T,
    aToken: addr(0xa1, id),
    variableDebtToken: addr(0xd1, id),
    stableDebtToken: ZERO,
    price,
    liquidationGracePeriodUntil: 0n,
  });
  const category = (id: number, ltv: number, lt: number, lb: number, collateral: bigint, ltvzero: bigint): EModeCategoryState => ({
    id,
    ltv,
    liquidationThreshold: lt,
    liquidationBonus: lb,
    priceSource: ZERO,
    priceSourcePrice: 0n,
    label: `cat ${id}`,
    collateralBitmap: collateral,
    borrowableBitmap: collateral,
    ltvzeroBitmap: ltvzero,
  });
  return {
    reserves: [
      reserve(0, 18, 2000n * E8, 8000, 8250, 10500),
      reserve(1, 6, E8, 7500, 8000, 10450),
      reserve(2, 8, 30_000n * E8, 7000, 7500, 10500, 2),
      reserve(3, 18, 5n * E8, 0, 0, 0),
      reserve(4, 18, 2400n * E8, 7000, 7500, 10600),
    ],
    eModes: new Map([
      [1, category(1, 9300, 9500, 10100, bit(1), 0n)],
      [2, category(2, 9000, 9300, 10200, bit(0) | bit(3) | bit(4), bit(4))],
    ]),
    baseCurrencyUnit: E8,
    flashLoanPremiumTotal: 5n,
  };
}

function pos(eMode: number, coll: [number, bigint][], debt: [number, bigint][]): AccountPosition {
  return {
    user: addr(0xcc, 1),
    eModeCategory: eMode,
    userConfig: buildUserConfig(
      coll.map((c) => c[0]),
      debt.map((d) => d[0]),
    ),
    scaledCollateral: new Map(coll),
    scaledVariableDebt: new Map(debt),
    stableDebt: new Map(),
  };
}

describe("computeAccountHealth on 3.6 (hand-built accounts)", () => {
  const m = handMarket();
  const h36 = (p: AccountPosition) => computeAccountHealth(p, m, RULES_V3_6, T);
  const h30 = (p: AccountPosition) => computeAccountHealth(p, m, RULES_V3_0, T);
  const ETH = 10n ** 18n;

  it("single collateral / single debt", () => {
    // 1 WETH ($2000, LT 82.5%) vs 1000 USDC: HF = 2000*0.825/1000 = 1.65
    expect(h36(pos(0, [[0, ETH]], [[1, 1000n * 10n ** 6n]]))).toEqual({
      totalCollateralBase: 2000n * E8,
      totalDebtBase: 1000n * E8,
      avgLiquidationThreshold: 8250n,
      healthFactor: 165n * 10n ** 16n,
      ltv: 8000n,
    });
  });

  it("LT-0 collateral enters TC on 3.6 (not S, not avgLTV), and is skipped on V3.0", () => {
    // + 1000 tokens of the LT-0 reserve ($5000): TC = $7000, S unchanged -> HF unchanged, avgLT = ⌊2000·8250/7000⌋
    const p = pos(
      0,
      [
        [0, ETH],
        [3, 1000n * ETH],
      ],
      [[1, 1000n * 10n ** 6n]],
    );
    expect(h36(p)).toEqual({
      totalCollateralBase: 7000n * E8,
      totalDebtBase: 1000n * E8,
      avgLiquidationThreshold: 2357n,
      healthFactor: 165n * 10n ** 16n,
      ltv: 2285n,
    });
    expect(h30(p).totalCollateralBase).toBe(2000n * E8);
    expect(h30(p).avgLiquidationThreshold).toBe(8250n);
  });

  it("an LT-0 reserve in the category's collateral bitmap takes the eMode LT and LTV", () => {
    // 1000 LT-0 tokens ($5000) in eMode 2 (LT 93%, LTV 90%) vs 1 WETH ($2000): HF = 5000*0.93/2000 = 2.325
    expect(h36(pos(2, [[3, 1000n * ETH]], [[0, ETH]]))).toEqual({
      totalCollateralBase: 5000n * E8,
      totalDebtBase: 2000n * E8,
      avgLiquidationThreshold: 9300n,
      healthFactor: 2_325n * 10n ** 15n,
      ltv: 9000n,
    });
  });

  it("ltvzeroBitmap zeroes the LTV only: the member keeps the eMode LT", () => {
    // 1 wstETH-like ($2400) in eMode 2 vs 0.5 WETH ($1000): LT 93% -> HF 2.232, LTV 0
    expect(h36(pos(2, [[4, ETH]], [[0, ETH / 2n]]))).toEqual({
      totalCollateralBase: 2400n * E8,
      totalDebtBase: 1000n * E8,
      avgLiquidationThreshold: 9300n,
      healthFactor: 2_232n * 10n ** 15n,
      ltv: 0n,
    });
    // out of eMode: its own LT 75% and LTV 70%
    expect(h36(pos(0, [[4, ETH]], [[0, ETH / 2n]]))).toMatchObject({
      avgLiquidationThreshold: 7500n,
      healthFactor: 18n * 10n ** 17n,
      ltv: 7000n,
    });
  });

  it("membership is the bitmap, never the deprecated reserve category bits; other categories' members are not", () => {
    // reserve 2 carries category bits 2 but is not in category 2's bitmap: its own LT 75%
    const wbtc = pos(2, [[2, 10n ** 8n]], [[0, ETH]]); // 1 WBTC-like ($30000) vs 1 WETH
    expect(h36(wbtc)).toMatchObject({ avgLiquidationThreshold: 7500n, healthFactor: 1125n * 10n ** 16n, ltv: 7000n });
    expect(h30(wbtc).avgLiquidationThreshold).toBe(9300n); // V3.0 reads those bits
    // USDC is in category 1's bitmap, not 2's
    expect(h36(pos(2, [[1, 1000n * 10n ** 6n]], [[0, ETH / 4n]])).avgLiquidationThreshold).toBe(8000n);
    expect(h36(pos(1, [[1, 1000n * 10n ** 6n]], [[0, ETH / 4n]])).avgLiquidationThreshold).toBe(9500n);
    // a category that does not exist reads as zeroed storage: no member, reserve parameters
    expect(h36(pos(7, [[0, ETH]], [[1, 1000n * 10n ** 6n]])).healthFactor).toBe(165n * 10n ** 16n);
  });

  it("balances round floor (collateral) and ceil (debt, then ceil again in base) with accrued indexes", () => {
    const m2 = handMarket();
    Object.assign(m2.reserves[1]!, { liquidityIndex: (15n * RAY) / 10n, variableBorrowIndex: (11n * RAY) / 10n });
    // collateral 3 scaled USDC-units at 1.5 -> 4 units (3.0: 5); debt 3 scaled at 1.1 -> 4 units (3.0: 3)
    const p = pos(0, [[1, 3n]], [[1, 3n]]);
    const a = computeAccountHealth(p, m2, RULES_V3_6, T);
    const b = computeAccountHealth(p, m2, RULES_V3_0, T);
    expect([a.totalCollateralBase, a.totalDebtBase]).toEqual([400n, 400n]); // 4e-6 USDC at $1 = 400 base units
    expect([b.totalCollateralBase, b.totalDebtBase]).toEqual([500n, 300n]);
    expect(a.healthFactor).toBe(8n * 10n ** 17n); // 400·8000/400/1e4
  });
});

/**
 * Literal transcription of aave-v3-origin 3.6.0 GenericLogic.calculateUserAccountData (+ ReserveLogic,
 * TokenMath, MathUtils.mulDivCeil, ValidationLogic.getUserReserveLtv), written apart from the engine.
 */
function reference36(p: AccountPosition, m: MarketState, ts: bigint): AccountHealth {
  if (p.userConfig === 0n)
    return { totalCollateralBase: 0n, totalDebtBase: 0n, avgLiquidationThreshold: 0n, healthFactor: MAX_UINT256, ltv: 0n };
  const cat = m.eModes.get(p.eModeCategory);
  const eModeLt = p.eModeCategory !== 0 ? BigInt(cat?.liquidationThreshold ?? 0) : 0n;
  const bitmap = p.eModeCategory !== 0 ? (cat?.collateralBitmap ?? 0n) : 0n;
  const on = (b: bigint, i: number) => ((b >> BigInt(i)) & 1n) === 1n;
  const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
  let tc = 0n,
    td = 0n,
    avgLtv = 0n,
    avgLt = 0n;
  for (let i = 0; i < m.reserves.length; i++) {
    const borrowing = ((p.userConfig >> BigInt(2 * i)) & 1n) === 1n;
    const collateral = ((p.userConfig >> BigInt(2 * i + 1)) & 1n) === 1n;
    const r = m.reserves[i];
    if ((!borrowing && !collateral) || r === undefined) continue;
    const unit = 10n ** BigInt(r.decimals);
    if (collateral) {
      const income =
        ts === r.lastUpdateTimestamp
          ? r.liquidityIndex
          : (calculateLinearInterest(r.currentLiquidityRate, r.lastUpdateTimestamp, ts) * r.liquidityIndex + RAY / 2n) / RAY;
      const base = ((((p.scaledCollateral.get(i) ?? 0n) * income) / RAY) * r.price) / unit;
      tc += base;
      const member = p.eModeCategory !== 0 && cat !== undefined && on(cat.collateralBitmap, r.id);
      const ltv = member ? (on(cat!.ltvzeroBitmap, r.id) ? 0n : BigInt(cat!.ltv)) : BigInt(r.ltv);
      if (ltv !== 0n) avgLtv += base * ltv;
      avgLt += base * (p.eModeCategory !== 0 && on(bitmap, i) ? eModeLt : BigInt(r.liquidationThreshold));
    }
    if (borrowing) {
      const debtIndex =
        ts === r.lastUpdateTimestamp
          ? r.variableBorrowIndex
          : (calculateCompoundedInterestV34(r.currentVariableBorrowRate, r.lastUpdateTimestamp, ts) * r.variableBorrowIndex + RAY / 2n) /
            RAY;
      const debt = ceilDiv((p.scaledVariableDebt.get(i) ?? 0n) * debtIndex, RAY);
      td += ceilDiv(debt * r.price, unit);
    }
  }
  const hf = td === 0n ? MAX_UINT256 : (avgLt * WAD + td / 2n) / td / 10_000n;
  return {
    totalCollateralBase: tc,
    totalDebtBase: td,
    avgLiquidationThreshold: tc !== 0n ? avgLt / tc : 0n,
    healthFactor: hf,
    ltv: tc !== 0n ? avgLtv / tc : 0n,
  };
}

describe("3.6 engine vs the literal GenericLogic transcription (random accounts)", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: bit-exact, the screen bracket contains the exact HF, the exact bracket is tight`, () => {
      const rng = new Rng(seed);
      const m = makeMarket(rng, { bitmaps: true, ltZeroReserve: true });
      for (let step = 0; step < 3; step++) {
        const ts = T + BigInt(step * 86_400 * 40 + step * 7919);
        const snap = snapshotMarket(m, RULES_V3_6, ts);
        for (let i = 0; i < 400; i++) {
          const p = makeAccount(rng, m, i, { eModeProb: 0.4, hfLo: 0.9, hfHi: 1.1 });
          const ref = reference36(p, m, ts);
          expect(computeAccountHealthFromSnapshot(p, snap)).toEqual(ref);
          const acc = compileAccount(p, RULES_V3_6);
          screenAccount(acc, snap);
          const x = Number(ref.healthFactor) / 1e18;
          if (ref.healthFactor !== MAX_UINT256) expect(acc.hfLo <= x && x <= acc.hfHi).toBe(true);
          expect(healthOf(acc)).toEqual(ref); // lazily exact after a screen
          evaluateAccount(acc, snap);
          if (ref.healthFactor !== MAX_UINT256) {
            expect(acc.hfLo <= x && x <= acc.hfHi).toBe(true);
            expect(acc.hfHi - acc.hfLo).toBeLessThan(1e-10 * x + 1e-14); // 3.6 has no avgLT truncation to allow for
          }
        }
      }
    });
  }

  it("LT-0 and ltv-zero members, eMode and non-eMode accounts all occur in the random set", () => {
    const rng = new Rng(5);
    const m = makeMarket(rng, { bitmaps: true, ltZeroReserve: true });
    const ltZero = m.reserves.length - 1;
    const ltvzero = m.eModes.get(2)!.ltvzeroBitmap;
    let withLtZero = 0,
      withLtvzero = 0,
      eMode = 0;
    for (let i = 0; i < 2000; i++) {
      const p = makeAccount(rng, m, i, { eModeProb: 0.4 });
      if (p.scaledCollateral.has(ltZero)) withLtZero++;
      if (p.eModeCategory === 2 && [...p.scaledCollateral.keys()].some((id) => ((ltvzero >> BigInt(id)) & 1n) === 1n)) withLtvzero++;
      if (p.eModeCategory !== 0) eMode++;
    }
    expect(withLtZero).toBeGreaterThan(50);
    expect(withLtvzero).toBeGreaterThan(10);
    expect(eMode).toBeGreaterThan(500);
  });
});

describe("AccountBook on 3.6: screened = exact", () => {
  it("same health and liquidatable set with and without the float screen, also after a price move", () => {
    const rng = new Rng(36);
    const m = makeMarket(rng, { bitmaps: true, ltZeroReserve: true });
    const screened = new AccountBook(RULES_V3_6);
    const exact = new AccountBook(RULES_V3_6, { screening: false });
    const positions = Array.from({ length: 3000 }, (_, i) => makeAccount(rng, m, i, { eModeProb: 0.3, hfLo: 0.97, hfHi: 1.04 }));
    for (const p of positions) {
      screened.upsert(p);
      exact.upsert(p);
    }
    for (const step of [0, 1]) {
      if (step === 1) m.reserves[1]!.price = (m.reserves[1]!.price * 98n) / 100n;
      const snap = snapshotMarket(m, RULES_V3_6, T + BigInt(step * 12));
      screened.recomputeAll(snap);
      exact.recomputeAll(snap);
      expect(screened.lastExactCount).toBeLessThan(positions.length / 10);
      expect(new Set(screened.liquidatable())).toEqual(new Set(exact.liquidatable()));
      expect(screened.liquidatable().length).toBeGreaterThan(200);
      for (const p of positions) expect(screened.health(p.user)).toEqual(exact.health(p.user));
    }
  });
});

describe("liquidation price and liquidation bonus on 3.6", () => {
  it("exact boundary on random accounts (full recomputation with the moved price)", () => {
    const rng = new Rng(22);
    const m = makeMarket(rng, { bitmaps: true, ltZeroReserve: true });
    const snap = snapshotMarket(m, RULES_V3_6, T);
    const withPrice = (asset: string, price: bigint): MarketState => ({
      ...m,
      reserves: m.reserves.map((r) => (r !== undefined && r.asset === asset ? { ...r, price } : r)),
    });
    let found = 0;
    for (let i = 0; i < 150; i++) {
      const p = makeAccount(rng, m, i, { eModeProb: 0.3 });
      if (i % 5 === 0) {
        // borrow a collateral asset too, so both sides move
        const [cid] = [...p.scaledCollateral.keys()];
        p.scaledVariableDebt.set(cid!, (p.scaledCollateral.get(cid!)! * BigInt(rng.int(1, 120))) / 100n);
        p.userConfig |= 1n << BigInt(2 * cid!);
      }
      for (const lp of liquidationPrices(p, snap)) {
        found++;
        expect(lp.feed).toBe(m.reserves[lp.reserveId]!.asset);
        const hfAt = (price: bigint) => computeAccountHealth(p, withPrice(lp.feed, price), RULES_V3_6, T).healthFactor;
        expect(hfAt(lp.price) < WAD).toBe(true);
        expect(hfAt(lp.direction === "down" ? lp.price + 1n : lp.price - 1n) >= WAD).toBe(true);
      }
    }
    expect(found).toBeGreaterThan(100);
  });

  it("bonus: the category's for collateral in its collateral bitmap, else the reserve's; prices are the assets'", () => {
    const m = handMarket();
    const cat2 = m.eModes.get(2)!;
    const [weth, usdc, wbtc] = [m.reserves[0]!, m.reserves[1]!, m.reserves[2]!];
    expect(RULES_V3_6.liquidationPricesAndBonus(weth, usdc, 2, cat2)).toEqual({
      collateralPrice: weth.price,
      debtPrice: usdc.price,
      liquidationBonus: 10200n,
    });
    expect(RULES_V3_6.liquidationPricesAndBonus(wbtc, weth, 2, cat2)).toEqual({
      collateralPrice: wbtc.price,
      debtPrice: weth.price,
      liquidationBonus: 10500n,
    });
    expect(RULES_V3_6.liquidationPricesAndBonus(weth, usdc, 0, undefined).liquidationBonus).toBe(10500n);
    expect(RULES_V3_6.inEMode(weth, 2, cat2)).toBe(true);
    expect(RULES_V3_6.inEMode(wbtc, 2, cat2)).toBe(false);
    expect(RULES_V3_6.inEMode(weth, 0, cat2)).toBe(false);
  });
});
