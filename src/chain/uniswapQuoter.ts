// Swap quotes on Uniswap V3 for the flash-loan path: for each (collateral, debt, amountIn) of a block,
// the route that returns the most debt asset: a direct pool at any fee tier, or two hops through an
// intermediate (the market's reserves and the chain's usual hubs, one list from the caller). QuoterV2 is
// not `view` (it simulates the swap and reverts with the result), so it is called with eth_call,
// through Multicall3.
//
// What a block costs, whatever the number of requests and intermediates:
//  - the pools: factory.getPool for every pair and tier a request may use, once (cached);
//  - the route choice, per (tokenIn, tokenOut) when none serves the amount (none made in the last
//    routeTtlBlocks blocks within a factor ROUTE_AMOUNT_FACTOR of it): two eth_calls for all such pairs
//    together. Phase one quotes the direct pools and tokenIn -> intermediate at each tier; phase two
//    intermediate -> tokenOut at each tier from the best first leg only (exact: see bestFirstLegs),
//    as the whole two-hop path, so its quote carries the route's gas;
//  - the quotes: each request along its pair's chosen route (and a close runner-up), one eth_call
//    (chunked in parallel past QUOTES_PER_CALL); none for a request the choice quoted at its amount.
import { decodeFunctionResult, encodeFunctionData, getAddress, zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { multicall3Abi } from "../../contracts-abi/sandbox/Multicall3.js";
import { quoterV2Abi, uniswapV3FactoryAbi } from "../../contracts-abi/uniswap/index.js";
import { MULTICALL3_ADDRESS } from "./multicall.js";
import {
  bestFirstLegs,
  choiceAmounts,
  describeNoRoute,
  encodeSwapPath,
  pairPools,
  rankRoutes,
  withinFactor,
  type LegQuote,
  type NoRoute,
  type PairPools,
  type Route,
  type TokenLabel,
} from "./uniswapRoutes.js";

export { encodeSwapPath, type NoRoute, type TokenLabel } from "./uniswapRoutes.js";

/** Uniswap V3's fee tiers (hundredths of a bip): 0.01%, 0.05%, 0.3%, 1%. */
export const FEE_TIERS = [100, 500, 3000, 10_000] as const;

/**
 * A quoted swap cost ~100-200k gas of eth_call each; anvil caps an eth_call at the block gas limit
 * (30M), geth at 50M. 60 quotes stay near 10M.
 */
export const QUOTES_PER_CALL = 60;

/** factory.getPool is one mapping read, ~5k gas in an aggregate: 1,000 stay near 5M. */
export const POOL_LOOKUPS_PER_CALL = 1_000;

/** A pair's route choice serves amounts within this factor of the one it was made at, either way. */
export const ROUTE_AMOUNT_FACTOR = 2n;

/** Blocks a route choice is kept (pools' depths change slowly; the chosen routes are quoted every block). */
export const DEFAULT_ROUTE_TTL_BLOCKS = 20;

/** The runner-up route is quoted too when, at the choice, it returned within this of the best. */
export const RUNNER_UP_BPS = 100n;

export interface QuoteRequest {
  tokenIn: Address;
  tokenOut: Address;
  amountIn: bigint;
}

/** What the profit model needs from a quote, as plain data. */
export interface SwapQuote {
  tokenIn: Address;
  tokenOut: Address;
  amountIn: bigint;
  /** tokenOut units the route returns for amountIn at the quoted block (fees and price impact included) */
  amountOut: bigint;
  /** Uniswap's packed path (token, fee, token[, fee, token]) for SwapRouter.exactInput; "0x" when tokenIn = tokenOut */
  path: Hex;
  /** the tokens along the route, tokenIn first */
  tokens: Address[];
  /** the fee tier of each hop */
  fees: number[];
  /**
   * QuoterV2's gas estimate of the swap alone (0 without a swap). In a batch, slots an earlier quote
   * touched are warm (EIP-2929), so it can be a few thousand gas below the same quote made alone.
   */
  gasEstimate: bigint;
}

export interface UniswapQuoterOptions {
  factory: Address;
  /** QuoterV2 */
  quoter: Address;
  /**
   * Tokens a two-hop route may pass through, one list: the market's reserves and the chain's usual hubs
   * (UNISWAP_ROUTING_HUBS, the sandbox's WETH and USDC). Only those with a pool to both tokens of a pair
   * are quoted; duplicates are dropped.
   */
  hubs: readonly Address[];
  feeTiers?: readonly number[];
  /** blocks a pair's route choice is kept (DEFAULT_ROUTE_TTL_BLOCKS) */
  routeTtlBlocks?: number;
}

interface Call {
  target: Address;
  allowFailure: boolean;
  callData: Hex;
}

type Result = { success: boolean; returnData: Hex };

interface PathQuote {
  path: Hex;
  amountIn: bigint;
}

interface QuotedRoute extends Route {
  path: Hex;
}

/** The routes chosen for a pair at one amount (best first; empty: no route at that amount, and why). */
interface RouteChoice {
  at: bigint;
  /** the block it was made at; undefined (latest) is never reused */
  block: bigint | undefined;
  routes: QuotedRoute[];
  failure?: NoRoute;
}

const poolKey = (a: Address, b: Address, fee: number): string => {
  const [x, y] = a.toLowerCase() < b.toLowerCase() ? [a, b] : [b, a];
  return `${x.toLowerCase()}/${y.toLowerCase()}/${fee}`;
};
const pairKey = (tokenIn: Address, tokenOut: Address): string => `${tokenIn}>${tokenOut}`;
const quoteKey = (path: Hex, amountIn: bigint): string => `${path}:${amountIn}`;
const requestKey = (r: QuoteRequest): string => `${pairKey(r.tokenIn, r.tokenOut)}:${r.amountIn}`;
const route = (tokens: Address[], fees: number[]): QuotedRoute => ({ tokens, fees, path: encodeSwapPath(tokens, fees) });

export class UniswapQuoter {
  /** pool existence by unordered pair and fee; pools are created rarely, a restart picks up new ones */
  private readonly pools = new Map<string, boolean>();
  /** route choices by directed pair */
  private readonly choices = new Map<string, RouteChoice[]>();
  /** why the last quote() found no route, by request */
  private readonly noRoutes = new Map<string, NoRoute>();
  private readonly feeTiers: readonly number[];
  private readonly ttl: bigint;
  private hubs: Address[];
  /** eth_call requests sent, for tests and the per-block RPC count */
  requests = 0;

  constructor(
    private readonly client: PublicClient,
    private readonly options: UniswapQuoterOptions,
  ) {
    this.feeTiers = options.feeTiers ?? FEE_TIERS;
    this.ttl = BigInt(options.routeTtlBlocks ?? DEFAULT_ROUTE_TTL_BLOCKS);
    this.hubs = distinct(options.hubs);
  }

  /** A new list of intermediates (a reserve listed, a hub added): every pair's routes are chosen again. */
  setHubs(hubs: readonly Address[]): void {
    this.hubs = distinct(hubs);
    this.choices.clear();
  }

  /**
   * The best route of each request (most amountOut; at equal output the cheaper in gas) among its pair's
   * chosen routes, or undefined when none quotes it (noRouteReason says why). The eth_calls are the
   * file's header's; none when every request is the same token in and out.
   */
  async quote(requests: readonly QuoteRequest[], blockNumber?: bigint): Promise<(SwapQuote | undefined)[]> {
    const swaps = requests.map((r) => ({ tokenIn: getAddress(r.tokenIn), tokenOut: getAddress(r.tokenOut), amountIn: r.amountIn }));
    this.noRoutes.clear();
    const routed = swaps.filter((r) => r.tokenIn !== r.tokenOut);
    await this.lookUpPools(routed, blockNumber);

    // The choices this call uses: kept ones that serve a request's amount, and new ones for the rest.
    const using = new Map<string, RouteChoice[]>();
    const unserved = new Map<string, { tokenIn: Address; tokenOut: Address; amounts: bigint[] }>();
    for (const r of routed) {
      const key = pairKey(r.tokenIn, r.tokenOut);
      const kept = this.keptChoice(key, r.amountIn, blockNumber);
      if (kept) {
        if (!using.get(key)?.includes(kept)) using.set(key, [...(using.get(key) ?? []), kept]);
        continue;
      }
      const entry = unserved.get(key) ?? { tokenIn: r.tokenIn, tokenOut: r.tokenOut, amounts: [] };
      entry.amounts.push(r.amountIn);
      unserved.set(key, entry);
    }
    const toChoose = [...unserved.values()].flatMap(({ tokenIn, tokenOut, amounts }) =>
      choiceAmounts(amounts, ROUTE_AMOUNT_FACTOR).map((at) => ({ tokenIn, tokenOut, at })),
    );
    const known = new Map<string, LegQuote | undefined>();
    const made = await this.chooseRoutes(toChoose, blockNumber, known);
    made.forEach((choice, i) => {
      const key = pairKey(toChoose[i]!.tokenIn, toChoose[i]!.tokenOut);
      using.set(key, [...(using.get(key) ?? []), choice]);
      this.keep(key, choice, blockNumber);
    });

    // Each request along its choice's routes: the quotes the choice did not already make.
    const choiceOf = (r: QuoteRequest) =>
      using.get(pairKey(r.tokenIn, r.tokenOut))!.find((c) => withinFactor(r.amountIn, c.at, ROUTE_AMOUNT_FACTOR))!;
    await this.quoteInto(
      known,
      routed.flatMap((r) => choiceOf(r).routes.map(({ path }) => ({ path, amountIn: r.amountIn }))),
      blockNumber,
    );

    return swaps.map((r) => {
      if (r.tokenIn === r.tokenOut) return { ...r, amountOut: r.amountIn, path: "0x", tokens: [r.tokenIn], fees: [], gasEstimate: 0n };
      const choice = choiceOf(r);
      const [best] = rankRoutes(
        choice.routes.map((route) => ({ route, quote: known.get(quoteKey(route.path, r.amountIn)) })),
        0n,
      );
      if (best !== undefined) {
        const { tokens, fees, path } = best.route;
        return { ...r, amountOut: best.quote.amountOut, path, tokens, fees, gasEstimate: best.quote.gasEstimate };
      }
      this.noRoutes.set(requestKey(r), choice.failure ?? this.routesFailed(r, choice, known));
      return undefined;
    });
  }

  /**
   * Why the last quote() found no route for `request`, as a short phrase for the keeper's log (`label`
   * names the tokens and formats the amount); undefined when it found one or was not asked for it.
   */
  noRouteReason(request: QuoteRequest, label?: TokenLabel): string | undefined {
    const r = { tokenIn: getAddress(request.tokenIn), tokenOut: getAddress(request.tokenOut), amountIn: request.amountIn };
    const why = this.noRoutes.get(requestKey(r));
    return why === undefined ? undefined : describeNoRoute(r.tokenIn, r.tokenOut, why, label);
  }

  /**
   * What each (path, amountIn) returns at `blockNumber`, along the path as given (no route choice):
   * one eth_call for all of them. Undefined where the quoter reverts (no liquidity for that amount).
   * For cumulative amounts on one path: a block's later swaps on pools its earlier ones moved.
   */
  async quotePaths(requests: readonly PathQuote[], blockNumber?: bigint): Promise<(bigint | undefined)[]> {
    return (await this.quoteMany(requests, blockNumber)).map((q) => q?.amountOut);
  }

  /** Whether a choice may still be used at `blockNumber` (made at a known block, at most ttl - 1 before). */
  private live(c: RouteChoice, blockNumber: bigint | undefined): boolean {
    return blockNumber !== undefined && c.block !== undefined && blockNumber >= c.block && blockNumber - c.block < this.ttl;
  }

  /** A kept choice for the pair that serves `amountIn` at `blockNumber`. */
  private keptChoice(key: string, amountIn: bigint, blockNumber: bigint | undefined): RouteChoice | undefined {
    return this.choices.get(key)?.find((c) => this.live(c, blockNumber) && withinFactor(amountIn, c.at, ROUTE_AMOUNT_FACTOR));
  }

  /** Keeps a choice made at a known block, dropping the pair's expired ones. */
  private keep(key: string, choice: RouteChoice, blockNumber: bigint | undefined): void {
    if (blockNumber === undefined) return;
    this.choices.set(key, [...(this.choices.get(key) ?? []).filter((c) => this.live(c, blockNumber)), choice]);
  }

  /** A request whose chosen routes all failed: the choice is dropped (chosen again next block), and why. */
  private routesFailed(r: QuoteRequest, choice: RouteChoice, known: ReadonlyMap<string, LegQuote | undefined>): NoRoute {
    const key = pairKey(r.tokenIn, r.tokenOut);
    const left = (this.choices.get(key) ?? []).filter((c) => c !== choice);
    if (left.length > 0) this.choices.set(key, left);
    else this.choices.delete(key);
    const quotes = choice.routes.map((route) => known.get(quoteKey(route.path, r.amountIn)));
    return {
      kind: "noQuote",
      amountIn: r.amountIn,
      reverted: quotes.every((q) => q === undefined),
      direct: choice.routes.filter((x) => x.fees.length === 1).map((x) => x.fees[0]!),
      via: choice.routes.filter((x) => x.fees.length === 2).map((x) => x.tokens[1]!),
    };
  }

  /**
   * The route choice of each (pair, amount): two eth_calls for all of them (none for a pair without
   * pools). Every quote it makes is added to `known` (quoteKey -> answer).
   */
  private async chooseRoutes(
    wanted: readonly { tokenIn: Address; tokenOut: Address; at: bigint }[],
    blockNumber: bigint | undefined,
    known: Map<string, LegQuote | undefined>,
  ): Promise<RouteChoice[]> {
    const hasPool = (a: Address, b: Address, fee: number) => this.pools.get(poolKey(a, b, fee)) === true;
    const pools: PairPools[] = wanted.map((w) => pairPools(w.tokenIn, w.tokenOut, this.hubs, this.feeTiers, hasPool));
    const answer = (route: QuotedRoute, amountIn: bigint) => known.get(quoteKey(route.path, amountIn));

    // Phase one: the direct pools, and tokenIn -> each intermediate at each tier.
    const direct = wanted.map((w, i) => pools[i]!.direct.map((fee) => route([w.tokenIn, w.tokenOut], [fee])));
    const firstLegs = wanted.map((w, i) =>
      pools[i]!.intermediates.flatMap(({ hub, first }) => first.map((fee) => ({ hub, fee, route: route([w.tokenIn, hub], [fee]) }))),
    );
    const atChoice = (w: { at: bigint }, routes: readonly QuotedRoute[]) => routes.map(({ path }) => ({ path, amountIn: w.at }));
    await this.quoteInto(
      known,
      wanted.flatMap((w, i) => atChoice(w, [...direct[i]!, ...firstLegs[i]!.map((l) => l.route)])),
      blockNumber,
    );

    // Phase two: the whole two-hop path from each intermediate's best first leg, at each tier of the second.
    const twoHops = wanted.map((w, i) => {
      const best = bestFirstLegs(firstLegs[i]!.map((l) => ({ hub: l.hub, fee: l.fee, quote: answer(l.route, w.at) })));
      return pools[i]!.intermediates.flatMap(({ hub, second }) => {
        const f1 = best.get(hub);
        return f1 === undefined ? [] : second.map((f2) => route([w.tokenIn, hub, w.tokenOut], [f1, f2]));
      });
    });
    await this.quoteInto(
      known,
      wanted.flatMap((w, i) => atChoice(w, twoHops[i]!)),
      blockNumber,
    );

    return wanted.map((w, i): RouteChoice => {
      const p = pools[i]!;
      if (p.direct.length === 0 && p.intermediates.length === 0) {
        return {
          at: w.at,
          block: blockNumber,
          routes: [],
          failure: { kind: "noPools", feeTiers: this.feeTiers, considered: p.considered },
        };
      }
      const candidates = [...direct[i]!, ...twoHops[i]!].map((route) => ({ route, quote: answer(route, w.at) }));
      const routes = rankRoutes(candidates, RUNNER_UP_BPS).map((c) => c.route);
      if (routes.length > 0) return { at: w.at, block: blockNumber, routes };
      const tried = [...direct[i]!, ...firstLegs[i]!.map((l) => l.route), ...twoHops[i]!].map((route) => answer(route, w.at));
      const failure: NoRoute = {
        kind: "noQuote",
        amountIn: w.at,
        reverted: tried.every((q) => q === undefined),
        direct: p.direct,
        via: p.intermediates.map((x) => x.hub),
      };
      return { at: w.at, block: blockNumber, routes: [], failure };
    });
  }

  /** Quotes the (path, amountIn) `known` does not hold yet (once each) and adds their answers to it. */
  private async quoteInto(known: Map<string, LegQuote | undefined>, wanted: readonly PathQuote[], blockNumber: bigint | undefined) {
    const fresh = new Map<string, PathQuote>();
    for (const q of wanted) {
      const key = quoteKey(q.path, q.amountIn);
      if (!known.has(key)) fresh.set(key, q);
    }
    const answers = await this.quoteMany([...fresh.values()], blockNumber);
    let i = 0;
    for (const key of fresh.keys()) known.set(key, answers[i++]);
  }

  /** QuoterV2.quoteExactInput of each (path, amountIn) through Multicall3, chunked; undefined where it reverted. */
  private async quoteMany(requests: readonly PathQuote[], blockNumber: bigint | undefined): Promise<(LegQuote | undefined)[]> {
    const calls: Call[] = requests.map((r) => ({
      target: this.options.quoter,
      allowFailure: true,
      callData: encodeFunctionData({ abi: quoterV2Abi, functionName: "quoteExactInput", args: [r.path, r.amountIn] }),
    }));
    const results = await this.aggregate(calls, QUOTES_PER_CALL, blockNumber);
    return results.map((result) => {
      if (!result.success) return undefined; // no liquidity in range, or a pool that cannot take amountIn
      const [amountOut, , , gasEstimate] = decodeFunctionResult({
        abi: quoterV2Abi,
        functionName: "quoteExactInput",
        data: result.returnData,
      });
      return { amountOut, gasEstimate };
    });
  }

  /** factory.getPool for every pair and fee tier the requests may use and the cache does not know. */
  private async lookUpPools(requests: readonly QuoteRequest[], blockNumber?: bigint): Promise<void> {
    const wanted = new Map<string, [Address, Address, number]>();
    const want = (a: Address, b: Address) => {
      if (a === b) return;
      for (const fee of this.feeTiers) {
        const key = poolKey(a, b, fee);
        if (!this.pools.has(key)) wanted.set(key, [a, b, fee]);
      }
    };
    const tokens = new Set<Address>();
    for (const r of requests) {
      want(r.tokenIn, r.tokenOut);
      tokens.add(r.tokenIn);
      tokens.add(r.tokenOut);
    }
    for (const token of tokens) for (const hub of this.hubs) want(token, hub);
    if (wanted.size === 0) return;
    const entries = [...wanted];
    const calls = entries.map(([, [a, b, fee]]) => ({
      target: this.options.factory,
      allowFailure: false,
      callData: encodeFunctionData({ abi: uniswapV3FactoryAbi, functionName: "getPool", args: [a, b, fee] }),
    }));
    const results = await this.aggregate(calls, POOL_LOOKUPS_PER_CALL, blockNumber);
    results.forEach((result, i) => {
      const pool = decodeFunctionResult({ abi: uniswapV3FactoryAbi, functionName: "getPool", data: result.returnData });
      this.pools.set(entries[i]![0], pool !== zeroAddress);
    });
  }

  /** Multicall3.aggregate3 through eth_call (the quoter's functions are not view), `perCall` calls a request. */
  private async aggregate(calls: readonly Call[], perCall: number, blockNumber?: bigint): Promise<Result[]> {
    if (calls.length === 0) return [];
    const chunks: Call[][] = [];
    for (let i = 0; i < calls.length; i += perCall) chunks.push(calls.slice(i, i + perCall));
    const answers = await Promise.all(
      chunks.map(async (chunk) => {
        this.requests++;
        const { data } = await this.client.call({
          to: MULTICALL3_ADDRESS,
          data: encodeFunctionData({ abi: multicall3Abi, functionName: "aggregate3", args: [chunk] }),
          ...(blockNumber === undefined ? {} : { blockNumber }),
        });
        if (data === undefined) throw new Error("Multicall3.aggregate3 returned nothing (no Multicall3 at its canonical address?)");
        return decodeFunctionResult({ abi: multicall3Abi, functionName: "aggregate3", data }) as readonly Result[];
      }),
    );
    return answers.flat();
  }
}

function distinct(tokens: readonly Address[]): Address[] {
  return [...new Set(tokens.map((t) => getAddress(t)))];
}
