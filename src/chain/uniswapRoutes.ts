// The pure half of the Uniswap quoter's route choice (src/chain/uniswapQuoter.ts does the eth_calls):
// which routes a pair's pools allow, how the two phases of leg quotes rank them, which amounts one
// choice serves, and the words for a pair with no route.
import { encodePacked, type Address, type Hex } from "viem";
import { formatFixed } from "../util/decimal.js";

/** A route: the tokens along it (tokenIn first) and the fee tier of each hop. */
export interface Route {
  tokens: Address[];
  fees: number[];
}

/** What QuoterV2 answered for one (path, amountIn): undefined when it reverted. */
export interface LegQuote {
  amountOut: bigint;
  gasEstimate: bigint;
}

/** The pools a pair may be swapped through: its own fee tiers, and each intermediate with a pool to both tokens. */
export interface PairPools {
  /** fee tiers of the tokenIn/tokenOut pools */
  direct: number[];
  /** intermediates with at least one pool to tokenIn (`first`: its tiers) and one to tokenOut (`second`) */
  intermediates: { hub: Address; first: number[]; second: number[] }[];
  /** how many intermediates were looked at (the hubs other than the pair's own tokens) */
  considered: number;
}

/** Uniswap's packed path: token (20 bytes), then per hop fee (3 bytes) and token. */
export function encodeSwapPath(tokens: readonly Address[], fees: readonly number[]): Hex {
  if (tokens.length !== fees.length + 1 || fees.length === 0) throw new RangeError(`a path needs n tokens and n-1 fees, n >= 2`);
  const types: ("address" | "uint24")[] = ["address"];
  const values: (Address | number)[] = [tokens[0]!];
  fees.forEach((fee, i) => {
    types.push("uint24", "address");
    values.push(fee, tokens[i + 1]!);
  });
  return encodePacked(types, values);
}

/** Which of `hubs` can carry tokenIn -> tokenOut in two hops, and at which tiers, given which pools exist. */
export function pairPools(
  tokenIn: Address,
  tokenOut: Address,
  hubs: readonly Address[],
  feeTiers: readonly number[],
  hasPool: (a: Address, b: Address, fee: number) => boolean,
): PairPools {
  const direct = feeTiers.filter((fee) => hasPool(tokenIn, tokenOut, fee));
  const intermediates: PairPools["intermediates"] = [];
  let considered = 0;
  for (const hub of hubs) {
    if (hub === tokenIn || hub === tokenOut) continue;
    considered++;
    const first = feeTiers.filter((fee) => hasPool(tokenIn, hub, fee));
    if (first.length === 0) continue;
    const second = feeTiers.filter((fee) => hasPool(hub, tokenOut, fee));
    if (second.length > 0) intermediates.push({ hub, first, second });
  }
  return { direct, intermediates, considered };
}

/** More out first; at equal output the cheaper in gas. */
function better(a: LegQuote, b: LegQuote): boolean {
  return a.amountOut > b.amountOut || (a.amountOut === b.amountOut && a.gasEstimate < b.gasEstimate);
}

/**
 * Phase one of a two-hop choice: per intermediate, the first leg's tier that reaches it with the most
 * (ties: less gas). Only that tier is worth a second leg: the second pool pays more for more input, and
 * the two legs are different pools, so the best two-hop route through a hub starts with its best first
 * leg, exactly. Intermediates no first leg reaches with anything are left out.
 */
export function bestFirstLegs(legs: readonly { hub: Address; fee: number; quote: LegQuote | undefined }[]): Map<Address, number> {
  const best = new Map<Address, { fee: number; quote: LegQuote }>();
  for (const { hub, fee, quote } of legs) {
    if (quote === undefined || quote.amountOut === 0n) continue;
    const current = best.get(hub);
    if (current === undefined || better(quote, current.quote)) best.set(hub, { fee, quote });
  }
  return new Map([...best].map(([hub, { fee }]) => [hub, fee]));
}

/**
 * The routes worth quoting every request of a pair along, best first: the best, and the runner-up when it
 * returned within `runnerUpBps` of the best (an amount some way off the choice's may rank them the other
 * way; a distant one would not). Routes that reverted or return nothing are no route.
 */
export function rankRoutes<T extends { quote: LegQuote | undefined }>(
  quoted: readonly T[],
  runnerUpBps: bigint,
): (T & { quote: LegQuote })[] {
  const ranked = quoted
    .filter((q): q is T & { quote: LegQuote } => q.quote !== undefined && q.quote.amountOut > 0n)
    .sort((a, b) => (better(a.quote, b.quote) ? -1 : better(b.quote, a.quote) ? 1 : 0));
  const [best, second] = ranked;
  if (best === undefined) return [];
  if (second === undefined || second.quote.amountOut * 10_000n < best.quote.amountOut * (10_000n - runnerUpBps)) return [best];
  return [best, second];
}

/** Whether a route choice made for `at` serves `amount`: within `factor` either way. */
export function withinFactor(amount: bigint, at: bigint, factor: bigint): boolean {
  return amount * factor >= at && amount <= at * factor;
}

/**
 * The amounts to choose a pair's routes at so that each of `amounts` is within `factor` of one of them:
 * the largest not yet served, then the largest below its reach, and so on (each serves down to 1/factor).
 */
export function choiceAmounts(amounts: readonly bigint[], factor: bigint): bigint[] {
  const sorted = [...amounts].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const chosen: bigint[] = [];
  for (const amount of sorted) {
    const last = chosen[chosen.length - 1];
    if (last === undefined || !withinFactor(amount, last, factor)) chosen.push(amount);
  }
  return chosen;
}

/** Why a request has no route. */
export type NoRoute =
  /** no pool between the tokens at any tier, and no intermediate with pools to both */
  | { kind: "noPools"; feeTiers: readonly number[]; considered: number }
  /** routes exist, but none quoted anything for amountIn: every quote reverted, or some returned 0 */
  | { kind: "noQuote"; amountIn: bigint; reverted: boolean; direct: readonly number[]; via: readonly Address[] };

/** A token's name and decimals for the log (the market's reserves know them; the quoter does not). */
export type TokenLabel = (token: Address) => { symbol: string; decimals: number } | undefined;

const percent = (fee: number) => `${fee / 10_000}`;

/** A token amount for a log line: thousands separated, no trailing zeros, 6 decimals at most above one unit. */
function tokenAmount(amount: bigint, decimals: number): string {
  const [whole, fraction = ""] = formatFixed(amount, decimals, decimals).split(".");
  const digits = fraction.replace(/0+$/, "");
  const shown = whole === "0" ? digits : digits.slice(0, 6).replace(/0+$/, "");
  return shown === "" ? whole! : `${whole}.${shown}`;
}

/** The short phrase for the keeper's log, e.g. "the pools cannot take 1,234.5 LINK (direct at 1%, via WETH, USDC)". */
export function describeNoRoute(tokenIn: Address, tokenOut: Address, why: NoRoute, label?: TokenLabel): string {
  const name = (t: Address) => label?.(t)?.symbol ?? t;
  if (why.kind === "noPools") {
    const tiers = `${why.feeTiers.map(percent).join("/")}%`;
    const through =
      why.considered === 0
        ? "and no intermediate to try"
        : `nor through any of ${why.considered} intermediate${why.considered === 1 ? "" : "s"} (none has pools to both)`;
    return `no Uniswap V3 pool between ${name(tokenIn)} and ${name(tokenOut)} at ${tiers}, ${through}`;
  }
  const token = label?.(tokenIn);
  const amount = token ? `${tokenAmount(why.amountIn, token.decimals)} ${token.symbol}` : `${why.amountIn} units of ${tokenIn}`;
  const routes = [
    ...(why.direct.length > 0 ? [`direct at ${why.direct.map(percent).join("/")}%`] : []),
    ...(why.via.length > 0
      ? [`via ${why.via.slice(0, 4).map(name).join(", ")}${why.via.length > 4 ? ` and ${why.via.length - 4} more` : ""}`]
      : []),
  ].join(", ");
  return why.reverted ? `the pools cannot take ${amount} (${routes})` : `the pools return no ${name(tokenOut)} for ${amount} (${routes})`;
}

const PATH_ADDRESS_HEX = 40;
const PATH_FEE_HEX = 6;

/** The tokens and fee tiers of a packed Uniswap V3 path (token, fee, token[, fee, token]...). */
export function decodeSwapPath(path: Hex): { tokens: Hex[]; fees: number[] } {
  const hex = path.slice(2);
  if (hex.length === 0) return { tokens: [], fees: [] };
  if ((hex.length - PATH_ADDRESS_HEX) % (PATH_ADDRESS_HEX + PATH_FEE_HEX) !== 0) throw new RangeError(`not a Uniswap V3 path: ${path}`);
  const tokens: Hex[] = [`0x${hex.slice(0, PATH_ADDRESS_HEX)}`];
  const fees: number[] = [];
  for (let at = PATH_ADDRESS_HEX; at < hex.length; at += PATH_ADDRESS_HEX + PATH_FEE_HEX) {
    fees.push(parseInt(hex.slice(at, at + PATH_FEE_HEX), 16));
    tokens.push(`0x${hex.slice(at + PATH_FEE_HEX, at + PATH_FEE_HEX + PATH_ADDRESS_HEX)}`);
  }
  return { tokens, fees };
}
