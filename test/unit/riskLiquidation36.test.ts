// Aave 3.6 liquidation amounts (aave-v3-origin 3.6.0 LiquidationLogic) against numbers worked out by
// hand. USDC: 6 decimals, $1 (1e8); DAI: 18 decimals; WETH: 18 decimals, $2,000 (2000e8).
import { describe, expect, it } from "vitest";
import {
  collateralToLiquidateV30,
  type LiquidationLeftoverParams,
  type MaxLiquidatableDebtParams,
} from "../../src/risk/liquidationAmounts.js";
import {
  collateralToLiquidateV36,
  hasNoCollateralLeftV36,
  leavesDustV36,
  maxLiquidatableDebtV36,
  MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD,
  MIN_LEFTOVER_BASE,
} from "../../src/risk/liquidationAmounts36.js";
import { MathRevertError, percentDiv, percentMul } from "../../src/risk/wadRayMath.js";

const E6 = 10n ** 6n;
const E8 = 10n ** 8n;
const E18 = 10n ** 18n;
const HF_096 = 96n * 10n ** 16n;
const HF_095 = 95n * 10n ** 16n;

describe("constants (LiquidationLogic 3.6)", () => {
  it("$2,000 and $1,000 in raw base units (2000e8, 1000e8)", () => {
    expect(MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD).toBe(200_000_000_000n);
    expect(MIN_LEFTOVER_BASE).toBe(100_000_000_000n);
  });
});

describe("close factor on the whole position (executeLiquidationCall 3.3+)", () => {
  // 3,000 USDC debt of a $4,000 position, 2 WETH ($4,000) collateral
  const p: MaxLiquidatableDebtParams = {
    userReserveDebt: 3000n * E6,
    healthFactor: HF_096,
    totalDebtBase: 4000n * E8,
    userCollateralBalance: 2n * E18,
    collateralPrice: 2000n * E8,
    collateralUnit: E18,
    debtPrice: E8,
    debtUnit: E6,
  };
  it("HF > 0.95, both sides >= $2,000, reserve > 50% of TD: 50% of TD in debt units", () => {
    // half = percentMul(4000e8, 5000) = 2000e8; 2000e8 * 1e6 / 1e8 = 2000 USDC
    expect(maxLiquidatableDebtV36(p)).toBe(2000n * E6);
  });
  it("HF <= 0.95: the whole reserve", () => {
    expect(maxLiquidatableDebtV36({ ...p, healthFactor: HF_095 })).toBe(3000n * E6);
    expect(maxLiquidatableDebtV36({ ...p, healthFactor: HF_095 + 1n })).toBe(2000n * E6);
  });
  it("a reserve holding <= 50% of TD is repaid whole", () => {
    // TD $6,000: half = $3,000 >= the reserve's $2,500
    expect(maxLiquidatableDebtV36({ ...p, userReserveDebt: 2500n * E6, totalDebtBase: 6000n * E8 })).toBe(2500n * E6);
    // exactly half: not "more than", so whole
    expect(maxLiquidatableDebtV36({ ...p, totalDebtBase: 6000n * E8 })).toBe(3000n * E6);
  });
  it("collateral reserve under $2,000: the whole debt reserve", () => {
    // 0.99 WETH = $1,980
    expect(maxLiquidatableDebtV36({ ...p, userCollateralBalance: 99n * 10n ** 16n })).toBe(3000n * E6);
    // exactly $2,000 is not under
    expect(maxLiquidatableDebtV36({ ...p, userCollateralBalance: E18 })).toBe(2000n * E6);
  });
  it("debt reserve under $2,000: the whole debt reserve", () => {
    const q = { ...p, userReserveDebt: 1999_999999n, totalDebtBase: 3000n * E8 };
    expect(maxLiquidatableDebtV36(q)).toBe(1999_999999n);
  });
  it("the debt's base value rounds up (MathUtils.mulDivCeil): 1999.99999999.. counts as $2,000", () => {
    // DAI at $0.99999999: 2000000020000000180223 wei * 99999999 / 1e18 = 199999999999.x → ceil 2000e8
    const debt = 2_000_000_020_000_000_180_223n;
    const q = { ...p, userReserveDebt: debt, debtPrice: 99_999_999n, debtUnit: E18, totalDebtBase: 3000n * E8 };
    // half = 1500e8 → 1500e8 * 1e18 / 99999999 (floor)
    expect(maxLiquidatableDebtV36(q)).toBe((1500n * E8 * E18) / 99_999_999n);
    expect(maxLiquidatableDebtV36(q)).toBe(1_500_000_015_000_000_150_000n);
  });
  it("the 50% converts back to debt units with a floor", () => {
    // USDC at $0.9999: 2000e8 * 1e6 / 99990000 = 2000200020.002 → 2000200020
    expect(maxLiquidatableDebtV36({ ...p, debtPrice: 99_990_000n })).toBe(2_000_200_020n);
  });
});

describe("collateral seized (_calculateAvailableCollateralToLiquidate 3.5+)", () => {
  const base = {
    collateralPrice: 2000n * E8,
    debtAssetPrice: E8,
    collateralUnit: E18,
    debtUnit: E6,
    debtToCover: 1000n * E6,
    userCollateralBalance: E18,
    liquidationBonus: 10500n,
    liquidationProtocolFee: 0n,
  };
  it("uncapped: as V3.0 (bonus and fee half-up)", () => {
    expect(collateralToLiquidateV36(base)).toEqual({
      collateralToLiquidator: 525n * 10n ** 15n,
      debtAmountNeeded: 1000n * E6,
      protocolFee: 0n,
    });
    const r = collateralToLiquidateV36({ ...base, liquidationProtocolFee: 1000n });
    // bonus 0.025 WETH, 10% of it to the treasury
    expect(r).toEqual({
      collateralToLiquidator: 525n * 10n ** 15n - 25n * 10n ** 14n,
      debtAmountNeeded: 1000n * E6,
      protocolFee: 25n * 10n ** 14n,
    });
  });
  it("capped: the debt needed rounds up (percentDivCeil) where V3.0 rounds half-up", () => {
    // 0.4045 WETH = $809 → 809e6 * 1e4 / 10500 = 770476190.476 → ceil 770476191 (V3.0: 770476190)
    const q = { ...base, userCollateralBalance: 4045n * 10n ** 14n, liquidationProtocolFee: 2000n };
    const r = collateralToLiquidateV36(q);
    expect(r.debtAmountNeeded).toBe(770_476_191n);
    expect(collateralToLiquidateV30(q).debtAmountNeeded).toBe(770_476_190n);
    const bonus = 4045n * 10n ** 14n - percentDiv(4045n * 10n ** 14n, 10500n);
    const fee = percentMul(bonus, 2000n);
    expect(r.protocolFee).toBe(fee);
    expect(r.collateralToLiquidator + r.protocolFee).toBe(4045n * 10n ** 14n);
  });
  it("a zero collateral price reverts like the contract", () => {
    expect(() => collateralToLiquidateV36({ ...base, collateralPrice: 0n })).toThrow(MathRevertError);
  });
});

describe("MustNotLeaveDust (executeLiquidationCall 3.3+)", () => {
  // 3,000 USDC debt, 2 WETH collateral
  const p: LiquidationLeftoverParams = {
    userReserveDebt: 3000n * E6,
    debtRepaid: 2000n * E6,
    userCollateralBalance: 2n * E18,
    collateralTaken: E18,
    debtPrice: E8,
    debtUnit: E6,
    collateralPrice: 2000n * E8,
    collateralUnit: E18,
  };
  it("both leftovers >= $1,000: fine", () => {
    expect(leavesDustV36(p)).toBe(false); // $1,000 debt and $2,000 collateral left
  });
  it("debt leftover under $1,000", () => {
    expect(leavesDustV36({ ...p, debtRepaid: 2000n * E6 + 1n })).toBe(true); // 999.999999 USDC
  });
  it("the debt leftover rounds up: 999.99999999.. counts as $1,000", () => {
    // DAI at $0.99999999: the smallest leftover whose ceil is 1000e8 is 1000000009990000099901 wei (floor 1000e8 - 1)
    const q = { ...p, debtPrice: 99_999_999n, debtUnit: E18, userReserveDebt: 3000n * E18 };
    const left = 1_000_000_009_990_000_099_901n;
    expect((left * 99_999_999n) / E18).toBe(MIN_LEFTOVER_BASE - 1n);
    expect(leavesDustV36({ ...q, debtRepaid: 3000n * E18 - left })).toBe(false);
    expect(leavesDustV36({ ...q, debtRepaid: 3000n * E18 - left + 1n })).toBe(true);
  });
  it("collateral leftover under $1,000 (floor)", () => {
    // 0.5 WETH - 1 wei left = 999.99999999..
    expect(leavesDustV36({ ...p, collateralTaken: 15n * 10n ** 17n + 1n })).toBe(true);
    expect(leavesDustV36({ ...p, collateralTaken: 15n * 10n ** 17n })).toBe(false);
  });
  it("no check when the whole debt reserve is repaid or the whole collateral taken", () => {
    expect(leavesDustV36({ ...p, debtRepaid: 3000n * E6, collateralTaken: 2n * E18 - 1n })).toBe(false);
    expect(leavesDustV36({ ...p, debtRepaid: 2999n * E6, collateralTaken: 2n * E18 })).toBe(false);
  });
});

describe("hasNoCollateralLeft (3.3-3.6)", () => {
  it("TC equals the base value of what is taken (floor)", () => {
    expect(hasNoCollateralLeftV36(4000n * E8, 2n * E18, 2000n * E8, E18)).toBe(true);
    // 1 wei less is worth 3999.99999999..
    expect(hasNoCollateralLeftV36(4000n * E8, 2n * E18 - 1n, 2000n * E8, E18)).toBe(false);
    // another collateral in TC
    expect(hasNoCollateralLeftV36(4001n * E8, 2n * E18, 2000n * E8, E18)).toBe(false);
    // leftover worth less than 1 base unit: the floors match
    expect(hasNoCollateralLeftV36(4000n * E8, 2n * E18 - 1n, 2000n * E8, E18)).toBe(false);
    expect(hasNoCollateralLeftV36(3999n * E8, 19995n * 10n ** 14n + 1n, 2000n * E8, E18)).toBe(true);
  });
});
