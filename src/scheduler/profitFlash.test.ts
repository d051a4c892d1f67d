// The flash-loan alternative of the profit model, by hand-computed numbers (Aave 3.0 amounts, as in
// profit.test.ts: every index 1, so balances are the scaled amounts). The base case: 1 WETH ($2000,
// LT 82.5%, bonus 5%, fee 10%) against 1718.75 USDC, HF 0.96, close factor 50%:
//   repaid 859.375 USDC; seized by the liquidator 0.4490234375 WETH ($898.046875)
//   flash premium 5 bps (3.0: FlashLoanLogic `amount.percentMul(premiumTotal)`, half-up)
//     = (859_375_000·5 + 5000) / 10000 = 429_688 (0.429688 USDC)
//   a quote of 897 USDC for the WETH; gas 600k at 20 gwei, ETH $2000 = $24
//   profit = 897 - 859.375 - 0.429688 = 37.195312 USDC; in base, 897 - 859.375 - 0.429688 - 24 = $13.195312
import { describe, expect, it } from "vitest";
import { compileAccount, evaluateAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { RULES_V3_0 } from "../risk/rules.js";
import { RULES_V3_6 } from "../risk/rulesV36.js";
import type { AccountPosition, Address, MarketState, ReserveState } from "../risk/types.js";
import { buildUserConfig } from "../risk/userConfiguration.js";
import { MAX_UINT256, RAY } from "../risk/wadRayMath.js";
import {
  chooseCapital,
  FLASH_LOAN_OVERHEAD_GAS,
  flashLiquidationGas,
  planFlashLoan,
  planPair,
  SWAP_OVERHEAD_GAS,
  type FlashLoanOptions,
  type PlanOptions,
  type SwapQuoteData,
} from "./profit.js";
import type { LiquidationPlan } from "./plan.js";

const T = 1_700_000_000n;
const E18 = 10n ** 18n;
const E8 = 10n ** 8n;
const E6 = 10n ** 6n;
const addr = (prefix: number, i: number): Address =>
  `0x${prefix.toString(16).padStart(2, "0")}${i.toString(16).padStart(38, "0")}` as Address;
const WETH = 0,
  USDC = 1;
const SYMBOLS = new Map([
  [WETH, "WETH"],
  [USDC, "USDC"],
]);
const BORROWER = addr(0xcc, 1);
const LIQUIDATOR = addr(0xee, 1);
const PATH = "0x0000000000000000000000000000000000000000aa0001f40000000000000000000000000000000000000001" as const;

function reserve(id: number, decimals: number, price: bigint, lt: number, lb: number, fee: number): ReserveState {
  return {
    asset: addr(0xaa, id),
    id,
    decimals,
    unit: 10n ** BigInt(decimals),
    ltv: lt - 300,
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
    stableDebtToken: addr(0x51, id),
    price,
    liquidationGracePeriodUntil: 0n,
  };
}

const MARKET: MarketState = {
  reserves: [reserve(WETH, 18, 2000n * E8, 8250, 10500, 1000), reserve(USDC, 6, E8, 8000, 10450, 0)],
  eModes: new Map(),
  baseCurrencyUnit: E8,
  flashLoanPremiumTotal: 5n,
};

function planned(
  coll: [number, bigint],
  debt: [number, bigint],
  options: Partial<PlanOptions> = {},
): { plan?: LiquidationPlan; skip?: string; snap: MarketSnapshot } {
  const position: AccountPosition = {
    user: BORROWER,
    eModeCategory: 0,
    userConfig: buildUserConfig([coll[0]], [debt[0]]),
    scaledCollateral: new Map([coll]),
    scaledVariableDebt: new Map([debt]),
    stableDebt: new Map(),
  };
  const snap = snapshotMarket(MARKET, RULES_V3_0, T);
  const acc = compileAccount(position, RULES_V3_0);
  evaluateAccount(acc, snap);
  const o = planPair(acc, snap, coll[0], debt[0], { gas: WALLET_GAS, minProfitBase: E8, blockNumber: 7n, symbols: SYMBOLS, ...options });
  return "plan" in o ? { plan: o.plan, snap } : { skip: o.skip, snap };
}

/** 500k gas at 20 gwei, ETH $2000: $20 */
const WALLET_GAS = { gasUnits: 500_000n, maxFeePerGas: 20n * 10n ** 9n, nativePriceBase: 2000n * E8 };
/** 600k gas: $24 */
const FLASH: FlashLoanOptions = { liquidator: LIQUIDATOR, gas: { ...WALLET_GAS, gasUnits: 600_000n }, slippageBps: 50, minProfitBase: E8 };
const SEIZED = 449_023_437_500_000_000n;
const quote = (amountOut: bigint, amountIn = SEIZED): SwapQuoteData => ({ amountIn, amountOut, path: PATH, gasEstimate: 90_000n });

function base(): { plan: LiquidationPlan; snap: MarketSnapshot } {
  // The flash candidate is planned without a wallet limit and with the contract as the liquidator.
  const { plan, snap } = planned([WETH, E18], [USDC, 1_718_750_000n], { liquidator: LIQUIDATOR });
  expect(plan!.expectedDebtRepaid).toBe(859_375_000n);
  expect(plan!.expectedCollateralSeized).toBe(SEIZED);
  expect(plan!.collateralValueBase).toBe(89_804_687_500n);
  expect(plan!.debtValueBase).toBe(85_937_500_000n);
  expect(plan!.capital).toBe("wallet");
  return { plan: plan!, snap };
}

describe("planFlashLoan (hand-computed)", () => {
  it("swap output - debt repaid - premium - gas, with the Liquidator item's terms", () => {
    const { plan, snap } = base();
    const r = planFlashLoan(plan, quote(897n * E6), snap, FLASH);
    if (!("plan" in r)) throw new Error(r.skip);
    const f = r.plan;
    expect(f.capital).toBe("flashLoan");
    expect(f.debtToCover).toBe(859_375_000n);
    expect(f.gasUnits).toBe(600_000n);
    expect(f.gasCostBase).toBe(2_400_000_000n);
    // oracle value of the collateral less what the swap returns: $898.046875 - $897
    expect(f.swapCostBase).toBe(104_687_500n);
    // 89_700_000_000 - 85_937_500_000 - 42_968_800 - 2_400_000_000
    expect(f.expectedProfitBase).toBe(1_319_531_200n);
    expect(f.flashLoan).toEqual({
      liquidator: LIQUIDATOR,
      loanAmount: 859_375_000n,
      premium: 429_688n,
      premiumTotalBps: 5n,
      swapPath: PATH,
      quotedAmountIn: SEIZED,
      quotedAmountOut: 897_000_000n,
      // 897e6 · 9950 / 10000
      minAmountOut: 892_515_000n,
      expectedProfit: 37_195_312n,
      // ($1 MIN_PROFIT + $24 gas) in USDC
      minProfit: 25_000_000n,
      premiumBase: 42_968_800n,
      gasUnits: 600_000n,
    });
    // the rest of the plan is the liquidation's, unchanged
    const changed = { capital: undefined, debtToCover: 0n, gasUnits: 0n, gasCostBase: 0n, swapCostBase: 0n, expectedProfitBase: 0n };
    expect({ ...f, ...changed, flashLoan: undefined }).toEqual({ ...plan, ...changed });
  });

  it("borrows 1 bp more than it repays when the plan sends 2^256-1 (the contract borrows debtToCover exactly)", () => {
    const { plan, snap } = base();
    const r = planFlashLoan({ ...plan, debtToCover: MAX_UINT256 }, quote(897n * E6), snap, FLASH);
    if (!("plan" in r)) throw new Error(r.skip);
    // 859_375_000 + ceil(859_375_000 / 10000) = 859_375_000 + 85_938
    expect(r.plan.debtToCover).toBe(859_460_938n);
    expect(r.plan.flashLoan!.loanAmount).toBe(859_460_938n);
    // (859_460_938·5 + 5000) / 10000 = 429_730 (the unused part of the loan costs only its premium)
    expect(r.plan.flashLoan!.premium).toBe(429_730n);
    expect(r.plan.flashLoan!.expectedProfit).toBe(897_000_000n - 859_375_000n - 429_730n);
  });

  it("collateral = debt asset: no swap, minAmountOut 0, the seized amount is the output", () => {
    // 1000 USDC collateral (LT 80%) against 850 USDC: HF 0.941 < 0.95, close factor 100%:
    // repaid 850, seized percentMul(850e6, 10450) = 888.25 USDC (no protocol fee on USDC)
    const { plan, snap } = planned([USDC, 1000n * E6], [USDC, 850n * E6], { liquidator: LIQUIDATOR });
    expect(plan!.expectedCollateralSeized).toBe(888_250_000n);
    const noSwap: SwapQuoteData = { amountIn: 888_250_000n, amountOut: 888_250_000n, path: "0x", gasEstimate: 0n };
    const r = planFlashLoan(plan!, noSwap, snap, { ...FLASH, gas: { ...WALLET_GAS, gasUnits: flashLiquidationGas(500_000n, noSwap) } });
    if (!("plan" in r)) throw new Error(r.skip);
    // premium (850e6·5 + 5000) / 10000 = 425_000; profit 888.25 - 850 - 0.425 USDC
    expect(r.plan.flashLoan).toMatchObject({ swapPath: "0x", minAmountOut: 0n, premium: 425_000n, expectedProfit: 37_825_000n });
    // gas 575k: $23; 88_825_000_000 - 85_000_000_000 - 42_500_000 - 2_300_000_000
    expect(r.plan.gasUnits).toBe(575_000n);
    expect(r.plan.expectedProfitBase).toBe(1_482_500_000n);
    expect(r.plan.swapCostBase).toBe(0n);
  });

  it("skips a swap that does not cover loan and premium, and one below MIN_PROFIT after gas", () => {
    const { plan, snap } = base();
    expect(planFlashLoan(plan, quote(859_800_000n), snap, FLASH)).toEqual({
      skip: "flash loan WETH/USDC: the swap returns 859800000, not more than repaid 859375000 + premium 429688",
    });
    // profit 2.195312 USDC: positive, but $2.195312 - $24 gas < $1
    const r = planFlashLoan(plan, quote(862n * E6), snap, FLASH);
    expect("skip" in r && r.skip).toBe(
      "flash loan WETH/USDC unprofitable: profit -21.804688 < MIN_PROFIT 1 (swap output 862 - debt 859.375 - premium 0.429688 - gas 24)",
    );
  });

  it("caps minProfit at the quoted profit, so a plan at the threshold does not revert by rounding", () => {
    const { plan, snap } = base();
    // an output that leaves 24.999999 USDC of profit
    const out = 859_375_000n + 429_688n + 24_999_999n;
    const r = planFlashLoan(plan, quote(out), snap, { ...FLASH, minProfitBase: 0n });
    if (!("plan" in r)) throw new Error(r.skip);
    expect(r.plan.flashLoan!.expectedProfit).toBe(24_999_999n);
    // ($0 + $24) = 24 USDC < 24.999999: the floor
    expect(r.plan.flashLoan!.minProfit).toBe(24_000_000n);
    const tight = planFlashLoan(plan, quote(out), snap, { ...FLASH, minProfitBase: 99_999_900n });
    if (!("plan" in tight)) throw new Error(tight.skip);
    // ($0.999999 + $24) = 24.999999 USDC: exactly the quoted profit
    expect(tight.plan.flashLoan!.minProfit).toBe(24_999_999n);
  });

  it("Aave 3.6 rounds the premium up and refuses the contract liquidating itself", () => {
    const { plan, snap } = base();
    // percentMul(10_001, 5) = (50_005 + 5000) / 10000 = 5; percentMulCeil = ceil(5.0005) = 6
    expect(RULES_V3_0.flashLoanPremium(10_001n, 5n)).toBe(5n);
    expect(RULES_V3_6.flashLoanPremium(10_001n, 5n)).toBe(6n);
    const snap36 = { ...snap, rules: RULES_V3_6 };
    const r = planFlashLoan({ ...plan, debtToCover: 859_375_001n }, quote(897n * E6), snap36, FLASH);
    if (!("plan" in r)) throw new Error(r.skip);
    // (859_375_001·5) / 10000 = 429_687.5005: 3.6 ceil 429_688, 3.0 half-up 429_688 too; at 859_374_999: 429_687.4995
    expect(r.plan.flashLoan!.premium).toBe(429_688n);
    const down = planFlashLoan({ ...plan, debtToCover: 859_374_999n }, quote(897n * E6), snap36, FLASH);
    const down30 = planFlashLoan({ ...plan, debtToCover: 859_374_999n }, quote(897n * E6), snap, FLASH);
    expect("plan" in down && down.plan.flashLoan!.premium).toBe(429_688n);
    expect("plan" in down30 && down30.plan.flashLoan!.premium).toBe(429_687n);
    expect(planFlashLoan({ ...plan, user: LIQUIDATOR }, quote(897n * E6), snap36, FLASH)).toEqual({
      skip: "self-liquidation: the liquidator is the borrower (SelfLiquidation, Aave 3.4+)",
    });
  });

  it("refuses a quote for another amount or the wrong kind", () => {
    const { plan, snap } = base();
    expect(() => planFlashLoan(plan, quote(897n * E6, SEIZED - 1n), snap, FLASH)).toThrow(/the quote sells/);
    expect(() => planFlashLoan(plan, { ...quote(897n * E6), path: "0x" }, snap, FLASH)).toThrow(/without a swap/);
    expect(() => planFlashLoan(plan, quote(897n * E6), snap, { ...FLASH, slippageBps: 10_000 })).toThrow(/slippageBps/);
  });
});

describe("flashLiquidationGas", () => {
  it("adds the flash overhead, and the swap's estimate and overhead when there is a swap", () => {
    expect(flashLiquidationGas(300_000n, quote(1n))).toBe(300_000n + FLASH_LOAN_OVERHEAD_GAS + 90_000n + SWAP_OVERHEAD_GAS);
    expect(flashLiquidationGas(300_000n, { amountIn: 1n, amountOut: 1n, path: "0x", gasEstimate: 0n })).toBe(375_000n);
  });
});

describe("chooseCapital", () => {
  it("takes whichever nets more: the wallet without a swap haircut, the flash loan with a 1% one", () => {
    const { plan: candidate, snap } = base();
    const r = planFlashLoan(candidate, quote(897n * E6), snap, FLASH);
    if (!("plan" in r)) throw new Error(r.skip);
    const flash = r.plan;
    // wallet: 89_804_687_500 - 85_937_500_000 - 2_000_000_000 = $18.671875 > flash $13.195312
    const wallet = planned([WETH, E18], [USDC, 1_718_750_000n]).plan!;
    expect(wallet.expectedProfitBase).toBe(1_867_187_500n);
    expect(chooseCapital(wallet, flash)).toBe(wallet);
    // valuing the wallet's collateral 1% below the oracle (its own later sale): swap cost ceil(898.046875) = $8.98046875
    const haircut = planned([WETH, E18], [USDC, 1_718_750_000n], { swapCostBps: 100 }).plan!;
    expect(haircut.expectedProfitBase).toBe(969_140_625n);
    expect(chooseCapital(haircut, flash)).toBe(flash);
    // a tie goes to the wallet
    expect(chooseCapital({ ...flash, capital: "wallet", flashLoan: undefined }, flash)?.capital).toBe("wallet");
  });

  it("takes the flash loan when the wallet holds none of the debt asset, and nothing when neither exists", () => {
    const { plan: candidate, snap } = base();
    const empty = planned([WETH, E18], [USDC, 1_718_750_000n], { walletBalances: new Map([[USDC, 0n]]) });
    expect(empty.skip).toBe("wallet holds no USDC");
    const r = planFlashLoan(candidate, quote(897n * E6), snap, FLASH);
    if (!("plan" in r)) throw new Error(r.skip);
    expect(chooseCapital(empty.plan, r.plan)?.capital).toBe("flashLoan");
    expect(chooseCapital(undefined, undefined)).toBeUndefined();
  });
});
