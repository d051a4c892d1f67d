import { describe, expect, it } from "vitest";
import { MAX_UINT256 } from "../risk/wadRayMath.js";
import { debtReservation } from "./plan.js";

describe("debtReservation", () => {
  it("an exact debtToCover bounds what the pool can pull", () => {
    expect(debtReservation({ debtToCover: 500n, expectedDebtRepaid: 500n })).toBe(500n);
    // collateral-capped: the pool takes less than debtToCover, never more
    expect(debtReservation({ debtToCover: 500n, expectedDebtRepaid: 420n })).toBe(420n + 1n);
    expect(debtReservation({ debtToCover: 421n, expectedDebtRepaid: 420n })).toBe(421n);
  });

  it("2^256-1: what the plan repays plus 1/10,000 for interest accrued before it is mined", () => {
    expect(debtReservation({ debtToCover: MAX_UINT256, expectedDebtRepaid: 850_000_000n })).toBe(850_085_001n);
    expect(debtReservation({ debtToCover: MAX_UINT256, expectedDebtRepaid: 0n })).toBe(1n);
  });
});

describe("debtReservation of a flash-loan plan", () => {
  it("reserves nothing: the Liquidator borrows the debt asset, the wallet pays none", () => {
    expect(debtReservation({ debtToCover: 500n, expectedDebtRepaid: 500n, capital: "flashLoan" })).toBe(0n);
    expect(debtReservation({ debtToCover: 500n, expectedDebtRepaid: 500n, capital: "wallet" })).toBe(500n);
  });
});
