// Decimal text for fixed-point bigints, in one place: log lines (plain, truncated, no grouping: what
// scripts parse), terminal tables (rounded, with thousands separators), health factors.
import { MAX_UINT256 } from "../risk/wadRayMath.js";

/**
 * `value` / `unit` (a power of ten) as plain decimal text: truncated toward zero to `digits` decimals,
 * or every significant decimal when `digits` is undefined (trailing zeros dropped). For log lines.
 */
export function formatDecimal(value: bigint, unit: bigint, digits?: number): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const decimals = unit.toString().length - 1;
  const whole = abs / unit;
  let fraction = (abs % unit).toString().padStart(decimals, "0");
  fraction = digits === undefined ? fraction.replace(/0+$/, "") : fraction.slice(0, digits).padEnd(digits, "0");
  const sign = negative && (whole !== 0n || /[1-9]/.test(fraction)) ? "-" : "";
  return `${sign}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** `value` / 10^decimals with `digits` decimals, rounded half-up, with thousands separators. For tables. */
export function formatFixed(value: bigint, decimals: number, digits = 2): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const rounding = digits < decimals ? 10n ** BigInt(decimals - digits) / 2n : 0n;
  const scaled = abs + rounding;
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(decimals, "0").slice(0, digits);
  const wholeText = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}${wholeText}${digits > 0 ? `.${fraction}` : ""}`;
}

/** A health factor (WAD) with 4 decimals; "∞" for an account without debt (the pool answers max uint256). */
export function formatHealthFactor(hf: bigint): string {
  return hf === MAX_UINT256 ? "∞" : formatFixed(hf, 18, 4);
}

/** An amount in the market's base currency (BASE_CURRENCY_UNIT, a power of ten: 1e8 for USD markets), for tables. */
export function formatBaseAmount(value: bigint, baseCurrencyUnit: bigint, digits = 2): string {
  return formatFixed(value, baseCurrencyUnit.toString().length - 1, digits);
}
