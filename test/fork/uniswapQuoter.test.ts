// The quote module against the sandbox's Uniswap V3: the route it picks is the one the pools have
// (direct when a pool exists, two hops through an intermediate otherwise) and the one that returns the
// most, the amount it quotes is what SwapRouter.exactInput along its path pays out in the same state,
// and a block's quotes cost a bounded number of eth_calls: the pools and the route choice once per
// pair, then one a block (chunked past QUOTES_PER_CALL). Two sandboxes: the default pools with the
// hand-kept hubs, and an Aave 3.6 market with a sparse pool list and the market's reserves as hubs.
import { createPublicClient, encodeFunctionData, http, maxUint256, type Address, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintableErc20Abi, poolAbi } from "../../contracts-abi/aave/index.js";
import { swapRouterAbi } from "../../contracts-abi/uniswap/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { encodeSwapPath, UniswapQuoter } from "../../src/chain/uniswapQuoter.js";
import type { DeployedAsset } from "../../src/sandbox/deployMarket.js";
import { startSandbox, type Sandbox, type SandboxOptions } from "../../src/sandbox/sandbox.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import type { UniswapDeployment } from "../../src/sandbox/uniswap.js";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy.js";

/** anvil dev account #5: unlocked, not used by the sandbox. */
const TRADER: Address = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";

/** A sandbox with its DEX, reached through a counting proxy. */
interface Chain {
  sandbox: Sandbox;
  proxy: RpcProxy;
  client: PublicClient;
  dex: UniswapDeployment;
  asset(symbol: string): DeployedAsset;
  /** `usd` dollars of `symbol` at the sandbox's prices */
  usdOf(symbol: string, usd: bigint): bigint;
}

/** Starts the sandbox before the describe's tests and stops it after them. */
function useSandbox(options: SandboxOptions): Chain {
  const c = {
    asset: (symbol: string) => c.sandbox.market.assets.find((a) => a.symbol === symbol)!,
    usdOf: (symbol: string, usd: bigint) => (usd * 10n ** 8n * 10n ** BigInt(c.asset(symbol).decimals)) / c.asset(symbol).spec.priceUsd,
  } as Chain;
  beforeAll(async () => {
    c.sandbox = await startSandbox(options);
    c.dex = c.sandbox.market.uniswap!;
    c.proxy = await startRpcProxy(c.sandbox.anvil.rpcUrl);
    c.client = createPublicClient({ transport: http(c.proxy.url), cacheTime: 0 });
  }, 120_000);
  afterAll(async () => {
    await c.proxy?.close();
    await c.sandbox?.stop();
  });
  return c;
}

/** Swaps `amountIn` along `path` from TRADER and returns what it received; the chain is reverted afterwards. */
async function swapOnChain(c: Chain, tokenIn: Address, tokenOut: Address, path: `0x${string}`, amountIn: bigint): Promise<bigint> {
  const url = c.sandbox.anvil.rpcUrl;
  const snapshot = await rpc<string>(url, "evm_snapshot", []);
  try {
    const send = (from: Address, to: Address, data: `0x${string}`, what: string) => sendUnlocked(url, from, { to, data }, what);
    const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [TRADER, amountIn] });
    await send(c.sandbox.market.deployer, tokenIn, mint, "mint");
    const approve = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [c.dex.swapRouter, amountIn] });
    await send(TRADER, tokenIn, approve, "approve");
    const balance = () => c.client.readContract({ address: tokenOut, abi: mintableErc20Abi, functionName: "balanceOf", args: [TRADER] });
    const before = await balance();
    const data = encodeFunctionData({
      abi: swapRouterAbi,
      functionName: "exactInput",
      args: [{ path, recipient: TRADER, deadline: maxUint256, amountIn, amountOutMinimum: 0n }],
    });
    const receipt = await send(TRADER, c.dex.swapRouter, data, "swap");
    expect(receipt.status).toBe("success");
    return (await balance()) - before;
  } finally {
    await rpc(url, "evm_revert", [snapshot]);
  }
}

describe("UniswapQuoter on the sandbox's pools (every asset against WETH and USDC, hubs WETH and USDC)", () => {
  const c = useSandbox({ borrowers: 1, seed: 3, aave: "3.0" });
  let quoter: UniswapQuoter;
  beforeAll(() => {
    quoter = new UniswapQuoter(c.client, {
      factory: c.dex.factory,
      quoter: c.dex.quoterV2,
      hubs: [c.asset("WETH").address, c.asset("USDC").address],
    });
  });

  it("quotes a pair with a pool directly, and the router pays exactly the quote along its path", async () => {
    const amountIn = c.usdOf("WETH", 250_000n);
    const [q] = await quoter.quote([{ tokenIn: c.asset("WETH").address, tokenOut: c.asset("USDC").address, amountIn }]);
    const pool = c.dex.pools.find((p) => [p.symbol0, p.symbol1].sort().join("/") === "USDC/WETH")!;
    expect(q!.tokens).toEqual([c.asset("WETH").address, c.asset("USDC").address]);
    expect(q!.fees).toEqual([pool.fee]);
    expect(q!.path).toBe(encodeSwapPath(q!.tokens, q!.fees));
    expect(q!.path.length).toBe(2 + 2 * 43); // 20 + 3 + 20 bytes
    // about $250k less the 0.05% fee and some price impact
    expect(q!.amountOut).toBeLessThan(c.usdOf("USDC", 250_000n));
    expect(q!.amountOut).toBeGreaterThan(c.usdOf("USDC", 248_000n));
    expect(q!.gasEstimate).toBeGreaterThan(50_000n);
    expect(q!.gasEstimate).toBeLessThan(300_000n);
    expect(await swapOnChain(c, c.asset("WETH").address, c.asset("USDC").address, q!.path, amountIn)).toBe(q!.amountOut);
  });

  it("routes a pair without a pool (WBTC -> DAI) in two hops through a hub, as the router executes it", async () => {
    expect(c.dex.pools.some((p) => [p.symbol0, p.symbol1].sort().join("/") === "DAI/WBTC")).toBe(false);
    const amountIn = c.usdOf("WBTC", 100_000n);
    const [q] = await quoter.quote([{ tokenIn: c.asset("WBTC").address, tokenOut: c.asset("DAI").address, amountIn }]);
    expect(q!.tokens).toHaveLength(3);
    expect([c.asset("WETH").address, c.asset("USDC").address]).toContain(q!.tokens[1]);
    expect(q!.path.length).toBe(2 + 2 * 66); // 20 + 3 + 20 + 3 + 20 bytes
    expect(q!.amountOut).toBeGreaterThan(c.usdOf("DAI", 99_000n));
    expect(q!.amountOut).toBeLessThan(c.usdOf("DAI", 100_000n));
    expect(await swapOnChain(c, c.asset("WBTC").address, c.asset("DAI").address, q!.path, amountIn)).toBe(q!.amountOut);
    // the other hub's route pays less (or the same for more gas): the quoter took the best
    const otherHub = q!.tokens[1] === c.asset("WETH").address ? c.asset("USDC").address : c.asset("WETH").address;
    const fee = (a: string, b: Address) =>
      c.dex.pools.find((p) => [p.token0, p.token1].includes(c.asset(a).address) && [p.token0, p.token1].includes(b))!.fee;
    const otherPath = encodeSwapPath(
      [c.asset("WBTC").address, otherHub, c.asset("DAI").address],
      [fee("WBTC", otherHub), fee("DAI", otherHub)],
    );
    expect(await swapOnChain(c, c.asset("WBTC").address, c.asset("DAI").address, otherPath, amountIn)).toBeLessThanOrEqual(q!.amountOut);
  });

  it("quotePaths: cumulative amounts along a path in one eth_call; the difference is what a second swap gets", async () => {
    const [weth, usdc] = [c.asset("WETH").address, c.asset("USDC").address];
    const [a1, a2] = [c.usdOf("WETH", 2_000_000n), c.usdOf("WETH", 3_000_000n)];
    const [q] = await quoter.quote([{ tokenIn: weth, tokenOut: usdc, amountIn: a1 }]);
    c.proxy.reset();
    const [out1, out12] = await quoter.quotePaths([
      { path: q!.path, amountIn: a1 },
      { path: q!.path, amountIn: a1 + a2 },
    ]);
    expect(c.proxy.total()).toBe(1);
    expect(out1).toBe(q!.amountOut);
    // Both swaps in a row, from one trader, then the chain goes back.
    const url = c.sandbox.anvil.rpcUrl;
    const snapshot = await rpc<string>(url, "evm_snapshot", []);
    try {
      const send = (from: Address, to: Address, data: `0x${string}`, what: string) => sendUnlocked(url, from, { to, data }, what);
      const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [TRADER, a1 + a2] });
      await send(c.sandbox.market.deployer, weth, mint, "mint");
      const approve = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [c.dex.swapRouter, a1 + a2] });
      await send(TRADER, weth, approve, "approve");
      const balance = () => c.client.readContract({ address: usdc, abi: mintableErc20Abi, functionName: "balanceOf", args: [TRADER] });
      const received: bigint[] = [];
      for (const amountIn of [a1, a2]) {
        const before = await balance();
        const data = encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInput",
          args: [{ path: q!.path, recipient: TRADER, deadline: maxUint256, amountIn, amountOutMinimum: 0n }],
        });
        expect((await send(TRADER, c.dex.swapRouter, data, "swap")).status).toBe("success");
        received.push((await balance()) - before);
      }
      expect(received[0]).toBe(out1);
      // The second swap's output is the marginal quote, to a unit of rounding (two swaps round twice).
      const marginal = out12! - out1!;
      expect(received[1]! - marginal).toBeGreaterThanOrEqual(-1n);
      expect(received[1]! - marginal).toBeLessThanOrEqual(1n);
      // ...and clearly less than the same amount quoted alone: the first swap moved the pool.
      const [alone] = await quoter.quotePaths([{ path: q!.path, amountIn: a2 }], (await c.client.getBlockNumber()) - 2n);
      expect(alone! - received[1]!).toBeGreaterThan(0n);
    } finally {
      await rpc(url, "evm_revert", [snapshot]);
    }
  });

  it("needs no swap when collateral and debt are one asset: empty path, amountOut = amountIn, no request", async () => {
    c.proxy.reset();
    const amountIn = c.usdOf("USDC", 1_000n);
    const [q] = await quoter.quote([{ tokenIn: c.asset("USDC").address, tokenOut: c.asset("USDC").address, amountIn }]);
    expect(q).toEqual({
      tokenIn: c.asset("USDC").address,
      tokenOut: c.asset("USDC").address,
      amountIn,
      amountOut: amountIn,
      path: "0x",
      tokens: [c.asset("USDC").address],
      fees: [],
      gasEstimate: 0n,
    });
    expect(c.proxy.total()).toBe(0);
  });

  it("quotes a block's new pairs in three eth_calls (pools, two phases of route choice), then in one, as one-by-one quotes", async () => {
    const hubs = [c.asset("WETH").address, c.asset("USDC").address];
    const fresh = new UniswapQuoter(c.client, { factory: c.dex.factory, quoter: c.dex.quoterV2, hubs });
    const requests = [
      ["WETH", "DAI"],
      ["WBTC", "USDT"],
      ["LINK", "USDC"],
      ["USDT", "WETH"],
      ["DAI", "LINK"],
      ["WETH", "WETH"],
    ].map(([a, b]) => ({ tokenIn: c.asset(a!).address, tokenOut: c.asset(b!).address, amountIn: c.usdOf(a!, 80_000n) }));
    const block = await c.client.getBlockNumber();
    c.proxy.reset();
    const batch = await fresh.quote(requests, block);
    // The choice quoted each request at its amount: no fourth call.
    expect(c.proxy.counts.get("eth_call")).toBe(3);
    expect(c.proxy.total()).toBe(3);
    expect(fresh.requests).toBe(3);
    c.proxy.reset();
    const again = await fresh.quote(requests, block);
    expect(c.proxy.total()).toBe(1);
    // Quoted in another batch, so only the gas estimates may differ (warm slots).
    const withoutGas = (qs: typeof batch) => qs.map((q) => ({ ...q!, gasEstimate: undefined }));
    expect(withoutGas(again)).toEqual(withoutGas(batch));
    for (const [i, r] of requests.entries()) {
      // Alone, a quote finds every slot cold (EIP-2929); in the batch, pools and tokens an earlier quote
      // touched are warm, so only the gas estimate may differ, and by little.
      const { gasEstimate, ...alone } = (await quoter.quote([r], block))[0]!;
      const { gasEstimate: batchedGas, ...batched } = batch[i]!;
      expect(alone).toEqual(batched);
      expect(batchedGas).toBeLessThanOrEqual(gasEstimate);
      expect(batchedGas * 100n).toBeGreaterThanOrEqual(gasEstimate * 85n);
    }
    for (const q of batch) expect(q!.amountOut).toBeGreaterThan(0n);
  });

  it("returns undefined for a token no pool trades, and says why", async () => {
    const stranger: Address = "0x000000000000000000000000000000000000bEEF";
    const request = { tokenIn: stranger, tokenOut: c.asset("USDC").address, amountIn: 10n ** 18n };
    const [q] = await quoter.quote([request]);
    expect(q).toBeUndefined();
    expect(quoter.noRouteReason(request)).toBe(
      `no Uniswap V3 pool between ${stranger} and ${c.asset("USDC").address} at 0.01/0.05/0.3/1%, nor through any of 1 intermediate (none has pools to both)`,
    );
  });
});

/**
 * A market like those found in the field: a few pools, most tokens paired with one or two majors only
 * (LINK with USDC at 1% and WETH at 0.3%, WBTC with WETH alone), weETH with none.
 */
const SPARSE_PAIRS = [
  { a: "LINK", b: "USDC", fee: 10_000 },
  { a: "LINK", b: "WETH", fee: 3000 },
  { a: "DAI", b: "USDC", fee: 100 },
  { a: "DAI", b: "WETH", fee: 3000 },
  { a: "WETH", b: "USDC", fee: 500 },
  { a: "WBTC", b: "WETH", fee: 500 },
  { a: "USDT", b: "USDC", fee: 100 },
  { a: "wstETH", b: "WETH", fee: 100 },
];

describe("UniswapQuoter on an Aave 3.6 market with a sparse pool list, the market's reserves as intermediates", () => {
  const c = useSandbox({ borrowers: 0, aave: "3.6", dexPairs: SPARSE_PAIRS });
  let reserves: Address[];
  const newQuoter = () => new UniswapQuoter(c.client, { factory: c.dex.factory, quoter: c.dex.quoterV2, hubs: reserves });
  const label = (token: Address) => c.sandbox.market.assets.find((a) => a.address === token);
  const request = (a: string, b: string, usd: bigint) => ({
    tokenIn: c.asset(a).address,
    tokenOut: c.asset(b).address,
    amountIn: c.usdOf(a, usd),
  });
  /** Every route the pools allow between two symbols: direct, and two hops through any other asset. */
  const allPaths = (a: string, b: string) => {
    const pools = (x: string, y: string) =>
      c.dex.pools.filter((p) => [p.symbol0, p.symbol1].sort().join("/") === [x, y].sort().join("/")).map((p) => p.fee);
    const paths = pools(a, b).map((fee) => encodeSwapPath([c.asset(a).address, c.asset(b).address], [fee]));
    for (const hub of c.sandbox.market.assets.map((x) => x.symbol).filter((x) => x !== a && x !== b)) {
      for (const f1 of pools(a, hub)) {
        for (const f2 of pools(hub, b))
          paths.push(encodeSwapPath([c.asset(a).address, c.asset(hub).address, c.asset(b).address], [f1, f2]));
      }
    }
    return paths;
  };

  beforeAll(async () => {
    reserves = [...(await c.client.readContract({ address: c.sandbox.market.pool, abi: poolAbi, functionName: "getReservesList" }))];
  });

  it("finds LINK -> DAI and LINK -> WBTC in two hops, the route that returns the most, as the router pays it", async () => {
    expect(SPARSE_PAIRS.some((p) => [p.a, p.b].sort().join("/") === "DAI/LINK")).toBe(false);
    const quoter = newQuoter();
    const block = await c.client.getBlockNumber();
    const [toDai, toWbtc] = await quoter.quote([request("LINK", "DAI", 100_000n), request("LINK", "WBTC", 100_000n)], block);
    // LINK -> WETH -> DAI pays 0.3% twice, LINK -> USDC -> DAI 1% and 0.01%: WETH's is the better one.
    expect(toDai!.tokens).toEqual([c.asset("LINK").address, c.asset("WETH").address, c.asset("DAI").address]);
    expect(toDai!.fees).toEqual([3000, 3000]);
    expect(toWbtc!.tokens).toEqual([c.asset("LINK").address, c.asset("WETH").address, c.asset("WBTC").address]);
    expect(toWbtc!.fees).toEqual([3000, 500]);
    for (const [q, a, b] of [
      [toDai!, "LINK", "DAI"],
      [toWbtc!, "LINK", "WBTC"],
    ] as const) {
      const paths = allPaths(a, b);
      const outs = await quoter.quotePaths(
        paths.map((path) => ({ path, amountIn: q.amountIn })),
        block,
      );
      expect(q.amountOut).toBe(outs.reduce((m, x) => (x !== undefined && x > m! ? x : m), 0n));
      expect(await swapOnChain(c, q.tokenIn, q.tokenOut, q.path, q.amountIn)).toBe(q.amountOut);
    }
    expect(allPaths("LINK", "DAI")).toHaveLength(2);
    // about $100k less the two fees (0.6%) and some price impact (~0.1% a pool)
    expect(toDai!.amountOut).toBeGreaterThan(c.usdOf("DAI", 99_100n));
    expect(toDai!.amountOut).toBeLessThan(c.usdOf("DAI", 99_400n));
  });

  it("says why a pair has no route: no pools, or pools that cannot take the amount", async () => {
    const quoter = newQuoter();
    const none = request("weETH", "DAI", 10_000n);
    const huge = { ...request("LINK", "DAI", 0n), amountIn: 2n ** 255n };
    const fine = request("DAI", "LINK", 10_000n);
    const [q1, q2, q3] = await quoter.quote([none, huge, fine], await c.client.getBlockNumber());
    expect(q1).toBeUndefined();
    expect(q2).toBeUndefined();
    expect(q3!.tokens).toHaveLength(3);
    expect(quoter.noRouteReason(none, label)).toBe(
      "no Uniswap V3 pool between weETH and DAI at 0.01/0.05/0.3/1%, nor through any of 6 intermediates (none has pools to both)",
    );
    // QuoterV2 casts the amount to int256: every route reverts.
    expect(quoter.noRouteReason(huge, label)).toMatch(
      /^the pools cannot take 57,896,044,618,658,097,711,785,492,504,343,953,926,634,992,332,820,282,019,728\.79\d* LINK \(via WETH, USDC\)$/,
    );
    expect(quoter.noRouteReason(fine, label)).toBeUndefined();
  });

  it("quotes 50 requests over 5 pairs in 4 eth_calls when new, then 1 a block; a choice is made again after its blocks, or for an amount far off", async () => {
    const quoter = newQuoter();
    const pairs = [
      ["LINK", "DAI"],
      ["LINK", "WBTC"],
      ["WBTC", "DAI"],
      ["USDT", "WETH"],
      ["wstETH", "USDC"],
    ] as const;
    // $10k to $91k per pair: three route choices each (a choice serves amounts within a factor 2).
    const requests = (scale: bigint) =>
      pairs.flatMap(([a, b]) => Array.from({ length: 10 }, (_, i) => request(a, b, ((10_000n + 9_000n * BigInt(i)) * scale) / 100n)));
    const check = async (quotes: Awaited<ReturnType<UniswapQuoter["quote"]>>, asked: ReturnType<typeof requests>, block: bigint) => {
      // Every request got the most any route pays for its amount.
      const alternatives = asked.map((r) => {
        const [a, b] = [label(r.tokenIn)!.symbol, label(r.tokenOut)!.symbol];
        return allPaths(a, b).map((path) => ({ path, amountIn: r.amountIn }));
      });
      const outs = await quoter.quotePaths(alternatives.flat(), block);
      let k = 0;
      asked.forEach((r, i) => {
        const mine = outs.slice(k, k + alternatives[i]!.length);
        k += alternatives[i]!.length;
        expect(quotes[i]!.amountOut, `${label(r.tokenIn)!.symbol} -> ${label(r.tokenOut)!.symbol}`).toBe(
          mine.reduce((m, x) => (x !== undefined && x > m! ? x : m), 0n),
        );
      });
    };

    const block = await c.client.getBlockNumber();
    c.proxy.reset();
    const first = await quoter.quote(requests(100n), block);
    const firstCalls = c.proxy.total();
    // the pools (1), the two phases of the route choice for the 15 (pair, amount) choices (2), the quotes (1)
    expect(firstCalls).toBe(4);
    expect(c.proxy.counts.get("eth_call")).toBe(4);
    expect(quoter.requests).toBe(4);
    await check(first, requests(100n), block);

    await rpc(c.sandbox.anvil.rpcUrl, "evm_mine", []);
    c.proxy.reset();
    const next = await quoter.quote(requests(101n), block + 1n);
    const nextCalls = c.proxy.total();
    expect(nextCalls).toBe(1);
    await check(next, requests(101n), block + 1n);

    // An amount 3x the largest asks for a new choice (two calls) besides its quotes.
    c.proxy.reset();
    await quoter.quote([request("LINK", "DAI", 300_000n)], block + 1n);
    expect(c.proxy.total()).toBe(2);
    // 20 blocks later every choice is made again: the two phases, the quotes; the pools are known.
    await rpc(c.sandbox.anvil.rpcUrl, "anvil_mine", ["0x14"]);
    c.proxy.reset();
    await quoter.quote(requests(100n), block + 21n);
    const expiredCalls = c.proxy.total();
    expect(expiredCalls).toBe(3);
    console.log(
      `50 quotes over 5 pairs: ${firstCalls} eth_calls new, ${nextCalls} the next block, ${expiredCalls} once the choices expired`,
    );
  });
});
