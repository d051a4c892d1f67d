// The call a plan names, decoded back: a flash-loan plan becomes Liquidator.liquidate([item], deadline)
// on its liquidator with the item taken from its FlashLoanTerms; a wallet plan stays Pool.liquidationCall.
import { decodeFunctionData, maxUint256, type Address } from "viem";
import { describe, expect, it } from "vitest";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import type { FlashLoanTerms, LiquidationPlan } from "../scheduler/plan.js";
import { FLASH_DEADLINE_SECONDS, flashDeadline, planCall } from "./poolCall.js";
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
  it("a flash plan calls Liquidator.liquidate on its liquidator, the one item from its FlashLoanTerms", () => {
    const call = planCall(POOL, flashPlan);
    expect(call.to).toBe(LIQUIDATOR);
    const { functionName, args } = decodeFunctionData({ abi: liquidatorAbi, data: call.data });
    expect(functionName).toBe("liquidate");
    const [items, deadline] = args as unknown as [readonly Record<string, unknown>[], bigint];
    expect(items).toEqual([
      {
        collateralAsset: WETH,
        debtAsset: USDC,
        user: USER,
        debtToCover: terms.loanAmount,
        swapPath: PATH.toLowerCase(),
        minAmountOut: terms.minAmountOut,
        minProfit: terms.minProfit,
      },
    ]);
    expect(deadline).toBe(1_700_000_012n + FLASH_DEADLINE_SECONDS);
    expect(deadline).toBe(flashDeadline(flashPlan));
  });

  it("is a pure function of the plan: built again (simulation, send, replacement, replay) it is the same call", () => {
    expect(planCall(POOL, { ...flashPlan })).toEqual(planCall(POOL, flashPlan));
  });

  it("a same-asset flash plan sends the empty swap path", () => {
    const plan: LiquidationPlan = {
      ...flashPlan,
      collateralAsset: USDC,
      flashLoan: { ...terms, swapPath: "0x", minAmountOut: 0n },
    };
    const { args } = decodeFunctionData({ abi: liquidatorAbi, data: planCall(POOL, plan).data });
    const [items] = args as unknown as [readonly { swapPath: string; collateralAsset: string; minAmountOut: bigint }[]];
    expect(items[0]).toMatchObject({ swapPath: "0x", collateralAsset: USDC, minAmountOut: 0n });
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
