// Plain-text tables and numbers for terminal output (CLI and sandbox): columns padded to the widest cell,
// numbers right-aligned.
import { MAX_UINT256 } from "../risk/wadRayMath.js";

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+$]?[\d,.]+[%x]?$|^-$|^∞$/.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Formats a fixed-point bigint (value / 10^decimals) with `digits` decimals and thousands separators. */
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

/** An amount in the market's base currency (BASE_CURRENCY_UNIT as read from the oracle, a power of ten, 1e8 for USD markets). */
export function formatBaseAmount(value: bigint, baseCurrencyUnit: bigint, digits = 2): string {
  return formatFixed(value, baseCurrencyUnit.toString().length - 1, digits);
}
