// Swap quotes on Uniswap V3 for the flash-loan path: for each (collateral, debt, amountIn) of a block,
// the route that returns the most debt asset: a direct pool at any fee tier, or two hops through a hub
// token (the market's WETH / USD stablecoin). QuoterV2 is not `view` (it simulates the swap and
// reverts with the result), so it is called with eth_call, through Multicall3: the pools a block's
// routes need are looked up once (one eth_call, then cached), and all the block's quotes are one
// eth_call more (chunked in parallel only past QUOTES_PER_CALL).
import {
  decodeFunctionResult,
  encodeFunctionData,
  encodePacked,
  getAddress,
  zeroAddress,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { multicall3Abi } from "../../contracts-abi/sandbox/Multicall3.js";
import { quoterV2Abi, uniswapV3FactoryAbi } from "../../contracts-abi/uniswap/index.js";
import { MULTICALL3_ADDRESS } from "./multicall.js";

/** Uniswap V3's fee tiers (hundredths of a bip): 0.01%, 0.05%, 0.3%, 1%. */
export const FEE_TIERS = [100, 500, 3000, 10_000] as const;

/**
 * A quoted swap cost ~100-200k gas of eth_call each; anvil caps an eth_call at the block gas limit
 * (30M), geth at 50M. 60 quotes stay near 10M.
 */
export const QUOTES_PER_CALL = 60;

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
  /** tokens a two-hop route may pass through (the market's WETH and a USD stablecoin) */
  hubs: readonly Address[];
  feeTiers?: readonly number[];
}

interface Call {
  target: Address;
  allowFailure: boolean;
  callData: Hex;
}

type Result = { success: boolean; returnData: Hex };

const pairKey = (a: Address, b: Address, fee: number): string => {
  const [x, y] = a.toLowerCase() < b.toLowerCase() ? [a, b] : [b, a];
  return `${x.toLowerCase()}/${y.toLowerCase()}/${fee}`;
};

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

export class UniswapQuoter {
  /** pool existence by unordered pair and fee; pools are created rarely, a restart picks up new ones */
  private readonly pools = new Map<string, boolean>();
  private readonly feeTiers: readonly number[];
  private readonly hubs: Address[];
  /** eth_call requests sent, for tests and the per-block RPC count */
  requests = 0;

  constructor(
    private readonly client: PublicClient,
    private readonly options: UniswapQuoterOptions,
  ) {
    this.feeTiers = options.feeTiers ?? FEE_TIERS;
    this.hubs = options.hubs.map((h) => getAddress(h));
  }

  /**
   * The best route of each request (most amountOut; at equal output the cheaper in gas), or undefined
   * when no direct pool nor two-hop route through a hub quotes it. At most two eth_calls (one when
   * every pool needed is already known); none when every request is the same token in and out.
   */
  async quote(requests: readonly QuoteRequest[], blockNumber?: bigint): Promise<(SwapQuote | undefined)[]> {
    const swaps = requests.map((r) => ({ tokenIn: getAddress(r.tokenIn), tokenOut: getAddress(r.tokenOut), amountIn: r.amountIn }));
    await this.lookUpPools(swaps, blockNumber);
    const candidates = swaps.map((r) => (r.tokenIn === r.tokenOut ? [] : this.routes(r.tokenIn, r.tokenOut)));
    const calls: Call[] = [];
    const owner: { request: number; tokens: Address[]; fees: number[]; path: Hex }[] = [];
    candidates.forEach((routes, request) => {
      for (const { tokens, fees } of routes) {
        const path = encodeSwapPath(tokens, fees);
        owner.push({ request, tokens, fees, path });
        const callData = encodeFunctionData({ abi: quoterV2Abi, functionName: "quoteExactInput", args: [path, swaps[request]!.amountIn] });
        calls.push({ target: this.options.quoter, allowFailure: true, callData });
      }
    });
    const results = await this.aggregate(calls, QUOTES_PER_CALL, blockNumber);
    const best: (SwapQuote | undefined)[] = swaps.map((r) =>
      r.tokenIn === r.tokenOut ? { ...r, amountOut: r.amountIn, path: "0x", tokens: [r.tokenIn], fees: [], gasEstimate: 0n } : undefined,
    );
    results.forEach((result, i) => {
      if (!result.success) return; // no liquidity in range, or a pool that cannot take amountIn
      const { request, tokens, fees, path } = owner[i]!;
      const decoded = decodeFunctionResult({ abi: quoterV2Abi, functionName: "quoteExactInput", data: result.returnData });
      const [amountOut, , , gasEstimate] = decoded;
      const r = swaps[request]!;
      const current = best[request];
      if (amountOut === 0n) return;
      const better =
        current === undefined || amountOut > current.amountOut || (amountOut === current.amountOut && gasEstimate < current.gasEstimate);
      if (better) {
        best[request] = { tokenIn: r.tokenIn, tokenOut: r.tokenOut, amountIn: r.amountIn, amountOut, path, tokens, fees, gasEstimate };
      }
    });
    return best;
  }

  /**
   * What each (path, amountIn) returns at `blockNumber`, along the path as given (no route choice):
   * one eth_call for all of them. Undefined where the quoter reverts (no liquidity for that amount).
   * For cumulative amounts on one path: a block's later swaps on pools its earlier ones moved.
   */
  async quotePaths(requests: readonly { path: Hex; amountIn: bigint }[], blockNumber?: bigint): Promise<(bigint | undefined)[]> {
    const calls: Call[] = requests.map((r) => ({
      target: this.options.quoter,
      allowFailure: true,
      callData: encodeFunctionData({ abi: quoterV2Abi, functionName: "quoteExactInput", args: [r.path, r.amountIn] }),
    }));
    const results = await this.aggregate(calls, QUOTES_PER_CALL, blockNumber);
    return results.map((result) => {
      if (!result.success) return undefined;
      const [amountOut] = decodeFunctionResult({ abi: quoterV2Abi, functionName: "quoteExactInput", data: result.returnData });
      return amountOut;
    });
  }

  /** Every route whose pools exist: direct at each fee tier, and in -> hub -> out at each pair of tiers. */
  private routes(tokenIn: Address, tokenOut: Address): { tokens: Address[]; fees: number[] }[] {
    const routes: { tokens: Address[]; fees: number[] }[] = [];
    for (const fee of this.feeTiers) {
      if (this.pools.get(pairKey(tokenIn, tokenOut, fee))) routes.push({ tokens: [tokenIn, tokenOut], fees: [fee] });
    }
    for (const hub of this.hubs) {
      if (hub === tokenIn || hub === tokenOut) continue;
      for (const f1 of this.feeTiers) {
        if (!this.pools.get(pairKey(tokenIn, hub, f1))) continue;
        for (const f2 of this.feeTiers) {
          if (this.pools.get(pairKey(hub, tokenOut, f2))) routes.push({ tokens: [tokenIn, hub, tokenOut], fees: [f1, f2] });
        }
      }
    }
    return routes;
  }

  /** factory.getPool for every pair and fee tier the requests may use and the cache does not know: one eth_call. */
  private async lookUpPools(requests: readonly QuoteRequest[], blockNumber?: bigint): Promise<void> {
    const wanted = new Map<string, [Address, Address, number]>();
    const want = (a: Address, b: Address) => {
      if (a === b) return;
      for (const fee of this.feeTiers) {
        const key = pairKey(a, b, fee);
        if (!this.pools.has(key)) wanted.set(key, [a, b, fee]);
      }
    };
    for (const r of requests) {
      if (r.tokenIn === r.tokenOut) continue;
      want(r.tokenIn, r.tokenOut);
      for (const hub of this.hubs) {
        want(r.tokenIn, hub);
        want(hub, r.tokenOut);
      }
    }
    if (wanted.size === 0) return;
    const entries = [...wanted];
    const calls = entries.map(([, [a, b, fee]]) => ({
      target: this.options.factory,
      allowFailure: false,
      callData: encodeFunctionData({ abi: uniswapV3FactoryAbi, functionName: "getPool", args: [a, b, fee] }),
    }));
    const results = await this.aggregate(calls, Infinity, blockNumber);
    results.forEach((result, i) => {
      const pool = decodeFunctionResult({ abi: uniswapV3FactoryAbi, functionName: "getPool", data: result.returnData });
      this.pools.set(entries[i]![0], pool !== zeroAddress);
    });
  }

  /** Multicall3.aggregate3 through eth_call (the quoter's functions are not view), `perCall` calls a request. */
  private async aggregate(calls: readonly Call[], perCall: number, blockNumber?: bigint): Promise<Result[]> {
    if (calls.length === 0) return [];
    const chunks: Call[][] = [];
    for (let i = 0; i < calls.length; i += Number.isFinite(perCall) ? perCall : calls.length) {
      chunks.push(calls.slice(i, Number.isFinite(perCall) ? i + perCall : calls.length));
    }
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
