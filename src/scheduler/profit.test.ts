// The profit model against hand-computed Aave V3.0 liquidations. Every reserve has index 1 (RAY)
// and lastUpdateTimestamp = T, so balances equal the scaled amounts and the numbers below can be
// worked out on paper from LiquidationLogic 3.0:
//   maxDebt  = percentMul(userDebt, HF > 0.95 ? 5000 : 10000)
//   base     = floor(Pd·debt·Uc / (Pc·Ud));  seized = percentMul(base, LB)
//   capped   : seized = collBal; debt = percentDiv(floor(Pc·collBal·Ud / (Pd·Uc)), LB)
//   fee      = percentMul(seized - percentDiv(seized, LB), feeBps); liquidator gets seized - fee
// percentMul(x, p) = (x·p + 5000) / 1e4, percentDiv(x, p) = (x·1e4 + p/2) / p (floors).
import { describe, expect, it } from "vitest";
import { compileAccount, evaluateAccount, type CompiledAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { RULES_V3_0 } from "../risk/rules.js";
import type { AccountPosition, Address, MarketState, ReserveState } from "../risk/types.js";
import { buildUserConfig } from "../risk/userConfiguration.js";
import { RAY } from "../risk/wadRayMath.js";
import { gasCostBase, planLiquidation, planPair, treasuryFeeTransfer, type PairOutcome, type PlanOptions } from "./profit.js";

const T = 1_700_000_000n;
const E18 = 10n ** 18n;
const E8 = 10n ** 8n;
const E6 = 10n ** 6n;
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const addr = (prefix: number, i: number): Address =>
  `0x${prefix.toString(16).padStart(2, "0")}${i.toString(16).padStart(38, "0")}` as Address;

const WETH = 0,
  USDC = 1,
  LINK = 2,
  DAI = 3,
  LTZ = 4;
const SYMBOLS = new Map([
  [WETH, "WETH"],
  [USDC, "USDC"],
  [LINK, "LINK"],
  [DAI, "DAI"],
  [LTZ, "LTZ"],
]);

function reserve(id: number, decimals: number, price: bigint, lt: number, lb: number, fee: number, eMode: number): ReserveState {
  return {
    asset: addr(0xaa, id),
    id,
    decimals,
    unit: 10n ** BigInt(decimals),
    ltv: lt === 0 ? 0 : lt - 300,
    liquidationThreshold: lt,
    liquidationBonus: lb,
    liquidationProtocolFee: fee,
    eModeCategory: eMode,
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
    stableDebtToken: addr(0x51, id),
    price,
    liquidationGracePeriodUntil: 0n,
  };
}

/** WETH $2000 LT 82.5% LB 5% fee 10%; USDC $1 LT 80% LB 4.5% no fee (eMode 1); LINK $10 LT 70% LB 7% no fee;
 *  DAI $1 LT 77% LB 4% fee 10% (eMode 1); LTZ $5 LT 0. eMode 1: LT 95%, LB 1%, no priceSource. */
function market(patch: (m: MarketState) => void = () => {}): MarketState {
  const m: MarketState = {
    reserves: [
      reserve(WETH, 18, 2000n * E8, 8250, 10500, 1000, 0),
      reserve(USDC, 6, E8, 8000, 10450, 0, 1),
      reserve(LINK, 18, 10n * E8, 7000, 10700, 0, 0),
      reserve(DAI, 18, E8, 7700, 10400, 1000, 1),
      reserve(LTZ, 18, 5n * E8, 0, 0, 0, 0),
    ],
    eModes: new Map([
      [
        1,
        {
          id: 1,
          ltv: 9300,
          liquidationThreshold: 9500,
          liquidationBonus: 10100,
          priceSource: ZERO,
          priceSourcePrice: 0n,
          label: "Stablecoins",
          collateralBitmap: 0n,
          borrowableBitmap: 0n,
          ltvzeroBitmap: 0n,
        },
      ],
    ]),
    baseCurrencyUnit: E8,
    flashLoanPremiumTotal: 5n,
  };
  patch(m);
  return m;
}

function account(
  m: MarketState,
  coll: [number, bigint][],
  debt: [number, bigint][],
  opts: { eMode?: number; extraCollateral?: [number, bigint][] } = {},
): { acc: CompiledAccount; snap: MarketSnapshot } {
  const position: AccountPosition = {
    user: addr(0xcc, 1),
    eModeCategory: opts.eMode ?? 0,
    userConfig: buildUserConfig(
      coll.map((c) => c[0]),
      debt.map((d) => d[0]),
    ),
    // extraCollateral: aTokens held without the collateral bit
    scaledCollateral: new Map([...coll, ...(opts.extraCollateral ?? [])]),
    scaledVariableDebt: new Map(debt),
    stableDebt: new Map(),
  };
  const snap = snapshotMarket(m, RULES_V3_0, T);
  const acc = compileAccount(position, RULES_V3_0);
  evaluateAccount(acc, snap);
  return { acc, snap };
}

const NO_GAS = { gasUnits: 0n, maxFeePerGas: 0n, nativePriceBase: 0n };
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ gas: NO_GAS, minProfitBase: 0n, blockNumber: 42n, symbols: SYMBOLS, ...o });

function pair(pairs: PairOutcome[], c: number, d: number): PairOutcome {
  const found = pairs.find((p) =>
    "plan" in p ? p.plan.collateralReserveId === c && p.plan.debtReserveId === d : p.collateralReserveId === c && p.debtReserveId === d,
  );
  if (found === undefined) throw new Error(`no pair ${c}/${d}`);
  return found;
}
const planOf = (o: PairOutcome) => {
  if (!("plan" in o)) throw new Error(`skipped: ${o.skip}`);
  return o.plan;
};
const skipOf = (o: PairOutcome) => {
  if (!("skip" in o)) throw new Error("expected a skip");
  return o.skip;
};

describe("planLiquidation (V3.0, hand-computed)", () => {
  it("HF 0.96: 50% close factor, 10% protocol fee, values and gas", () => {
    // 1 WETH ($2000, LT 82.5%) vs 1718.75 USDC: HF = 1650/1718.75 = 0.96 exactly.
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    // gas: 500k × 20 gwei = 0.01 ETH × $2000 = $20 = 2_000_000_000 base
    const gas = { gasUnits: 500_000n, maxFeePerGas: 20n * 10n ** 9n, nativePriceBase: 2000n * E8 };
    expect(gasCostBase(gas)).toBe(2_000_000_000n);
    const r = planLiquidation(acc, snap, opts({ gas, minProfitBase: E8 }));
    const p = r.best!;
    expect(p.healthFactor).toBe(96n * 10n ** 16n);
    // maxDebt = percentMul(1718.75e6, 5000) = 859.375e6
    expect(p.debtToCover).toBe(859_375_000n);
    expect(p.expectedDebtRepaid).toBe(859_375_000n);
    // base = 1e8·859375000·1e18 / (2000e8·1e6) = 0.4296875e18; ×1.05 = 0.451171875e18
    // percentDiv(0.451171875e18, 10500) = 0.4296875e18 → bonus 0.021484375e18 → fee 10% = 0.0021484375e18
    expect(p.expectedProtocolFee).toBe(2_148_437_500_000_000n);
    expect(p.expectedCollateralSeized).toBe(451_171_875_000_000_000n - 2_148_437_500_000_000n); // 0.4490234375e18
    // collateral 0.4490234375 × 2000 = $898.046875; debt $859.375; gas $20 → profit $18.671875
    expect(p.collateralValueBase).toBe(89_804_687_500n);
    expect(p.debtValueBase).toBe(85_937_500_000n);
    expect(p.gasCostBase).toBe(2_000_000_000n);
    expect(p.swapCostBase).toBe(0n);
    expect(p.expectedProfitBase).toBe(1_867_187_500n);
    expect(p).toMatchObject({
      user: addr(0xcc, 1),
      collateralAsset: addr(0xaa, WETH),
      collateralReserveId: WETH,
      collateralSymbol: "WETH",
      debtAsset: addr(0xaa, USDC),
      debtReserveId: USDC,
      debtSymbol: "USDC",
      receiveAToken: false,
      timestamp: T,
      blockNumber: 42n,
    });
    expect(r.pairs).toEqual([{ plan: p }]);
    expect(r.skip).toBeUndefined();
  });

  it("swap cost: ceil(collateralValue × bps / 1e4)", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    // 89_804_687_500 × 30 / 1e4 = 269_414_062.5 → 269_414_063
    const p = planLiquidation(acc, snap, opts({ swapCostBps: 30 })).best!;
    expect(p.swapCostBase).toBe(269_414_063n);
    expect(p.expectedProfitBase).toBe(89_804_687_500n - 85_937_500_000n - 269_414_063n);
    expect(() => planLiquidation(acc, snap, opts({ swapCostBps: 1.5 }))).toThrow(RangeError);
  });

  it("HF exactly 0.95 takes the 100% close factor (the contract tests HF > 0.95 for 50%)", () => {
    // 1.9 WETH = $3800 × 0.825 = $3135 vs 3300 USDC: HF = 0.95 exactly
    const { acc, snap } = account(market(), [[WETH, 19n * 10n ** 17n]], [[USDC, 3_300_000_000n]]);
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(95n * 10n ** 16n);
    expect(p.debtToCover).toBe(3_300_000_000n);
    expect(p.expectedDebtRepaid).toBe(3_300_000_000n);
    // base 1.65 WETH ×1.05 = 1.7325; bonus 0.0825, fee 0.00825 → liquidator 1.72425 WETH
    expect(p.expectedProtocolFee).toBe(8_250_000_000_000_000n);
    expect(p.expectedCollateralSeized).toBe(1_724_250_000_000_000_000n);
  });

  it("HF just above 0.95 → 50%, just below → 100%", () => {
    // 3299.999999 USDC: HF = wadDiv(3135e8, 329999999999) > 0.95 → 50%: percentMul(3299999999, 5000) = 1_649_999_999.5 → 1_650_000_000 (half-up)
    const above = account(market(), [[WETH, 19n * 10n ** 17n]], [[USDC, 3_299_999_999n]]);
    const pa = planLiquidation(above.acc, above.snap, opts()).best!;
    expect(pa.healthFactor > 95n * 10n ** 16n).toBe(true);
    expect(pa.debtToCover).toBe(1_650_000_000n);
    // 3300.000001 USDC: HF < 0.95 → all of it
    const below = account(market(), [[WETH, 19n * 10n ** 17n]], [[USDC, 3_300_000_001n]]);
    const pb = planLiquidation(below.acc, below.snap, opts()).best!;
    expect(pb.healthFactor < 95n * 10n ** 16n).toBe(true);
    expect(pb.debtToCover).toBe(3_300_000_001n);
    expect(pb.expectedDebtRepaid).toBe(3_300_000_001n);
  });

  it("collateral-capped branch: all the collateral, less debt", () => {
    // 1 WETH vs 2000 USDC: HF 0.825 → maxDebt 2000 USDC, needs 1.05 WETH > 1 → capped
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 2_000_000_000n]]);
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.debtToCover).toBe(2_000_000_000n);
    // debt = percentDiv(2000e8·1e18·1e6 / (1e8·1e18) = 2000e6, 10500) = (2e13 + 5250) / 10500 = 1_904_761_905
    expect(p.expectedDebtRepaid).toBe(1_904_761_905n);
    // percentDiv(1e18, 10500) = 952_380_952_380_952_381 → bonus 47_619_047_619_047_619 → fee 4_761_904_761_904_762
    expect(p.expectedProtocolFee).toBe(4_761_904_761_904_762n);
    expect(p.expectedCollateralSeized).toBe(E18 - 4_761_904_761_904_762n);
    expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(E18);
    // debt value rounds up: 1_904_761_905 × 1e8 / 1e6 = 190_476_190_500 (exact)
    expect(p.debtValueBase).toBe(190_476_190_500n);
  });

  it("eMode: the category's bonus (1%) and LT (95%)", () => {
    // eMode 1: 980 DAI (LT 95% → $931) vs 950 USDC: HF = 0.98 → 50% = 475 USDC
    const { acc, snap } = account(market(), [[DAI, 980n * E18]], [[USDC, 950n * E6]], { eMode: 1 });
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(98n * 10n ** 16n);
    expect(p.debtToCover).toBe(475n * E6);
    // 475 DAI × 1.01 = 479.75 (not DAI's own 4%); bonus 4.75, DAI fee 10% → 0.475
    expect(p.expectedProtocolFee).toBe(475n * 10n ** 15n);
    expect(p.expectedCollateralSeized).toBe(479_275n * 10n ** 15n);
    // outside eMode the same account is far below 1 (HF = 754.6/950 < 0.95) and DAI's own 4% applies:
    // 950 × 1.04 = 988 DAI > 980 → capped, debt = percentDiv(980e6, 10400) = (9.8e12 + 5200) / 10400 = 942_307_692
    const { acc: a0, snap: s0 } = account(market(), [[DAI, 980n * E18]], [[USDC, 950n * E6]]);
    const p0 = planLiquidation(a0, s0, opts()).best!;
    expect(p0.debtToCover).toBe(950n * E6);
    expect(p0.expectedDebtRepaid).toBe(942_307_692n);
    expect(p0.expectedCollateralSeized + p0.expectedProtocolFee).toBe(980n * E18);
  });

  it("best pair: the 7% bonus collateral beats the 4.5% one when both cover", () => {
    // 3000 USDC (LT 80%) + 300 LINK ($3000, LT 70%) vs 2.3 WETH ($4600): avgLT 75%, HF = 4500/4600 = 0.978 → 50% = 1.15 WETH ($2300)
    const { acc, snap } = account(
      market(),
      [
        [USDC, 3000n * E6],
        [LINK, 300n * E18],
      ],
      [[WETH, 23n * 10n ** 17n]],
    );
    const r = planLiquidation(acc, snap, opts());
    const usdc = planOf(pair(r.pairs, USDC, WETH));
    const link = planOf(pair(r.pairs, LINK, WETH));
    // USDC: 2300 × 1.045 = 2403.5 USDC = $2403.5 → profit $103.5
    expect(usdc.expectedCollateralSeized).toBe(2_403_500_000n);
    expect(usdc.expectedProfitBase).toBe(10_350_000_000n);
    // LINK: 230 × 1.07 = 246.1 LINK = $2461 → profit $161
    expect(link.expectedCollateralSeized).toBe(2461n * 10n ** 17n);
    expect(link.expectedProfitBase).toBe(16_100_000_000n);
    expect(usdc.expectedDebtRepaid).toBe(115n * 10n ** 16n);
    expect(link.expectedDebtRepaid).toBe(115n * 10n ** 16n);
    expect(r.best).toBe(link);
    // above $150 of MIN_PROFIT only LINK remains, above $200 nothing
    const r2 = planLiquidation(acc, snap, opts({ minProfitBase: 150n * E8 }));
    expect(r2.best?.collateralReserveId).toBe(LINK);
    expect(skipOf(pair(r2.pairs, USDC, WETH))).toMatch(/^unprofitable: profit 103\.5 < MIN_PROFIT 150 /);
    const r3 = planLiquidation(acc, snap, opts({ minProfitBase: 200n * E8 }));
    expect(r3.best).toBeUndefined();
    expect(r3.skip).toMatch(/LINK\/WETH: unprofitable: profit 161 < MIN_PROFIT 200/);
  });

  it("gas can make a liquidation unprofitable", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    // before gas: 89_804_687_500 - 85_937_500_000 = $38.671875; gas 500k × 400 gwei = 0.2 ETH = $400
    const gas = { gasUnits: 500_000n, maxFeePerGas: 400n * 10n ** 9n, nativePriceBase: 2000n * E8 };
    const r = planLiquidation(acc, snap, opts({ gas, minProfitBase: E8 }));
    expect(r.best).toBeUndefined();
    const skip = skipOf(pair(r.pairs, WETH, USDC));
    expect(skip).toBe(
      "unprofitable: profit -361.328125 < MIN_PROFIT 1 (collateral 898.046875 - debt 859.375 - gas 400 - swap 0; repay 859375000, seize 449023437500000000)",
    );
    expect(r.skip).toContain("WETH/USDC: unprofitable");
  });

  it("gas cost rounds up", () => {
    // 21000 × 1 wei × $2000 / 1e18 = 4.2e-8 base units → 1
    expect(gasCostBase({ gasUnits: 21_000n, maxFeePerGas: 1n, nativePriceBase: 2000n * E8 })).toBe(1n);
    expect(gasCostBase(NO_GAS)).toBe(0n);
  });

  it("wallet cap: debtToCover = the balance, amounts recomputed", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    const r = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 500n * E6]]) }));
    const p = r.best!;
    // 500 USDC → 0.25 WETH × 1.05 = 0.2625; bonus 0.0125 → fee 0.00125 → liquidator 0.26125 WETH
    expect(p.debtToCover).toBe(500n * E6);
    expect(p.expectedDebtRepaid).toBe(500n * E6);
    expect(p.expectedProtocolFee).toBe(125n * 10n ** 13n);
    expect(p.expectedCollateralSeized).toBe(26_125n * 10n ** 13n);
    expect(p.walletLimited).toBe(true);
    // enough in the wallet: no cap
    const full = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 10_000n * E6]]) })).best!;
    expect(full.debtToCover).toBe(859_375_000n);
    expect(full.walletLimited).toBeUndefined();
  });

  it("wallet cap in the collateral-capped case compares with the debt actually repaid", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 2_000_000_000n]]);
    // exactly the 1_904_761_905 the capped branch takes: debtToCover stays maxDebt
    const exact = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 1_904_761_905n]]) })).best!;
    expect(exact.debtToCover).toBe(2_000_000_000n);
    expect(exact.expectedDebtRepaid).toBe(1_904_761_905n);
    expect(exact.walletLimited).toBeUndefined();
    // 1 wei less: not capped any more. base = 1_904_761_904·1e8·1e18/(2000e8·1e6) = 0.952380952e18, ×1.05 = 0.9999999996e18
    const less = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 1_904_761_904n]]) })).best!;
    expect(less.debtToCover).toBe(1_904_761_904n);
    expect(less.expectedDebtRepaid).toBe(1_904_761_904n);
    expect(less.walletLimited).toBe(true);
    expect(less.expectedCollateralSeized + less.expectedProtocolFee).toBe(999_999_999_600_000_000n);
  });

  it("a wallet without the debt token skips the pair", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    const r = planLiquidation(acc, snap, opts({ walletBalances: new Map([[WETH, E18]]) }));
    expect(r.best).toBeUndefined();
    expect(skipOf(pair(r.pairs, WETH, USDC))).toBe("wallet holds no USDC");
    expect(r.skip).toBe("no pair to liquidate (HF 0.9600): WETH/USDC: wallet holds no USDC");
  });

  it("paused, inactive and LT-0 reserves are skipped; frozen ones are liquidated", () => {
    // 1 WETH + 100 LINK ($1000 @70%) + 100 LTZ (LT 0, not in the HF) vs 2600 USDC:
    // avgLT = floor(2.35e15 / 3000e8) = 7833 → percentMul(3000e8, 7833) = 2349.9e8 → HF = 2349.9/2600
    const coll: [number, bigint][] = [
      [WETH, E18],
      [LINK, 100n * E18],
      [LTZ, 100n * E18],
    ];
    const debt: [number, bigint][] = [[USDC, 2600n * E6]];
    const paused = account(
      market((m) => {
        m.reserves[LINK]!.paused = true;
        m.reserves[WETH]!.frozen = true;
      }),
      coll,
      debt,
    );
    const r = planLiquidation(paused.acc, paused.snap, opts());
    expect(r.pairs).toHaveLength(3);
    expect(skipOf(pair(r.pairs, LINK, USDC))).toBe("collateral LINK is paused");
    expect(skipOf(pair(r.pairs, LTZ, USDC))).toBe("collateral LTZ has liquidation threshold 0");
    expect(r.best?.collateralReserveId).toBe(WETH); // frozen is fine
    expect(r.best?.healthFactor).toBe(903_807_692_307_692_308n); // wadDiv(2349.9e8, 2600e8), half-up

    const inactive = account(
      market((m) => {
        m.reserves[USDC]!.active = false;
      }),
      coll,
      debt,
    );
    const ri = planLiquidation(inactive.acc, inactive.snap, opts());
    expect(ri.best).toBeUndefined();
    expect(ri.pairs.map(skipOf)).toEqual(["debt USDC is not active", "debt USDC is not active", "debt USDC is not active"]);
    const pausedDebt = account(
      market((m) => {
        m.reserves[USDC]!.paused = true;
      }),
      coll,
      debt,
    );
    expect(planLiquidation(pausedDebt.acc, pausedDebt.snap, opts()).pairs.map(skipOf)).toEqual(Array(3).fill("debt USDC is paused"));
    // inactive is checked before paused, as in validateLiquidationCall
    const both = account(
      market((m) => {
        m.reserves[LINK]!.paused = true;
        m.reserves[LINK]!.active = false;
      }),
      coll,
      debt,
    );
    expect(skipOf(pair(planLiquidation(both.acc, both.snap, opts()).pairs, LINK, USDC))).toBe("collateral LINK is not active");
  });

  it("collateral without the bit and debts the user does not have are not liquidatable", () => {
    // 1 WETH (bit set) + 500 DAI supplied with the collateral bit off vs 1800 USDC: HF = 1650/1800
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1800n * E6]], { extraCollateral: [[DAI, 500n * E18]] });
    const r = planLiquidation(acc, snap, opts());
    expect(r.pairs).toHaveLength(1); // only WETH/USDC
    expect(skipOf(planPair(acc, snap, DAI, USDC, opts()))).toBe("DAI is not enabled as collateral by the user");
    expect(skipOf(planPair(acc, snap, WETH, LINK, opts()))).toBe("user has no LINK debt");
    expect("plan" in planPair(acc, snap, WETH, USDC, opts())).toBe(true);
  });

  it("a healthy account is not planned", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1000n * E6]]);
    const r = planLiquidation(acc, snap, opts());
    expect(r).toEqual({ pairs: [], skip: "healthy (HF 1.6500)" });
    expect(skipOf(planPair(acc, snap, WETH, USDC, opts()))).toBe("healthy (HF 1.6500)");
    // HF exactly 1 is not liquidatable either: 1 WETH vs 1650 USDC
    const one = account(market(), [[WETH, E18]], [[USDC, 1650n * E6]]);
    expect(planLiquidation(one.acc, one.snap, opts()).skip).toBe("healthy (HF 1.0000)");
  });

  it("evaluates the account at the snapshot it is given (accrued debt)", () => {
    // 10% variable rate, one year later: the debt grows, HF drops below 1
    const m = market((mm) => {
      mm.reserves[USDC]!.currentVariableBorrowRate = RAY / 10n;
    });
    const { acc, snap } = account(m, [[WETH, E18]], [[USDC, 1600n * E6]]);
    expect(planLiquidation(acc, snap, opts()).skip).toMatch(/^healthy/);
    const later = snapshotMarket(m, RULES_V3_0, T + 365n * 86_400n);
    const p = planLiquidation(acc, later, opts()).best!;
    expect(acc.snapshot).toBe(later);
    expect(p.timestamp).toBe(T + 365n * 86_400n);
    // 1600 × e^0.1 (3rd-order Taylor: 1 + 0.1 + 0.005 + 0.00016667) ≈ 1768.27 USDC; HF = 1650/1768 < 0.95 → 100%
    expect(p.debtToCover > 1768n * E6 && p.debtToCover < 1769n * E6).toBe(true);
    expect(p.debtToCover).toBe(acc.debt[0]!.varBal);
  });

  it("receiveAToken is passed through", () => {
    const { acc, snap } = account(market(), [[WETH, E18]], [[USDC, 1_718_750_000n]]);
    expect(planLiquidation(acc, snap, opts({ receiveAToken: true })).best?.receiveAToken).toBe(true);
  });
});

describe("treasuryFeeTransfer", () => {
  it("is the fee unless the scaled remainder is short (AToken rounding)", () => {
    expect(treasuryFeeTransfer(0n, 5n, 10n, RAY)).toBe(0n);
    expect(treasuryFeeTransfer(3n, 5n, 10n, RAY)).toBe(3n);
    // index 1.5: scaled 3 is a balance of rayMul(3, 1.5) = 5 (4.5 half-up). Seizing 4 burns
    // rayDiv(4, 1.5) = 3 (2.67 half-up) scaled, nothing is left for the fee of 1 (rayDiv = 1).
    const idx = (3n * RAY) / 2n;
    expect(treasuryFeeTransfer(1n, 4n, 3n, idx)).toBe(0n);
    // seizing 3 burns 2 scaled, leaving 1 for a fee of 2 (rayDiv = 1): the full fee
    expect(treasuryFeeTransfer(2n, 3n, 3n, idx)).toBe(2n);
  });
});
