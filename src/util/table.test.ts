import { describe, expect, it } from "vitest";
import { MAX_UINT256 } from "../risk/wadRayMath.js";
import { formatBaseAmount, formatFixed, formatHealthFactor } from "./table.js";

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
