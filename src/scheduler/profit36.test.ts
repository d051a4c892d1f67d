// The profit model under the Aave 3.6 rules, against liquidations worked out by hand. Every reserve
// has index 1 (RAY) and lastUpdateTimestamp = T, so balances equal the scaled amounts. From
// LiquidationLogic 3.6 (aave-v3-origin 3.6.0):
//   HF       = wadDiv(Σ collateralBase·LT, TD) / 1e4
//   maxDebt  = whole reserve, unless collateral reserve and debt reserve >= $2,000 and HF > 0.95:
//              then 50% of the whole position's debt TD (floor back to debt units) if this reserve is more
//   seized   = percentMul(floor(Pd·debt·Uc / (Pc·Ud)), LB);  capped: all of it, debt = percentDivCeil(.., LB)
//   fee      = percentMul(seized - percentDiv(seized, LB), feeBps)
//   dust     = neither the whole debt nor the whole collateral, and < $1,000 left of either → revert
//   deficit  = TC == floor(taken·Pc/Uc): the rest of this debt and every other debt reserve is burned
import { describe, expect, it } from "vitest";
import { compileAccount, evaluateAccount, type CompiledAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { RULES_V3_0, RULES_V3_6 } from "../risk/rules.js";
import type { ProtocolRules } from "../risk/rules.js";
import type { AccountPosition, Address, MarketState, ReserveState } from "../risk/types.js";
import { buildUserConfig } from "../risk/userConfiguration.js";
import { MAX_UINT256, RAY } from "../risk/wadRayMath.js";
import {
  BAD_DEBT_GAS_PER_DEBT_RESERVE,
  LEFTOVER_MARGIN_DIVISOR,
  planLiquidation,
  planPair,
  treasuryFeeTransfer,
  type PairOutcome,
  type PlanOptions,
} from "./profit.js";

const T = 1_700_000_000n;
const E18 = 10n ** 18n;
const E8 = 10n ** 8n;
const E6 = 10n ** 6n;
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const addr = (prefix: number, i: number): Address =>
  `0x${prefix.toString(16).padStart(2, "0")}${i.toString(16).padStart(38, "0")}` as Address;
const USER = addr(0xcc, 1);

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
const bit = (...ids: number[]) => ids.reduce((b, id) => b | (1n << BigInt(id)), 0n);

function reserve(id: number, decimals: number, price: bigint, lt: number, lb: number, fee: number): ReserveState {
  return {
    asset: addr(0xaa, id),
    id,
    decimals,
    unit: 10n ** BigInt(decimals),
    ltv: lt === 0 ? 0 : lt - 300,
    liquidationThreshold: lt,
    liquidationBonus: lb,
    liquidationProtocolFee: fee,
    eModeCategory: 0,
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
  };
}

/** WETH $2000 LT 82.5% LB 5% fee 10%; USDC $1 LT 80% LB 4.5%; LINK $10 LT 70% LB 7%; DAI $1 LT 77% LB 4% fee 10%;
 *  LTZ $5 LT 0 LB 0. eMode 1 (stablecoins: USDC, DAI) LT 95% LB 1%; eMode 2 (ETH: WETH, LTZ) LT 90% LB 3%. */
function market(patch: (m: MarketState) => void = () => {}): MarketState {
  const m: MarketState = {
    reserves: [
      reserve(WETH, 18, 2000n * E8, 8250, 10500, 1000),
      reserve(USDC, 6, E8, 8000, 10450, 0),
      reserve(LINK, 18, 10n * E8, 7000, 10700, 0),
      reserve(DAI, 18, E8, 7700, 10400, 1000),
      reserve(LTZ, 18, 5n * E8, 0, 0, 0),
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
          collateralBitmap: bit(USDC, DAI),
          borrowableBitmap: bit(USDC, DAI),
          ltvzeroBitmap: 0n,
        },
      ],
      [
        2,
        {
          id: 2,
          ltv: 8800,
          liquidationThreshold: 9000,
          liquidationBonus: 10300,
          priceSource: ZERO,
          priceSourcePrice: 0n,
          label: "ETH",
          collateralBitmap: bit(WETH, LTZ),
          borrowableBitmap: bit(WETH),
          ltvzeroBitmap: bit(LTZ),
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
  o: { eMode?: number; rules?: ProtocolRules } = {},
): { acc: CompiledAccount; snap: MarketSnapshot } {
  const rules = o.rules ?? RULES_V3_6;
  const position: AccountPosition = {
    user: USER,
    eModeCategory: o.eMode ?? 0,
    userConfig: buildUserConfig(
      coll.map((c) => c[0]),
      debt.map((d) => d[0]),
    ),
    scaledCollateral: new Map(coll),
    scaledVariableDebt: new Map(debt),
    stableDebt: new Map(),
  };
  const snap = snapshotMarket(m, rules, T);
  const acc = compileAccount(position, rules);
  evaluateAccount(acc, snap);
  return { acc, snap };
}

const NO_GAS = { gasUnits: 0n, maxFeePerGas: 0n, nativePriceBase: 0n };
const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({
  gas: NO_GAS,
  minProfitBase: -(10n ** 30n),
  blockNumber: 42n,
  symbols: SYMBOLS,
  ...o,
});

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

describe("planLiquidation (Aave 3.6, hand-computed)", () => {
  it("50% of the whole position: 4 WETH vs 5000 USDC + 1800 DAI", () => {
    // S = 8000e8·8250, TD = 6800e8: HF = 6600/6800 = 0.970588235294117647
    const { acc, snap } = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 5000n * E6],
        [DAI, 1800n * E18],
      ],
    );
    const r = planLiquidation(acc, snap, opts());
    const usdc = planOf(pair(r.pairs, WETH, USDC));
    expect(usdc.healthFactor).toBe(970_588_235_294_117_647n);
    // USDC ($5000) > half of TD ($3400): 3400 USDC; leaves $1600 of debt and 2.215 WETH, so the exact amount is sent
    expect(usdc.debtToCover).toBe(3400n * E6);
    expect(usdc.expectedDebtRepaid).toBe(3400n * E6);
    // 1.7 WETH ×1.05 = 1.785; bonus 0.085 → fee 0.0085
    expect(usdc.expectedProtocolFee).toBe(85n * 10n ** 14n);
    expect(usdc.expectedCollateralSeized).toBe(17_765n * 10n ** 14n);
    expect(usdc.expectedDeficits).toBeUndefined();
    // DAI ($1800 < $2000): the whole reserve, which clears it, so 2^256-1 is sent
    const dai = planOf(pair(r.pairs, WETH, DAI));
    expect(dai.debtToCover).toBe(MAX_UINT256);
    expect(dai.expectedDebtRepaid).toBe(1800n * E18);
    // 0.9 WETH ×1.05 = 0.945; fee 0.0045
    expect(dai.expectedProtocolFee).toBe(45n * 10n ** 14n);
    expect(dai.expectedCollateralSeized).toBe(9405n * 10n ** 14n);
    // 1.7765 WETH = $3553 - $3400 = $153 beats 0.9405 WETH = $1881 - $1800 = $81
    expect(usdc.expectedProfitBase).toBe(153n * E8);
    expect(dai.expectedProfitBase).toBe(81n * E8);
    expect(r.best).toBe(usdc);
  });

  it("a reserve holding no more than half the position is repaid whole: 4 WETH vs 4000 USDC + 2800 DAI (DAI)", () => {
    const { acc, snap } = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 4000n * E6],
        [DAI, 2800n * E18],
      ],
    );
    const dai = planOf(planPair(acc, snap, WETH, DAI, opts()));
    // DAI $2800 <= half $3400: the whole 2800 DAI
    expect(dai.expectedDebtRepaid).toBe(2800n * E18);
    expect(dai.debtToCover).toBe(MAX_UINT256);
  });

  it("a leftover that would be dust: 50% leaves $600 of USDC, so the plan repays $1000 less", () => {
    // same account: USDC $4000 > half $3400 → close factor 3400 USDC, which would leave $600 < $1000
    const { acc, snap } = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 4000n * E6],
        [DAI, 2800n * E18],
      ],
    );
    const p = planOf(planPair(acc, snap, WETH, USDC, opts()));
    // the largest amount leaving >= $1000 (ceil) of USDC: 3000 USDC
    expect(p.debtToCover).toBe(3000n * E6);
    expect(p.expectedDebtRepaid).toBe(3000n * E6);
    // 1.5 WETH ×1.05 = 1.575; fee 0.0075
    expect(p.expectedProtocolFee).toBe(75n * 10n ** 14n);
    expect(p.expectedCollateralSeized).toBe(15_675n * 10n ** 14n);
    expect(
      RULES_V3_6.leavesDust({
        userReserveDebt: 4000n * E6,
        debtRepaid: 3000n * E6 + 1n,
        userCollateralBalance: 4n * E18,
        collateralTaken: 1_575_000_000_525_000_000n,
        debtPrice: E8,
        debtUnit: E6,
        collateralPrice: 2000n * E8,
        collateralUnit: E18,
      }),
    ).toBe(true);
  });

  it("the daemon's leftover margin: a partial amount also leaves the minimum with balances 1/10,000 smaller", () => {
    const { acc, snap } = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 4000n * E6],
        [DAI, 2800n * E18],
      ],
    );
    const p = planOf(planPair(acc, snap, WETH, USDC, opts({ leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR })));
    // 4000 USDC less 1/10,000 is 3999.6: leaving $1000 of that repays 2999.6
    expect(p.debtToCover).toBe(2_999_600_000n);
    expect(p.expectedDebtRepaid).toBe(2_999_600_000n);
    // a whole repayment needs no margin (a position under $2,000: 0.5 WETH vs 850 USDC, sent as 2^256-1)
    const small = account(market(), [[WETH, 5n * 10n ** 17n]], [[USDC, 850n * E6]]);
    const whole = planLiquidation(small.acc, small.snap, opts({ leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR })).best!;
    expect(whole.debtToCover).toBe(MAX_UINT256);
    expect(whole.expectedDebtRepaid).toBe(850n * E6);
  });

  it("the collateral side can bind: 1.9 WETH + 500 LINK vs 6900 USDC", () => {
    // S = 3800e8·8250 + 5000e8·7000, TD 6900e8: HF = 6635/6900 > 0.95; half = 3450 USDC → 1.81125 WETH, leaving $177.5
    const { acc, snap } = account(
      market(),
      [
        [WETH, 19n * 10n ** 17n],
        [LINK, 500n * E18],
      ],
      [[USDC, 6900n * E6]],
    );
    const p = planOf(planPair(acc, snap, WETH, USDC, opts()));
    // taken = 5.25e8·x (x in USDC units) must leave >= $1000 = 0.5 WETH: x <= 1.4e18 / 5.25e8 = 2666.666666 USDC
    expect(p.debtToCover).toBe(2_666_666_666n);
    expect(p.expectedDebtRepaid).toBe(2_666_666_666n);
    expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(1_399_999_999_650_000_000n);
    // LINK/USDC: LINK $5000 and USDC $6900 >= $2000, 50%: 3450 USDC → 345 LINK ×1.07 = 369.15 LINK, leaving 130.85 LINK ($1308.5)
    const link = planOf(planPair(acc, snap, LINK, USDC, opts()));
    expect(link.debtToCover).toBe(3450n * E6);
    expect(link.expectedCollateralSeized).toBe(36_915n * 10n ** 16n);
  });

  it("HF <= 0.95: 100% close factor; clearing the debt may leave collateral under $1000", () => {
    // 4 WETH vs 7000 USDC: HF = 6600/7000 = 0.942857142857142857
    const { acc, snap } = account(market(), [[WETH, 4n * E18]], [[USDC, 7000n * E6]]);
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(942_857_142_857_142_857n);
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDebtRepaid).toBe(7000n * E6);
    // 3.5 WETH ×1.05 = 3.675 (0.325 WETH = $650 stays: allowed, the debt is cleared); fee 0.0175
    expect(p.expectedProtocolFee).toBe(175n * 10n ** 14n);
    expect(p.expectedCollateralSeized).toBe(36_575n * 10n ** 14n);
  });

  it("a position under $2,000 is repaid whole even above HF 0.95", () => {
    // 0.5 WETH ($1000) vs 850 USDC: HF = 825/850 = 0.97
    const { acc, snap } = account(market(), [[WETH, 5n * 10n ** 17n]], [[USDC, 850n * E6]]);
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(970_588_235_294_117_647n);
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDebtRepaid).toBe(850n * E6);
    // 0.425 WETH ×1.05 = 0.44625; bonus 0.02125 → fee 0.002125
    expect(p.expectedProtocolFee).toBe(2125n * 10n ** 12n);
    expect(p.expectedCollateralSeized).toBe(444_125n * 10n ** 12n);
  });

  it("collateral-capped: all of the 0.5 WETH, the debt needed rounded up", () => {
    // 0.5 WETH + 500 LINK vs 4500 USDC: HF = 4325/4500; WETH is under $2000 → 4500 USDC allowed, needs 2.3625 WETH
    const { acc, snap } = account(
      market(),
      [
        [WETH, 5n * 10n ** 17n],
        [LINK, 500n * E18],
      ],
      [[USDC, 4500n * E6]],
    );
    const p = planOf(planPair(acc, snap, WETH, USDC, opts()));
    // percentDivCeil(1000e6, 10500) = ceil(952380952.38) = 952380953 (V3.0's half-up would give ...952)
    expect(p.expectedDebtRepaid).toBe(952_380_953n);
    // percentDiv(0.5e18, 10500) = 476190476190476190 → bonus 23809523809523810 → fee 2380952380952381 (half-up)
    expect(p.expectedProtocolFee).toBe(2_380_952_380_952_381n);
    expect(p.expectedCollateralSeized).toBe(5n * 10n ** 17n - 2_380_952_380_952_381n);
    // takes the whole collateral reserve: 2^256-1 gives the same amounts
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDeficits).toBeUndefined(); // LINK is still there
  });

  it("bad debt: the last collateral goes, the rest of the debts are burned (deficit), the liquidator pays only what it repays", () => {
    // 0.5 WETH vs 1100 USDC + 300 DAI: HF = 825/1400
    const gas = { gasUnits: 400_000n, maxFeePerGas: 10n ** 9n, nativePriceBase: 2000n * E8 };
    const { acc, snap } = account(
      market(),
      [[WETH, 5n * 10n ** 17n]],
      [
        [USDC, 1100n * E6],
        [DAI, 300n * E18],
      ],
    );
    const r = planLiquidation(acc, snap, opts({ gas }));
    const usdc = planOf(pair(r.pairs, WETH, USDC));
    expect(usdc.expectedDebtRepaid).toBe(952_380_953n);
    // TC = $1000 = floor(0.5 WETH · $2000): this USDC's 1100 - 952.380953 and all 300 DAI become deficit
    expect(usdc.expectedDeficits).toEqual([
      { reserveId: USDC, asset: addr(0xaa, USDC), amount: 1100n * E6 - 952_380_953n },
      { reserveId: DAI, asset: addr(0xaa, DAI), amount: 300n * E18 },
    ]);
    // one other debt reserve burned: +75k gas; 475k × 1 gwei × $2000 = $0.95
    expect(usdc.gasUnits).toBe(400_000n + BAD_DEBT_GAS_PER_DEBT_RESERVE);
    expect(usdc.gasCostBase).toBe(95_000_000n);
    // WETH/DAI: 300 DAI → 0.1575 WETH, collateral left, no deficit, normal gas ($0.8)
    const dai = planOf(pair(r.pairs, WETH, DAI));
    expect(dai.expectedDeficits).toBeUndefined();
    expect(dai.gasUnits).toBeUndefined();
    expect(dai.gasCostBase).toBe(80_000_000n);
    expect(dai.debtToCover).toBe(MAX_UINT256);
    // V3.0 never burns bad debt
    const v30 = account(
      market(),
      [[WETH, 5n * 10n ** 17n]],
      [
        [USDC, 1100n * E6],
        [DAI, 300n * E18],
      ],
      { rules: RULES_V3_0 },
    );
    expect(planOf(planPair(v30.acc, v30.snap, WETH, USDC, opts())).expectedDeficits).toBeUndefined();
  });

  it("eMode by bitmap: the category's bonus for DAI collateral in eMode 1", () => {
    // eMode 1: 10000 DAI (LT 95%) vs 9600 USDC: HF = 9500/9600; half = 4800 USDC
    const { acc, snap } = account(market(), [[DAI, 10_000n * E18]], [[USDC, 9600n * E6]], { eMode: 1 });
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(989_583_333_333_333_333n);
    expect(p.debtToCover).toBe(4800n * E6);
    // 4800 DAI ×1.01 = 4848 (DAI's own 4% would be 4992); bonus 48 → fee 4.8
    expect(p.expectedProtocolFee).toBe(48n * 10n ** 17n);
    expect(p.expectedCollateralSeized).toBe(48_432n * 10n ** 17n);
    // DAI outside the category's bitmap: the reserve's 4%
    const out = account(
      market((m) => {
        m.eModes.get(1)!.collateralBitmap = bit(USDC);
      }),
      [[DAI, 10_000n * E18]],
      [[USDC, 7800n * E6]],
      { eMode: 1 },
    );
    const q = planLiquidation(out.acc, out.snap, opts()).best!;
    // HF = 7700/7800; half = 3900 USDC → 3900 × 1.04 = 4056 DAI
    expect(q.expectedCollateralSeized + q.expectedProtocolFee).toBe(4056n * E18);
  });

  it("LT-0 collateral with its bit set is liquidated on 3.6 (skipped on V3.0)", () => {
    // eMode 2 gives LTZ (reserve LT 0) LT 90% and bonus 3%: 1000 LTZ ($5000) vs 4800 USDC, HF = 4500/4800 = 0.9375
    const { acc, snap } = account(market(), [[LTZ, 1000n * E18]], [[USDC, 4800n * E6]], { eMode: 2 });
    const p = planLiquidation(acc, snap, opts()).best!;
    expect(p.healthFactor).toBe(9375n * 10n ** 14n);
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDebtRepaid).toBe(4800n * E6);
    // 960 LTZ ×1.03 = 988.8, no fee
    expect(p.expectedCollateralSeized).toBe(9888n * 10n ** 17n);
    expect(p.expectedProtocolFee).toBe(0n);
    // Outside eMode the reserve's bonus is 0 (the configurator requires it with LT 0): nothing to seize,
    // the aToken burn would revert, so the pair is skipped. 1 WETH + 100 LTZ vs 1700 USDC.
    const plain = account(
      market(),
      [
        [WETH, E18],
        [LTZ, 100n * E18],
      ],
      [[USDC, 1700n * E6]],
    );
    expect(skipOf(planPair(plain.acc, plain.snap, LTZ, USDC, opts()))).toMatch(
      /^amounts round to zero \(repay 1700000000 USDC, seize 0 LTZ\)$/,
    );
    const v30 = account(
      market(),
      [
        [WETH, E18],
        [LTZ, 100n * E18],
      ],
      [[USDC, 1700n * E6]],
      { rules: RULES_V3_0 },
    );
    expect(skipOf(planPair(v30.acc, v30.snap, LTZ, USDC, opts()))).toBe("collateral LTZ has liquidation threshold 0");
  });

  it("no self-liquidation on 3.6 (allowed on V3.0)", () => {
    const { acc, snap } = account(market(), [[WETH, 4n * E18]], [[USDC, 7000n * E6]]);
    const self = "self-liquidation: the liquidator is the borrower (SelfLiquidation, Aave 3.4+)";
    expect(planLiquidation(acc, snap, opts({ liquidator: USER }))).toEqual({ pairs: [], skip: self });
    expect(skipOf(planPair(acc, snap, WETH, USDC, opts({ liquidator: USER.toUpperCase().replace("0X", "0x") as Address })))).toBe(self);
    expect(planLiquidation(acc, snap, opts({ liquidator: addr(0xbb, 1) })).best).toBeDefined();
    const v30 = account(market(), [[WETH, 4n * E18]], [[USDC, 7000n * E6]], { rules: RULES_V3_0 });
    expect(planLiquidation(v30.acc, v30.snap, opts({ liquidator: USER })).best).toBeDefined();
  });

  it("grace period: skipped while liquidationGracePeriodUntil >= the block timestamp", () => {
    const coll: [number, bigint][] = [[WETH, 4n * E18]];
    const debt: [number, bigint][] = [[USDC, 7000n * E6]];
    const c = account(
      market((m) => {
        m.reserves[WETH]!.liquidationGracePeriodUntil = T;
      }),
      coll,
      debt,
    );
    expect(planLiquidation(c.acc, c.snap, opts()).skip).toBe(
      `no pair to liquidate (HF 0.9428): WETH/USDC: collateral WETH is in its liquidation grace period until ${T}`,
    );
    const d = account(
      market((m) => {
        m.reserves[USDC]!.liquidationGracePeriodUntil = T + 100n;
      }),
      coll,
      debt,
    );
    expect(skipOf(planPair(d.acc, d.snap, WETH, USDC, opts()))).toBe(`debt USDC is in its liquidation grace period until ${T + 100n}`);
    const over = account(
      market((m) => {
        m.reserves[USDC]!.liquidationGracePeriodUntil = T - 1n;
      }),
      coll,
      debt,
    );
    expect(planLiquidation(over.acc, over.snap, opts()).best).toBeDefined();
  });

  it("paused and inactive reserves are skipped, frozen ones liquidated", () => {
    const coll: [number, bigint][] = [[WETH, 4n * E18]];
    const debt: [number, bigint][] = [[USDC, 7000n * E6]];
    const frozen = account(
      market((m) => {
        m.reserves[WETH]!.frozen = true;
        m.reserves[USDC]!.frozen = true;
      }),
      coll,
      debt,
    );
    expect(planLiquidation(frozen.acc, frozen.snap, opts()).best).toBeDefined();
    const paused = account(
      market((m) => {
        m.reserves[WETH]!.paused = true;
      }),
      coll,
      debt,
    );
    expect(skipOf(planPair(paused.acc, paused.snap, WETH, USDC, opts()))).toBe("collateral WETH is paused");
    const inactive = account(
      market((m) => {
        m.reserves[USDC]!.active = false;
      }),
      coll,
      debt,
    );
    expect(skipOf(planPair(inactive.acc, inactive.snap, WETH, USDC, opts()))).toBe("debt USDC is not active");
  });

  it("the wallet cap under the dust rule", () => {
    // 0.5 WETH vs 850 USDC (repaid whole when the wallet allows)
    const { acc, snap } = account(market(), [[WETH, 5n * 10n ** 17n]], [[USDC, 850n * E6]]);
    const enough = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 850n * E6]]) })).best!;
    expect(enough.debtToCover).toBe(MAX_UINT256);
    expect(enough.expectedDebtRepaid).toBe(850n * E6);
    // 100 USDC would leave $750 of debt, and no smaller amount leaves $1000: skipped, never sent
    const short = planLiquidation(acc, snap, opts({ walletBalances: new Map([[USDC, 100n * E6]]) }));
    expect(short.best).toBeUndefined();
    expect(skipOf(pair(short.pairs, WETH, USDC))).toBe(
      "every amount leaves dust (MustNotLeaveDust): the most allowed repays 100000000 of 850000000 USDC and takes 52500000000000000 of " +
        "500000000000000000 WETH, and a smaller one cannot leave 1000 of both (debt 850, collateral 1000)",
    );
    // a large position: a partial wallet is fine as long as both sides keep $1000
    const big = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 5000n * E6],
        [DAI, 1800n * E18],
      ],
    );
    const part = planOf(planPair(big.acc, big.snap, WETH, USDC, opts({ walletBalances: new Map([[USDC, 200n * E6]]) })));
    expect(part.debtToCover).toBe(200n * E6);
    expect(part.expectedDebtRepaid).toBe(200n * E6);
    // a wallet of 4500 USDC: 50% (3400) binds first, and 3400 is sent as is
    const most = planOf(planPair(big.acc, big.snap, WETH, USDC, opts({ walletBalances: new Map([[USDC, 4500n * E6]]) })));
    expect(most.debtToCover).toBe(3400n * E6);
    // wallet 3900 of the 4000 USDC reserve (50% not binding: HF <= 0.95 at 4 WETH vs 4000 USDC + 3100 DAI = 0.9295...)
    const deep = account(
      market(),
      [[WETH, 4n * E18]],
      [
        [USDC, 4000n * E6],
        [DAI, 3100n * E18],
      ],
    );
    const capped = planOf(planPair(deep.acc, deep.snap, WETH, USDC, opts({ walletBalances: new Map([[USDC, 3900n * E6]]) })));
    // 3900 would leave $100: cut to 3000
    expect(capped.debtToCover).toBe(3000n * E6);
  });
});

describe("treasuryFeeTransfer (3.6 token rounding)", () => {
  it("ceil scaled amounts out, floor balance back", () => {
    // index 1.5: seized 3 → rayDivCeil 2 scaled; fee 1 → ceil 1 scaled; user had 3 scaled: 1 left → fee 1
    const idx = (3n * RAY) / 2n;
    expect(treasuryFeeTransfer(1n, 3n, 3n, idx, RULES_V3_6)).toBe(1n);
    // seized 4 → ceil(2.67) = 3 scaled, nothing left: fee becomes floor(0 × 1.5) = 0
    expect(treasuryFeeTransfer(1n, 4n, 3n, idx, RULES_V3_6)).toBe(0n);
    // V3.0 half-up: seized 4 → rayDiv 3 (2.67 rounds up too); fee 2 → rayDiv 1 (1.33) > 0 left → rayMul(0) = 0
    expect(treasuryFeeTransfer(2n, 4n, 3n, idx)).toBe(0n);
    // fee 2 → ceil(1.33) = 2 scaled on 3.6 > the 1 left → the 1 left is worth floor(1.5) = 1
    expect(treasuryFeeTransfer(2n, 3n, 3n, idx, RULES_V3_6)).toBe(1n);
  });
});
