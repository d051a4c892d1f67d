// The quote module against the sandbox's Uniswap V3: the route it picks is the one the pools have
// (direct when a pool exists, two hops through WETH or USDC otherwise), the amount it quotes is what
// SwapRouter.exactInput along its path pays out in the same state, and a block's quotes cost at most
// two eth_calls (one once the pools are known).
import { createPublicClient, encodeFunctionData, http, maxUint256, type Address, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import { swapRouterAbi } from "../../contracts-abi/uniswap/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { encodeSwapPath, UniswapQuoter } from "../../src/chain/uniswapQuoter.js";
import type { DeployedAsset } from "../../src/sandbox/deployMarket.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import type { UniswapDeployment } from "../../src/sandbox/uniswap.js";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy.js";

/** anvil dev account #5: unlocked, not used by the sandbox. */
const TRADER: Address = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc";

let sandbox: Sandbox;
let proxy: RpcProxy;
let client: PublicClient;
let dex: UniswapDeployment;
let quoter: UniswapQuoter;
const asset = (symbol: string): DeployedAsset => sandbox.market.assets.find((a) => a.symbol === symbol)!;
/** `usd` dollars of `symbol` at the sandbox's prices */
const usdOf = (symbol: string, usd: bigint) => (usd * 10n ** 8n * 10n ** BigInt(asset(symbol).decimals)) / asset(symbol).spec.priceUsd;

beforeAll(async () => {
  sandbox = await startSandbox({ borrowers: 1, seed: 3, aave: "3.0" });
  dex = sandbox.market.uniswap!;
  proxy = await startRpcProxy(sandbox.anvil.rpcUrl);
  client = createPublicClient({ transport: http(proxy.url), cacheTime: 0 });
  quoter = new UniswapQuoter(client, { factory: dex.factory, quoter: dex.quoterV2, hubs: [asset("WETH").address, asset("USDC").address] });
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await sandbox?.stop();
});

/** Swaps `amountIn` along `path` from TRADER and returns what it received; the chain is reverted afterwards. */
async function swapOnChain(tokenIn: Address, tokenOut: Address, path: `0x${string}`, amountIn: bigint): Promise<bigint> {
  const url = sandbox.anvil.rpcUrl;
  const snapshot = await rpc<string>(url, "evm_snapshot", []);
  try {
    const send = (from: Address, to: Address, data: `0x${string}`, what: string) => sendUnlocked(url, from, { to, data }, what);
    const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [TRADER, amountIn] });
    await send(sandbox.market.deployer, tokenIn, mint, "mint");
    const approve = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [dex.swapRouter, amountIn] });
    await send(TRADER, tokenIn, approve, "approve");
    const balance = () => client.readContract({ address: tokenOut, abi: mintableErc20Abi, functionName: "balanceOf", args: [TRADER] });
    const before = await balance();
    const data = encodeFunctionData({
      abi: swapRouterAbi,
      functionName: "exactInput",
      args: [{ path, recipient: TRADER, deadline: maxUint256, amountIn, amountOutMinimum: 0n }],
    });
    const receipt = await send(TRADER, dex.swapRouter, data, "swap");
    expect(receipt.status).toBe("success");
    return (await balance()) - before;
  } finally {
    await rpc(url, "evm_revert", [snapshot]);
  }
}

describe("UniswapQuoter on the sandbox's pools", () => {
  it("quotes a pair with a pool directly, and the router pays exactly the quote along its path", async () => {
    const amountIn = usdOf("WETH", 250_000n);
    const [q] = await quoter.quote([{ tokenIn: asset("WETH").address, tokenOut: asset("USDC").address, amountIn }]);
    const pool = dex.pools.find((p) => [p.symbol0, p.symbol1].sort().join("/") === "USDC/WETH")!;
    expect(q!.tokens).toEqual([asset("WETH").address, asset("USDC").address]);
    expect(q!.fees).toEqual([pool.fee]);
    expect(q!.path).toBe(encodeSwapPath(q!.tokens, q!.fees));
    expect(q!.path.length).toBe(2 + 2 * 43); // 20 + 3 + 20 bytes
    // about $250k less the 0.05% fee and some price impact
    expect(q!.amountOut).toBeLessThan(usdOf("USDC", 250_000n));
    expect(q!.amountOut).toBeGreaterThan(usdOf("USDC", 248_000n));
    expect(q!.gasEstimate).toBeGreaterThan(50_000n);
    expect(q!.gasEstimate).toBeLessThan(300_000n);
    expect(await swapOnChain(asset("WETH").address, asset("USDC").address, q!.path, amountIn)).toBe(q!.amountOut);
  });

  it("routes a pair without a pool (WBTC -> DAI) in two hops through a hub, as the router executes it", async () => {
    expect(dex.pools.some((p) => [p.symbol0, p.symbol1].sort().join("/") === "DAI/WBTC")).toBe(false);
    const amountIn = usdOf("WBTC", 100_000n);
    const [q] = await quoter.quote([{ tokenIn: asset("WBTC").address, tokenOut: asset("DAI").address, amountIn }]);
    expect(q!.tokens).toHaveLength(3);
    expect([asset("WETH").address, asset("USDC").address]).toContain(q!.tokens[1]);
    expect(q!.path.length).toBe(2 + 2 * 66); // 20 + 3 + 20 + 3 + 20 bytes
    expect(q!.amountOut).toBeGreaterThan(usdOf("DAI", 99_000n));
    expect(q!.amountOut).toBeLessThan(usdOf("DAI", 100_000n));
    expect(await swapOnChain(asset("WBTC").address, asset("DAI").address, q!.path, amountIn)).toBe(q!.amountOut);
    // the other hub's route pays less (or the same for more gas): the quoter took the best
    const otherHub = q!.tokens[1] === asset("WETH").address ? asset("USDC").address : asset("WETH").address;
    const fee = (a: string, b: Address) =>
      dex.pools.find((p) => [p.token0, p.token1].includes(asset(a).address) && [p.token0, p.token1].includes(b))!.fee;
    const otherPath = encodeSwapPath(
      [asset("WBTC").address, otherHub, asset("DAI").address],
      [fee("WBTC", otherHub), fee("DAI", otherHub)],
    );
    expect(await swapOnChain(asset("WBTC").address, asset("DAI").address, otherPath, amountIn)).toBeLessThanOrEqual(q!.amountOut);
  });

  it("quotePaths: cumulative amounts along a path in one eth_call; the difference is what a second swap gets", async () => {
    const [weth, usdc] = [asset("WETH").address, asset("USDC").address];
    const [a1, a2] = [usdOf("WETH", 2_000_000n), usdOf("WETH", 3_000_000n)];
    const [q] = await quoter.quote([{ tokenIn: weth, tokenOut: usdc, amountIn: a1 }]);
    proxy.reset();
    const [out1, out12] = await quoter.quotePaths([
      { path: q!.path, amountIn: a1 },
      { path: q!.path, amountIn: a1 + a2 },
    ]);
    expect(proxy.total()).toBe(1);
    expect(out1).toBe(q!.amountOut);
    // Both swaps in a row, from one trader, then the chain goes back.
    const url = sandbox.anvil.rpcUrl;
    const snapshot = await rpc<string>(url, "evm_snapshot", []);
    try {
      const send = (from: Address, to: Address, data: `0x${string}`, what: string) => sendUnlocked(url, from, { to, data }, what);
      const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [TRADER, a1 + a2] });
      await send(sandbox.market.deployer, weth, mint, "mint");
      const approve = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [dex.swapRouter, a1 + a2] });
      await send(TRADER, weth, approve, "approve");
      const balance = () => client.readContract({ address: usdc, abi: mintableErc20Abi, functionName: "balanceOf", args: [TRADER] });
      const received: bigint[] = [];
      for (const amountIn of [a1, a2]) {
        const before = await balance();
        const data = encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInput",
          args: [{ path: q!.path, recipient: TRADER, deadline: maxUint256, amountIn, amountOutMinimum: 0n }],
        });
        expect((await send(TRADER, dex.swapRouter, data, "swap")).status).toBe("success");
        received.push((await balance()) - before);
      }
      expect(received[0]).toBe(out1);
      // The second swap's output is the marginal quote, to a unit of rounding (two swaps round twice).
      const marginal = out12! - out1!;
      expect(received[1]! - marginal).toBeGreaterThanOrEqual(-1n);
      expect(received[1]! - marginal).toBeLessThanOrEqual(1n);
      // ...and clearly less than the same amount quoted alone: the first swap moved the pool.
      const [alone] = await quoter.quotePaths([{ path: q!.path, amountIn: a2 }], (await client.getBlockNumber()) - 2n);
      expect(alone! - received[1]!).toBeGreaterThan(0n);
    } finally {
      await rpc(url, "evm_revert", [snapshot]);
    }
  });

  it("needs no swap when collateral and debt are one asset: empty path, amountOut = amountIn, no request", async () => {
    proxy.reset();
    const amountIn = usdOf("USDC", 1_000n);
    const [q] = await quoter.quote([{ tokenIn: asset("USDC").address, tokenOut: asset("USDC").address, amountIn }]);
    expect(q).toEqual({
      tokenIn: asset("USDC").address,
      tokenOut: asset("USDC").address,
      amountIn,
      amountOut: amountIn,
      path: "0x",
      tokens: [asset("USDC").address],
      fees: [],
      gasEstimate: 0n,
    });
    expect(proxy.total()).toBe(0);
  });

  it("quotes a block's pairs in two eth_calls with new pairs, then in one, and agrees with one-by-one quotes", async () => {
    const hubs = [asset("WETH").address, asset("USDC").address];
    const fresh = new UniswapQuoter(client, { factory: dex.factory, quoter: dex.quoterV2, hubs });
    const requests = [
      ["WETH", "DAI"],
      ["WBTC", "USDT"],
      ["LINK", "USDC"],
      ["USDT", "WETH"],
      ["DAI", "LINK"],
      ["WETH", "WETH"],
    ].map(([a, b]) => ({ tokenIn: asset(a!).address, tokenOut: asset(b!).address, amountIn: usdOf(a!, 80_000n) }));
    const block = await client.getBlockNumber();
    proxy.reset();
    const batch = await fresh.quote(requests, block);
    expect(proxy.counts.get("eth_call")).toBe(2);
    expect(proxy.total()).toBe(2);
    proxy.reset();
    const again = await fresh.quote(requests, block);
    expect(proxy.total()).toBe(1);
    expect(again).toEqual(batch);
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

  it("returns undefined for a token no pool trades", async () => {
    const stranger: Address = "0x000000000000000000000000000000000000bEEF";
    const [q] = await quoter.quote([{ tokenIn: stranger, tokenOut: asset("USDC").address, amountIn: 10n ** 18n }]);
    expect(q).toBeUndefined();
  });
});
