// Parsers for single settings. Each takes the setting's name and its raw,
// already-trimmed, non-empty value, and either returns the typed value or
// throws a ConfigError whose message is one line: "<NAME>: <problem>".
import { getAddress } from "viem";
import { EXIT_BAD_INPUT, KeeperError } from "../errors.js";
import { redactUrl } from "../util/url.js";

/** A setting the operator must fix: exit 2. `retryable` only for an RPC_URL that does not answer yet. */
export class ConfigError extends KeeperError {
  constructor(
    readonly setting: string,
    readonly problem: string,
    options: { retryable?: boolean } = {},
  ) {
    super(`${setting}: ${problem}`, { exitCode: EXIT_BAD_INPUT, retryable: options.retryable ?? false });
    this.name = "ConfigError";
  }
}

const MAX_SHOWN = 80;

/**
 * A raw value quoted for an error message: JSON quoting keeps it on one line
 * even if a .env value spans several, and long values are cut.
 */
export function show(raw: string): string {
  const cut = raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN)}…` : raw;
  return JSON.stringify(cut);
}

/**
 * A URL-ish value quoted for an error message without the parts that usually
 * hold an API key (path, query, userinfo) — the message ends up in logs.
 */
export function showUrl(raw: string): string {
  // "localhost:8545" parses too, as scheme "localhost:" without a host; show it as typed.
  if (URL.canParse(raw) && new URL(raw).host !== "") return show(redactUrl(raw));
  // Not a URL with a host (often "host/v3/KEY" without a scheme): keep what is before the first secret-bearing part.
  const cutAt = raw.search(/[/?#@]/);
  return show(cutAt === -1 ? raw : `${raw.slice(0, cutAt)}…`);
}

export type UrlKind = "http" | "ws";

const PROTOCOLS: Record<UrlKind, readonly string[]> = {
  http: ["http:", "https:"],
  ws: ["ws:", "wss:"],
};

export function parseUrl(name: string, raw: string, kind: UrlKind): string {
  const [a, b] = kind === "http" ? ["http://", "https://"] : ["ws://", "wss://"];
  // The usual mistake is a missing scheme ("localhost:8545"): say what to add.
  const hint = raw.includes("://") ? "" : ` (no scheme: put ${a} or ${b} in front)`;
  const problem = `${showUrl(raw)} is not ${kind === "http" ? "an http(s)" : "a ws(s)"} URL${hint}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, problem);
  }
  if (!PROTOCOLS[kind].includes(url.protocol) || url.hostname === "") throw new ConfigError(name, problem);
  return raw;
}

export function parseBoolean(name: string, raw: string): boolean {
  switch (raw.toLowerCase()) {
    case "true":
    case "1":
    case "yes":
      return true;
    case "false":
    case "0":
    case "no":
      return false;
    default:
      throw new ConfigError(name, `${show(raw)} is not a boolean (use true/false, 1/0 or yes/no)`);
  }
}

// Plain decimal notation only: Number() alone would also take "0x10", "Infinity"
// and "" — and parseFloat would take "1e3abc" as 1000.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(name: string, raw: string, sign: "positive" | "non-negative"): number {
  const value = DECIMAL.test(raw) ? Number(raw) : NaN;
  const ok = Number.isFinite(value) && (sign === "positive" ? value > 0 : value >= 0);
  if (!ok) throw new ConfigError(name, `${show(raw)} is not a ${sign} number`);
  return value === 0 ? 0 : value; // "-0" -> 0
}

export function parseInteger(name: string, raw: string, sign: "positive" | "non-negative"): number {
  const value = /^\+?\d+$/.test(raw) ? Number(raw) : NaN;
  const ok = Number.isSafeInteger(value) && (sign === "positive" ? value > 0 : value >= 0);
  if (!ok) throw new ConfigError(name, `${show(raw)} is not a ${sign} integer`);
  return value;
}

/** A block number: decimal, or 0x hex as nodes print them. */
export function parseBlockNumber(name: string, raw: string): bigint {
  if (/^\d+$/.test(raw) || /^0x[0-9a-fA-F]+$/.test(raw)) return BigInt(raw);
  throw new ConfigError(name, `${show(raw)} is not a non-negative integer (decimal or 0x hex)`);
}

/**
 * An address, checksummed. All-lowercase (or all-uppercase) input carries no
 * checksum and is accepted; mixed case is an EIP-55 checksum and must be right,
 * since a wrong one means a typo.
 */
export function parseAddress(name: string, raw: string): `0x${string}` {
  if (!/^0x[0-9a-fA-F]{40}$/.test(raw)) {
    throw new ConfigError(name, `${show(raw)} is not an address (0x and 40 hex digits)`);
  }
  const digits = raw.slice(2);
  const checksummed = getAddress(raw.toLowerCase());
  const mixedCase = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixedCase && checksummed !== raw) {
    throw new ConfigError(
      name,
      `${show(raw)} has a wrong EIP-55 checksum (expected ${checksummed}; write it all-lowercase to skip the check)`,
    );
  }
  return checksummed;
}

// secp256k1's group order: a private key must be in [1, n-1].
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A private key, as lowercase 0x-prefixed hex. Its value never appears in a message. */
export function parsePrivateKey(name: string, raw: string): `0x${string}` {
  const digits = raw.startsWith("0x") || raw.startsWith("0X") ? raw.slice(2) : raw;
  if (!/^[0-9a-fA-F]*$/.test(digits)) {
    throw new ConfigError(name, "contains a non-hex character (expected 64 hex digits, with or without 0x; value not shown)");
  }
  if (digits.length !== 64) {
    throw new ConfigError(name, `has ${digits.length} hex digits, expected 64 (a 32-byte key, with or without 0x; value not shown)`);
  }
  const key = BigInt(`0x${digits}`);
  if (key === 0n || key >= SECP256K1_N) {
    throw new ConfigError(name, "is not a valid secp256k1 private key (zero or not below the curve order; value not shown)");
  }
  return `0x${digits.toLowerCase()}`;
}
