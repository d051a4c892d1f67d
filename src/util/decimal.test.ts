import { describe, expect, it } from "vitest";
import { MAX_UINT256 } from "../risk/wadRayMath.js";
import { formatBaseAmount, formatDecimal, formatFixed, formatHealthFactor } from "./decimal.js";

describe("number formatting", () => {
  it("formats base-currency amounts in the market's own unit", () => {
    expect(formatBaseAmount(123_456_789_000n, 10n ** 8n)).toBe("1,234.57");
    expect(formatBaseAmount(123_456_789_000n, 10n ** 8n, 0)).toBe("1,235");
    expect(formatBaseAmount(1_234_567_890_000_000_000_000n, 10n ** 18n)).toBe("1,234.57");
    expect(formatBaseAmount(-150n, 100n)).toBe("-1.50");
  });

  it("formats health factors with 4 decimals and infinity for no debt", () => {
    expect(formatHealthFactor(987_654_321_000_000_000n)).toBe("0.9877");
    expect(formatHealthFactor(MAX_UINT256)).toBe("∞");
    expect(formatFixed(5n, 0, 0)).toBe("5");
  });
});

describe("formatDecimal (log lines)", () => {
  it("truncates toward zero to the digits asked for, without grouping", () => {
    expect(formatDecimal(123_456_789_012n, 10n ** 8n, 2)).toBe("1234.56");
    expect(formatDecimal(-123_456_789_012n, 10n ** 8n, 2)).toBe("-1234.56");
    expect(formatDecimal(5n, 10n ** 8n, 2)).toBe("0.00");
    expect(formatDecimal(-5n, 10n ** 8n, 2)).toBe("0.00");
    expect(formatDecimal(987_654_321_000_000_000n, 10n ** 18n, 6)).toBe("0.987654");
  });

  it("without digits, shows every significant decimal", () => {
    expect(formatDecimal(123_456_789n, 10n ** 8n)).toBe("1.23456789");
    expect(formatDecimal(100_000_000n, 10n ** 8n)).toBe("1");
    expect(formatDecimal(-120_000_000n, 10n ** 8n)).toBe("-1.2");
    expect(formatDecimal(7n, 1n)).toBe("7");
  });
});
