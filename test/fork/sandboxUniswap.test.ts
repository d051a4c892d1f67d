// The sandbox's Uniswap V3: a pool of every reserve against WETH and against USDC, opened at the
// oracle's prices, deep enough for liquidations, and moved with the oracle by both kinds of price
// move (in the oracle's block under interval mining). Or the pools a caller lists instead, moved alike.
import { beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, encodeFunctionData, http, maxUint256, parseEventLogs, type Address, type PublicClient } from "viem";
import { aaveOracleAbi, mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import { quoterV2Abi, swapRouterAbi, uniswapV3FactoryAbi, uniswapV3PoolAbi } from "../../contracts-abi/uniswap/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { deployMarket, type MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { movedPrice, replaceAssetSource, setFeedAnswer } from "../../src/sandbox/prices.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import { alignPools, deployUniswap, sandboxPairs, type SandboxPool, type UniswapDeployment } from "../../src/sandbox/uniswap.js";
import { sqrtPriceX96 } from "../../src/sandbox/uniswapMath.js";
import { useAnvil } from "../helpers/anvil.js";

describe.each(AAVE_VERSIONS)("the sandbox's Uniswap V3 beside Aave %s", (version) => {
  let market: MarketDeployment;
  let dex: UniswapDeployment;
  let client: PublicClient;

  beforeAll(async () => {
    // useAnvil stops the node after the file.
    const anvil = await useAnvil();
    market = await deployMarket(anvil.rpcUrl, { aave: version });
    dex = await deployUniswap(market);
    client = createPublicClient({ transport: http(anvil.rpcUrl), cacheTime: 0, pollingInterval: 20 });
  });

  const decimalsOf = (a: Address) => market.assets.find((x) => x.address === a)!.decimals;
  const oracle = (a: Address) =>
    client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [a] });
  const slot0Price = async (p: SandboxPool) =>
    (await client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "slot0" }))[0];
  /** The pool's price the oracle implies, as the pool stores it. */
  const oraclePrice = async (p: SandboxPool) =>
    sqrtPriceX96(await oracle(p.token0), decimalsOf(p.token0), await oracle(p.token1), decimalsOf(p.token1));
  const hasPool = (a: string, b: string) => poolsOf(a).some((p) => [p.symbol0, p.symbol1].includes(b));
  const poolsOf = (symbol: string) => dex.pools.filter((p) => p.symbol0 === symbol || p.symbol1 === symbol);

  it("has a pool of every asset against WETH and USDC, registered in the factory, at the oracle's price", async () => {
    const symbols = market.assets.map((a) => a.symbol);
    // Each asset but WETH against WETH, each but the two hubs against USDC.
    expect(sandboxPairs(symbols)).toHaveLength(2 * symbols.length - 3);
    expect(dex.pools.map((p) => `${p.symbol0}/${p.symbol1}`).sort()).toEqual(
      sandboxPairs(symbols)
        .map(({ a, b }) => {
          const [x, y] = [market.assets.find((s) => s.symbol === a)!, market.assets.find((s) => s.symbol === b)!];
          return x.address.toLowerCase() < y.address.toLowerCase() ? `${a}/${b}` : `${b}/${a}`;
        })
        .sort(),
    );
    for (const s of symbols.filter((x) => x !== "WETH")) expect(hasPool(s, "WETH"), s).toBe(true);
    for (const s of symbols.filter((x) => x !== "USDC")) expect(hasPool(s, "USDC"), s).toBe(true);
    for (const p of dex.pools) {
      const name = `${p.symbol0}/${p.symbol1}`;
      const registered = await client.readContract({
        address: dex.factory,
        abi: uniswapV3FactoryAbi,
        functionName: "getPool",
        args: [p.token0, p.token1, p.fee],
      });
      expect(registered).toBe(p.address);
      expect(await client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "fee" })).toBe(p.fee);
      expect(BigInt(p.token0) < BigInt(p.token1), name).toBe(true);
      expect(await slot0Price(p), name).toBe(await oraclePrice(p));
      expect(await client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "liquidity" }), name).toBeGreaterThan(0n);
    }
    // The stablecoin pairs use the 0.01% tier, which the sandbox enables as mainnet's governance did.
    expect(dex.pools.find((p) => [p.symbol0, p.symbol1].sort().join("/") === "USDC/USDT")!.fee).toBe(100);
  });

  it("is deep: selling $1M of WETH (or of WBTC through WETH) loses less than 2.5% to the oracle's value", async () => {
    const weth = market.assets.find((a) => a.symbol === "WETH")!;
    const usdc = market.assets.find((a) => a.symbol === "USDC")!;
    const wbtc = market.assets.find((a) => a.symbol === "WBTC")!;
    const dai = market.assets.find((a) => a.symbol === "DAI")!;
    const oneMillionOf = async (a: typeof weth) => (1_000_000n * 10n ** 8n * 10n ** BigInt(a.decimals)) / (await oracle(a.address));
    const fee = (x: string, y: string) => dex.pools.find((p) => [p.symbol0, p.symbol1].sort().join() === [x, y].sort().join())!.fee;

    const {
      result: [out],
    } = await client.simulateContract({
      address: dex.quoterV2,
      abi: quoterV2Abi,
      functionName: "quoteExactInputSingle",
      args: [
        {
          tokenIn: weth.address,
          tokenOut: usdc.address,
          amountIn: await oneMillionOf(weth),
          fee: fee("WETH", "USDC"),
          sqrtPriceLimitX96: 0n,
        },
      ],
    });
    expect(out).toBeGreaterThan(975_000n * 10n ** 6n);
    expect(out).toBeLessThan(1_000_000n * 10n ** 6n);

    const path = `0x${[
      wbtc.address.slice(2),
      fee("WBTC", "WETH").toString(16).padStart(6, "0"),
      weth.address.slice(2),
      fee("WETH", "DAI").toString(16).padStart(6, "0"),
      dai.address.slice(2),
    ].join("")}` as const;
    const {
      result: [twoHop],
    } = await client.simulateContract({
      address: dex.quoterV2,
      abi: quoterV2Abi,
      functionName: "quoteExactInput",
      args: [path, await oneMillionOf(wbtc)],
    });
    expect(twoHop).toBeGreaterThan(975_000n * 10n ** 18n);
    expect(twoHop).toBeLessThan(1_000_000n * 10n ** 18n);
  });

  it("moves the moved asset's pools with a feed's new answer, in the oracle's block, and leaves the others", async () => {
    const others = dex.pools.filter((p) => !poolsOf("WETH").includes(p));
    const untouched = new Map(await Promise.all(others.map(async (p) => [p, await slot0Price(p)] as const)));
    const weth = market.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(market, "WETH", movedPrice(await oracle(weth.address), -20));
    expect(move.newPrice).toBe(2_400n * 10n ** 8n);
    for (const p of poolsOf("WETH")) {
      expect(await slot0Price(p), `${p.symbol0}/${p.symbol1}`).toBe(await oraclePrice(p));
      // Under automine too, the arbitrage and the oracle's update are one block.
      const swaps = await client.getContractEvents({
        address: p.address,
        abi: uniswapV3PoolAbi,
        eventName: "Swap",
        fromBlock: move.blockNumber - 1n,
      });
      expect(swaps.map((s) => s.blockNumber)).toEqual([move.blockNumber]);
    }
    for (const [p, before] of untouched) expect(await slot0Price(p), `${p.symbol0}/${p.symbol1}`).toBe(before);
  });

  it("moves them when the oracle's source is replaced, in the oracle's block under interval mining", async () => {
    await rpc(market.rpcUrl, "evm_setIntervalMining", [1]);
    try {
      const link = market.assets.find((a) => a.symbol === "LINK")!;
      const move = await replaceAssetSource(market, "LINK", movedPrice(await oracle(link.address), 10));
      for (const p of poolsOf("LINK")) {
        expect(await slot0Price(p), `${p.symbol0}/${p.symbol1}`).toBe(await oraclePrice(p));
        const swaps = await client.getContractEvents({
          address: p.address,
          abi: uniswapV3PoolAbi,
          eventName: "Swap",
          fromBlock: move.blockNumber - 1n,
        });
        expect(swaps.map((s) => s.blockNumber)).toEqual([move.blockNumber]);
      }
    } finally {
      await rpc(market.rpcUrl, "evm_setIntervalMining", [0]);
      await rpc(market.rpcUrl, "evm_setAutomine", [true]);
    }
  });

  it("alignPools brings a pool some trader pushed away back to the oracle's price", async () => {
    const p = dex.pools.find((x) => [x.symbol0, x.symbol1].sort().join("/") === "USDC/WBTC")!;
    const wbtc = market.assets.find((a) => a.symbol === "WBTC")!;
    const amount = 100n * 10n ** 8n; // 100 WBTC, $6M
    const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [market.deployer, amount] });
    await sendUnlocked(market.rpcUrl, market.deployer, { to: wbtc.address, data: mint }, "mint");
    const receipt = await sendUnlocked(
      market.rpcUrl,
      market.deployer,
      {
        to: dex.swapRouter,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn: wbtc.address,
              tokenOut: p.token0 === wbtc.address ? p.token1 : p.token0,
              fee: p.fee,
              recipient: market.deployer,
              deadline: maxUint256,
              amountIn: amount,
              amountOutMinimum: 0n,
              sqrtPriceLimitX96: 0n,
            },
          ],
        }),
      },
      "selling WBTC",
    );
    expect(parseEventLogs({ abi: uniswapV3PoolAbi, eventName: "Swap", logs: receipt.logs })).toHaveLength(1);
    expect(await slot0Price(p)).not.toBe(await oraclePrice(p));
    await alignPools(market, [wbtc.address]);
    expect(await slot0Price(p)).toBe(await oraclePrice(p));
    for (const q of dex.pools) expect(await slot0Price(q), `${q.symbol0}/${q.symbol1}`).toBe(await oraclePrice(q));
  });
});

describe("the sandbox's Uniswap V3 with a pool list of its own (Aave 3.6)", () => {
  const PAIRS = [
    { a: "LINK", b: "USDC", fee: 10_000 },
    { a: "LINK", b: "WETH", fee: 3000 },
    { a: "DAI", b: "USDC", fee: 100 },
    { a: "WETH", b: "USDC", fee: 500 },
  ];
  let market: MarketDeployment;
  let dex: UniswapDeployment;
  let client: PublicClient;

  beforeAll(async () => {
    const anvil = await useAnvil();
    market = await deployMarket(anvil.rpcUrl, { aave: "3.6" });
    dex = await deployUniswap(market, { pairs: PAIRS });
    client = createPublicClient({ transport: http(anvil.rpcUrl), cacheTime: 0, pollingInterval: 20 });
  });

  const decimalsOf = (a: Address) => market.assets.find((x) => x.address === a)!.decimals;
  const oracle = (a: Address) =>
    client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [a] });
  const atOraclePrice = async (p: SandboxPool) =>
    (await client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "slot0" }))[0] ===
    sqrtPriceX96(await oracle(p.token0), decimalsOf(p.token0), await oracle(p.token1), decimalsOf(p.token1));

  it("opens exactly those pools (the 1% tier with its 200-tick spacing), at the oracle's prices", async () => {
    expect(dex.pools.map((p) => `${[p.symbol0, p.symbol1].sort().join("/")} ${p.fee}`).sort()).toEqual(
      PAIRS.map((p) => `${[p.a, p.b].sort().join("/")} ${p.fee}`).sort(),
    );
    const linkUsdc = dex.pools.find((p) => p.fee === 10_000)!;
    expect(linkUsdc.tickSpacing).toBe(200);
    expect(await client.readContract({ address: linkUsdc.address, abi: uniswapV3PoolAbi, functionName: "tickSpacing" })).toBe(200);
    for (const p of dex.pools) {
      expect(await atOraclePrice(p), `${p.symbol0}/${p.symbol1}`).toBe(true);
      expect(await client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "liquidity" })).toBeGreaterThan(0n);
    }
  });

  it("moves LINK's two pools with its price, and leaves the others", async () => {
    const link = market.assets.find((a) => a.symbol === "LINK")!;
    const others = dex.pools.filter((p) => p.symbol0 !== "LINK" && p.symbol1 !== "LINK");
    const before = await Promise.all(
      others.map((p) => client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "slot0" })),
    );
    await setFeedAnswer(market, "LINK", movedPrice(await oracle(link.address), -30));
    for (const p of dex.pools) expect(await atOraclePrice(p), `${p.symbol0}/${p.symbol1}`).toBe(true);
    const after = await Promise.all(
      others.map((p) => client.readContract({ address: p.address, abi: uniswapV3PoolAbi, functionName: "slot0" })),
    );
    expect(after).toEqual(before);
  });

  it("refuses a list naming another asset, a tier Uniswap has not, or a pool twice, before sending anything", async () => {
    const nonce = () => client.getTransactionCount({ address: market.deployer });
    const sent = await nonce();
    await expect(deployUniswap(market, { pairs: [{ a: "LINK", b: "UNI", fee: 3000 }] })).rejects.toThrow(
      "sandbox pool LINK/UNI 0.3%: UNI is not an asset of the market",
    );
    await expect(deployUniswap(market, { pairs: [{ a: "LINK", b: "WETH", fee: 2500 }] })).rejects.toThrow("the fee tiers are");
    await expect(
      deployUniswap(market, {
        pairs: [
          { a: "LINK", b: "WETH", fee: 3000 },
          { a: "WETH", b: "LINK", fee: 3000 },
        ],
      }),
    ).rejects.toThrow("listed twice");
    expect(await nonce()).toBe(sent);
  });
});
