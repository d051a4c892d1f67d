import { describe, expect, it } from "vitest";
import {
  HALF_RAY,
  MAX_UINT256,
  MathRevertError,
  RAY,
  WAD,
  mulDivCeil,
  percentDiv,
  percentDivCeil,
  percentDivFloor,
  percentMul,
  percentMulCeil,
  percentMulFloor,
  rayDiv,
  rayDivCeil,
  rayDivFloor,
  rayMul,
  rayMulCeil,
  rayMulFloor,
  rayToWad,
  wadDiv,
  wadMul,
} from "../../src/risk/wadRayMath.js";
import {
  SECONDS_PER_YEAR,
  calculateCompoundedInterestV30,
  calculateCompoundedInterestV34,
  calculateLinearInterest,
  getNormalizedDebt,
  getNormalizedIncome,
} from "../../src/risk/interest.js";
import { decodeReserveConfiguration } from "../../src/risk/reserveConfiguration.js";
import { buildUserConfig, isBorrowing, isEmpty, isUsingAsCollateral, userReserveIds } from "../../src/risk/userConfiguration.js";
import { Rng } from "./riskSynthetic.js";

describe("WadRayMath / PercentageMath (V3.0 half-up)", () => {
  it("rounds x.5 up and below .5 down", () => {
    expect(rayMul(3n, HALF_RAY)).toBe(2n); // 1.5 -> 2
    expect(rayMul(1n, HALF_RAY)).toBe(1n); // 0.5 -> 1
    expect(rayMul(1n, HALF_RAY - 1n)).toBe(0n); // 0.4999.. -> 0
    expect(rayDiv(1n, 2n * RAY)).toBe(1n); // 0.5 -> 1
    expect(rayDiv(1n, 3n * RAY)).toBe(0n);
    expect(wadMul(5n, WAD / 10n)).toBe(1n); // 0.5 -> 1
    expect(wadMul(4n, WAD / 10n)).toBe(0n);
    expect(wadDiv(1n, 2n)).toBe(WAD / 2n);
    expect(wadDiv(2n, 3n)).toBe(666666666666666667n); // 0.666.. half-up
    expect(percentMul(1n, 5000n)).toBe(1n); // 0.5 -> 1
    expect(percentMul(1n, 4999n)).toBe(0n);
    expect(percentMul(12345n, 8250n)).toBe(10185n); // 10184.625 -> 10185
    expect(percentDiv(1n, 20000n)).toBe(1n); // 0.5 -> 1
    expect(percentDiv(10185n, 10500n)).toBe(9700n); // 9700.0
    expect(rayToWad(1_499_999_999n)).toBe(1n);
    expect(rayToWad(1_500_000_000n)).toBe(2n);
  });

  it("reverts exactly where the assembly does, near 2^256", () => {
    // rayMul reverts iff a > (MAX - HALF_RAY) / b
    const b = 3n * RAY;
    const aMax = (MAX_UINT256 - HALF_RAY) / b;
    expect(rayMul(aMax, b)).toBe((aMax * b + HALF_RAY) / RAY);
    expect(() => rayMul(aMax + 1n, b)).toThrow(MathRevertError);
    expect(rayMul(MAX_UINT256, 0n)).toBe(0n);
    // wadDiv reverts iff b == 0 or a > (MAX - b/2) / WAD
    const d = 7n;
    const wMax = (MAX_UINT256 - d / 2n) / WAD;
    expect(wadDiv(wMax, d)).toBe((wMax * WAD + d / 2n) / d);
    expect(() => wadDiv(wMax + 1n, d)).toThrow(MathRevertError);
    expect(() => wadDiv(1n, 0n)).toThrow(MathRevertError);
    expect(() => rayDiv(1n, 0n)).toThrow(MathRevertError);
    expect(() => percentDiv(1n, 0n)).toThrow(MathRevertError);
    const pMax = (MAX_UINT256 - 5000n) / 8000n;
    expect(percentMul(pMax, 8000n)).toBe((pMax * 8000n + 5000n) / 10000n);
    expect(() => percentMul(pMax + 1n, 8000n)).toThrow(MathRevertError);
    expect(percentMul(MAX_UINT256, 0n)).toBe(0n);
  });

  it("floor/ceil variants", () => {
    expect(rayMulFloor(3n, HALF_RAY)).toBe(1n);
    expect(rayMulCeil(3n, HALF_RAY)).toBe(2n);
    expect(rayMulCeil(2n, HALF_RAY)).toBe(1n); // exact: no bump
    expect(rayDivFloor(2n, 3n * RAY)).toBe(0n);
    expect(rayDivCeil(2n, 3n * RAY)).toBe(1n);
    expect(mulDivCeil(7n, 3n, 2n)).toBe(11n);
    expect(mulDivCeil(6n, 3n, 2n)).toBe(9n);
    expect(() => mulDivCeil(1n, 1n, 0n)).toThrow(MathRevertError);
    expect(() => mulDivCeil(MAX_UINT256, 2n, 3n)).toThrow(MathRevertError);
    expect(percentMulFloor(19999n, 5000n)).toBe(9999n);
    expect(percentMulCeil(19999n, 5000n)).toBe(10000n);
    expect(percentDivFloor(10000n, 10500n)).toBe(9523n);
    expect(percentDivCeil(10000n, 10500n)).toBe(9524n);
    const rng = new Rng(11);
    for (let i = 0; i < 500; i++) {
      const a = rng.bits(120);
      const b = rng.bits(100) + 1n;
      const exact = a * b;
      expect(rayMulFloor(a, b) * RAY <= exact && exact < (rayMulFloor(a, b) + 1n) * RAY).toBe(true);
      expect(rayMulCeil(a, b) - rayMulFloor(a, b)).toBe(exact % RAY === 0n ? 0n : 1n);
      const h = rayMul(a, b);
      expect(h === rayMulFloor(a, b) || h === rayMulCeil(a, b)).toBe(true);
    }
  });
});

describe("interest (MathUtils / ReserveLogic)", () => {
  const r = (5n * RAY) / 100n; // 5% APR
  it("linear interest", () => {
    expect(calculateLinearInterest(r, 100n, 100n)).toBe(RAY);
    expect(calculateLinearInterest(r, 0n, SECONDS_PER_YEAR)).toBe(RAY + r);
    expect(calculateLinearInterest(r, 0n, 12n)).toBe(RAY + (r * 12n) / SECONDS_PER_YEAR);
    expect(() => calculateLinearInterest(r, 10n, 9n)).toThrow(MathRevertError);
  });

  it("V3.0 compounded = the binomial computed another way", () => {
    // Reference written independently: (1+x)^n ≈ 1 + n·x + C(n,2)·x² + C(n,3)·x³ with the contract's
    // truncations of x² and x³ (b2 = rayMul(r,r)/SPY², b3 = rayMul(b2, r)/SPY).
    const ref = (rate: bigint, n: bigint) => {
      if (n === 0n) return RAY;
      const half = RAY / 2n;
      const b2 = (rate * rate + half) / RAY / SECONDS_PER_YEAR ** 2n;
      const b3 = (b2 * rate + half) / RAY / SECONDS_PER_YEAR;
      const c2 = (n * (n - 1n) * b2) / 2n;
      const c3 = (n * (n - 1n) * (n > 2n ? n - 2n : 0n) * b3) / 6n;
      return RAY + (rate * n) / SECONDS_PER_YEAR + c2 + c3;
    };
    const rng = new Rng(5);
    for (const n of [0n, 1n, 2n, 3n, 12n, 3600n, 86_400n, SECONDS_PER_YEAR, 5n * SECONDS_PER_YEAR]) {
      for (let i = 0; i < 20; i++) {
        const rate = rng.range(0n, 3n * RAY);
        expect(calculateCompoundedInterestV30(rate, 1000n, 1000n + n)).toBe(ref(rate, n));
      }
    }
    // Hand value, 5% for one year: 1 + 0.05 + 0.00125 + x³ term. The contract's basePowerThree =
    // rayMul(b2, r)/SPY = floor(3.98..) = 3 per-second units, so the cubic term is 3/3.98 of 0.0000208:
    // 1.0512656.. instead of the mathematical 1.0512708.
    const c = calculateCompoundedInterestV30(r, 0n, SECONDS_PER_YEAR);
    expect(c).toBe(1051265681539063650421944000n);
    const b2 = (r * r) / RAY / (SECONDS_PER_YEAR * SECONDS_PER_YEAR);
    expect((b2 * r) / RAY / SECONDS_PER_YEAR).toBe(3n);
  });

  it("V3.4 compounded = x + x²/2 + x³/6 via its own nesting", () => {
    const rng = new Rng(6);
    for (let i = 0; i < 200; i++) {
      const rate = rng.range(0n, 3n * RAY);
      const dt = BigInt(rng.int(0, 400 * 86400));
      const x = (rate * dt) / SECONDS_PER_YEAR;
      const half = RAY / 2n;
      const inner = (x * (x / 6n) + half) / RAY;
      const expected = dt === 0n ? RAY : RAY + x + (x * (x / 2n + inner) + half) / RAY;
      expect(calculateCompoundedInterestV34(rate, 0n, dt)).toBe(expected);
    }
  });

  it("normalized income/debt return the stored index in the update block", () => {
    const idx = RAY + 123n;
    expect(getNormalizedIncome(idx, r, 50n, 50n)).toBe(idx);
    expect(getNormalizedDebt(idx, r, 50n, 50n)).toBe(idx);
    expect(getNormalizedIncome(idx, r, 50n, 62n)).toBe(rayMul(calculateLinearInterest(r, 50n, 62n), idx));
    expect(getNormalizedDebt(idx, r, 50n, 62n)).toBe(rayMul(calculateCompoundedInterestV30(r, 50n, 62n), idx));
  });
});

describe("reserve configuration bitmap", () => {
  it("decodes every field at its bit position", () => {
    const set = (v: bigint, start: number) => v << BigInt(start);
    const data =
      set(7500n, 0) |
      set(8000n, 16) |
      set(10500n, 32) |
      set(6n, 48) |
      set(1n, 56) |
      set(0n, 57) |
      set(1n, 58) |
      set(1n, 59) |
      set(0n, 60) |
      set(1n, 61) |
      set(0n, 62) |
      set(1n, 63) |
      set(1000n, 64) |
      set(68719476735n, 80) |
      set(123456789n, 116) |
      set(1500n, 152) |
      set(7n, 168) |
      set(42n, 176) |
      set(1099511627775n, 212);
    const c = decodeReserveConfiguration(data);
    expect(c).toEqual({
      ltv: 7500,
      liquidationThreshold: 8000,
      liquidationBonus: 10500,
      decimals: 6,
      active: true,
      frozen: false,
      borrowingEnabled: true,
      stableBorrowingEnabled: true,
      paused: false,
      borrowableInIsolation: true,
      siloedBorrowing: false,
      flashLoanEnabled: true,
      reserveFactor: 1000,
      borrowCap: 68719476735n,
      supplyCap: 123456789n,
      liquidationProtocolFee: 1500,
      eModeCategory: 7,
      unbackedMintCap: 42n,
      debtCeiling: 1099511627775n,
    });
    // single flags in isolation
    expect(decodeReserveConfiguration(1n << 57n).frozen).toBe(true);
    expect(decodeReserveConfiguration(1n << 60n).paused).toBe(true);
    expect(decodeReserveConfiguration(1n << 62n).siloedBorrowing).toBe(true);
    expect(decodeReserveConfiguration((1n << 256n) - 1n).eModeCategory).toBe(255);
  });
});

describe("user configuration bitmap", () => {
  it("bit 2i borrowing, 2i+1 collateral; iteration", () => {
    const cfg = buildUserConfig([0, 5, 127], [5, 64]);
    expect(isUsingAsCollateral(cfg, 0)).toBe(true);
    expect(isBorrowing(cfg, 0)).toBe(false);
    expect(isBorrowing(cfg, 5)).toBe(true);
    expect(isUsingAsCollateral(cfg, 127)).toBe(true);
    expect(isBorrowing(cfg, 64)).toBe(true);
    expect(isEmpty(cfg)).toBe(false);
    expect(isEmpty(0n)).toBe(true);
    expect(userReserveIds(cfg)).toEqual({ collateral: [0, 5, 127], borrowing: [5, 64] });
    expect(() => isBorrowing(cfg, 128)).toThrow(RangeError);
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const c = rng.bits(256);
      const ids = userReserveIds(c);
      const coll: number[] = [];
      const bor: number[] = [];
      for (let id = 0; id < 128; id++) {
        if (isUsingAsCollateral(c, id)) coll.push(id);
        if (isBorrowing(c, id)) bor.push(id);
      }
      expect(ids).toEqual({ collateral: coll, borrowing: bor });
    }
  });
});
