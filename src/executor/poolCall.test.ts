// The call a plan names, decoded back: a flash-loan plan becomes Liquidator.liquidate([loan], deadline)
// on its liquidator, one flash loan of one item and one swap taken from its FlashLoanTerms; a wallet
// plan stays Pool.liquidationCall. liquidatorCall encodes many loans, decodeLiquidatorCall reads them back.
import { decodeFunctionData, maxUint256, type Address } from "viem";
import { describe, expect, it } from "vitest";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import type { FlashLoanTerms, LiquidationPlan } from "../scheduler/plan.js";
import {
  decodeLiquidatorCall,
  FLASH_DEADLINE_SECONDS,
  flashDeadline,
  type LiquidatorLoan,
  liquidatorCall,
  minOutPerIn,
  OUT_PER_IN_SCALE,
  planCall,
} from "./poolCall.js";
import { grossGas } from "./simulation.js";

const POOL: Address = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2";
const LIQUIDATOR: Address = "0x1111111111111111111111111111111111111111";
const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const USER: Address = "0x2222222222222222222222222222222222222222";
const PATH = `0x${WETH.slice(2)}0001f4${USDC.slice(2)}` as const;

const walletPlan: LiquidationPlan = {
  user: USER,
  collateralAsset: WETH,
  collateralReserveId: 0,
  collateralSymbol: "WETH",
  debtAsset: USDC,
  debtReserveId: 1,
  debtSymbol: "USDC",
  debtToCover: maxUint256,
  expectedDebtRepaid: 859_375_000n,
  expectedCollateralSeized: 449_023_437_500_000_000n,
  expectedProtocolFee: 1n,
  receiveAToken: false,
  debtValueBase: 85_937_500_000n,
  collateralValueBase: 89_804_687_500n,
  gasCostBase: 2_400_000_000n,
  swapCostBase: 0n,
  expectedProfitBase: 1_467_187_500n,
  healthFactor: 96n * 10n ** 16n,
  timestamp: 1_700_000_012n,
  blockNumber: 100n,
};

const terms: FlashLoanTerms = {
  liquidator: LIQUIDATOR,
  loanAmount: 859_460_938n,
  premium: 429_731n,
  premiumTotalBps: 5n,
  swapPath: PATH,
  quotedAmountIn: 449_023_437_500_000_000n,
  quotedAmountOut: 897_000_000n,
  minAmountOut: 896_103_000n,
  expectedProfit: 37_195_269n,
  minProfit: 24_000_001n,
  premiumBase: 42_973_100n,
  gasUnits: 640_000n,
};
const flashPlan: LiquidationPlan = { ...walletPlan, debtToCover: terms.loanAmount, capital: "flashLoan", flashLoan: terms };

describe("planCall", () => {
  it("a flash plan calls Liquidator.liquidate on its liquidator: one flash loan, one item, one swap from its FlashLoanTerms", () => {
    const call = planCall(POOL, flashPlan);
    expect(call.to).toBe(LIQUIDATOR);
    const { functionName, args } = decodeFunctionData({ abi: liquidatorAbi, data: call.data });
    expect(functionName).toBe("liquidate");
    const [loans, deadline] = args as unknown as [readonly Record<string, unknown>[], bigint];
    const perIn = minOutPerIn(terms.minAmountOut, terms.quotedAmountIn);
    expect(loans).toEqual([
      {
        debtAsset: USDC,
        amount: terms.loanAmount,
        funding: 0, // Funding.FlashLoan
        items: [{ collateralAsset: WETH, user: USER, debtToCover: terms.loanAmount, minProfit: terms.minProfit }],
        swaps: [{ path: PATH.toLowerCase(), minOutPerIn: perIn }],
      },
    ]);
    expect(deadline).toBe(1_700_000_012n + FLASH_DEADLINE_SECONDS);
    expect(deadline).toBe(flashDeadline(flashPlan));
  });

  it("the swap's minimum per unit in asks at least minAmountOut for the quoted amount in, rounded up by less than a step", () => {
    const perIn = minOutPerIn(terms.minAmountOut, terms.quotedAmountIn);
    // What the contract computes: amountIn * minOutPerIn / 1e36, floor.
    const asked = (terms.quotedAmountIn * perIn) / OUT_PER_IN_SCALE;
    expect(asked).toBe(terms.minAmountOut);
    expect((terms.quotedAmountIn * (perIn - 1n)) / OUT_PER_IN_SCALE).toBeLessThan(terms.minAmountOut);
    // DAI (18 decimals) sold for WBTC (8): 1,000 DAI for 0.01666 WBTC. A 1e18 scale would have ~1,666 steps here.
    const dai = 1_000n * 10n ** 18n;
    const wbtc = 1_666_666n;
    expect((dai * minOutPerIn(wbtc, dai)) / OUT_PER_IN_SCALE).toBe(wbtc);
    expect(minOutPerIn(0n, dai)).toBe(0n);
    expect(() => minOutPerIn(1n, 0n)).toThrow(/amountIn/);
  });

  it("is a pure function of the plan: built again (simulation, send, replacement, replay) it is the same call", () => {
    expect(planCall(POOL, { ...flashPlan })).toEqual(planCall(POOL, flashPlan));
  });

  it("a same-asset flash plan has no swap", () => {
    const plan: LiquidationPlan = {
      ...flashPlan,
      collateralAsset: USDC,
      flashLoan: { ...terms, swapPath: "0x", minAmountOut: 0n },
    };
    const { loans } = decodeLiquidatorCall(planCall(POOL, plan).data);
    expect(loans).toEqual([
      {
        debtAsset: USDC,
        amount: terms.loanAmount,
        funding: "flashLoan",
        items: [{ collateralAsset: USDC, user: USER, debtToCover: terms.loanAmount, minProfit: terms.minProfit }],
        swaps: [],
      },
    ]);
  });

  it("liquidatorCall encodes many loans, flash and owner-funded, that decodeLiquidatorCall reads back", () => {
    const other: Address = "0x3333333333333333333333333333333333333333";
    const loans: LiquidatorLoan[] = [
      {
        debtAsset: USDC,
        amount: 2_000_000n,
        funding: "flashLoan",
        items: [
          { collateralAsset: WETH, user: USER, debtToCover: 1_000_000n, minProfit: 10n },
          { collateralAsset: WETH, user: other, debtToCover: maxUint256, minProfit: 20n },
        ],
        swaps: [{ path: PATH.toLowerCase() as `0x${string}`, minOutPerIn: 3n * 10n ** 21n }],
      },
      {
        debtAsset: WETH,
        amount: 10n ** 18n,
        funding: "owner",
        items: [{ collateralAsset: USDC, user: USER, debtToCover: 1n, minProfit: 0n }],
        swaps: [],
      },
    ];
    const call = liquidatorCall(LIQUIDATOR, loans, 1_700_000_600n);
    expect(call).toMatchObject({ to: LIQUIDATOR, flash: true });
    const { args } = decodeFunctionData({ abi: liquidatorAbi, data: call.data });
    expect((args as unknown as [readonly { funding: number }[]])[0].map((l) => l.funding)).toEqual([0, 1]);
    expect(decodeLiquidatorCall(call.data)).toEqual({ loans, deadline: 1_700_000_600n });
  });

  it("a wallet plan (or one without capital) is Pool.liquidationCall, unchanged", () => {
    for (const plan of [walletPlan, { ...walletPlan, capital: "wallet" as const }]) {
      const call = planCall(POOL, plan);
      expect(call.to).toBe(POOL);
      expect(call.from).toBeUndefined();
      const { functionName, args } = decodeFunctionData({ abi: poolAbi, data: call.data });
      expect(functionName).toBe("liquidationCall");
      expect(args).toEqual([WETH, USDC, USER, maxUint256, false]);
    }
  });

  it("a flash call's gas limit is sized for its refunds (net gas up to 4/5 of the gross), a plain call's is not", () => {
    expect(planCall(POOL, flashPlan).flash).toBe(true);
    expect(grossGas(planCall(POOL, flashPlan), 800_000n)).toBe(1_000_000n);
    expect(grossGas(planCall(POOL, walletPlan), 800_000n)).toBe(800_000n);
  });

  it("a flash plan without its terms is refused, not sent to the pool", () => {
    expect(() => planCall(POOL, { ...walletPlan, capital: "flashLoan" })).toThrow(/no flashLoan terms/);
  });
});
