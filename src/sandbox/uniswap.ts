// The sandbox's DEX: Uniswap V3 deployed from the compiled artifacts of @uniswap/v3-core and
// @uniswap/v3-periphery (factory, the periphery's original SwapRouter, QuoterV2,
// NonfungiblePositionManager), with a full-range pool of every reserve against WETH and against
// USDC (or the pools a caller lists, DeployUniswapOptions.pairs), opened at the oracle's prices and
// deep enough for the sandbox's liquidations. On request also SwapRouter02
// (@uniswap/swap-router-contracts), the only router some chains have (Base).
//
// Prices: when a sandbox price moves (src/sandbox/prices.ts), an arbitrageur (the deployer, which
// mints what it sells) swaps each pool holding the moved asset back to the oracle's new price,
// with the swap's price limit set exactly at that price. Arbitrage rather than re-seeding: the
// pools keep their liquidity and history, as on a real chain, and the swaps are ordinary
// Uniswap swaps a keeper can watch. Pools other swaps pushed away (a keeper's liquidations) are
// pulled back by `alignPools`, which the next price move of one of their assets also does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  createPublicClient,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  getContractAddress,
  http,
  maxUint256,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { aaveOracleAbi, mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import {
  nonfungiblePositionManagerAbi,
  quoterV2Abi,
  swapRouter02Abi,
  swapRouterAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from "../../contracts-abi/uniswap/index.js";
import type { DeployedAsset, MarketDeployment } from "./deployMarket.js";
import { rpc } from "../chain/rpc.js";
import { withBulkBlocks } from "./bulkBlocks.js";
import { UnlockedBatch } from "./sendUnlocked.js";
import { amountInToMovePrice, fullRangeTicks, sqrtPriceX96 } from "./uniswapMath.js";

const require = createRequire(import.meta.url);

/** Creation bytecode, read at run time from the pinned packages (as the Aave artifacts are). */
const BYTECODE_PATHS = {
  factory: "@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
  swapRouter: "@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json",
  quoterV2: "@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json",
  positionManager: "@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
  swapRouter02: "@uniswap/swap-router-contracts/artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
} as const;

function bytecode(name: keyof typeof BYTECODE_PATHS): Hex {
  return (JSON.parse(readFileSync(require.resolve(BYTECODE_PATHS[name]), "utf8")) as { bytecode: Hex }).bytecode;
}

/** Per side of each pool, in USD: a $1M swap moves a pool's price by about 1%. */
export const DEFAULT_POOL_DEPTH_USD = 100_000_000n;

/** The two assets every other reserve is paired with (routes through them when a pair has no pool). */
export const HUB_SYMBOLS = ["WETH", "USDC"] as const;
const STABLES = new Set(["USDC", "USDT", "DAI"]);
const MAJORS = new Set(["WETH", "WBTC", ...STABLES]);
/** ETH liquid-staking tokens: traded against WETH in 0.01% pools on mainnet (wstETH/WETH, weETH/WETH) */
const ETH_CORRELATED = new Set(["wstETH", "weETH"]);

export interface SandboxPool {
  address: Address;
  token0: Address;
  token1: Address;
  symbol0: string;
  symbol1: string;
  /** hundredths of a basis point: 100 = 0.01% */
  fee: number;
  tickSpacing: number;
}

export interface UniswapDeployment {
  factory: Address;
  swapRouter: Address;
  quoterV2: Address;
  positionManager: Address;
  /** SwapRouter02 on the same factory, when deployed ({ router: "SwapRouter02" }) */
  swapRouter02?: Address;
  /** provides the liquidity (owns the positions) and arbitrages the pools after price moves */
  operator: Address;
  pools: SandboxPool[];
}

/** A pool to open: two of the market's symbols and a fee tier (hundredths of a basis point). */
export interface SandboxPair {
  a: string;
  b: string;
  fee: number;
}

export interface DeployUniswapOptions {
  depthUsd?: bigint;
  /**
   * The pools to open, in place of sandboxPairs' (every asset against WETH and USDC): a market whose
   * pairs need routes through other tokens. Price moves align whichever pools there are.
   */
  pairs?: readonly SandboxPair[];
  /**
   * "SwapRouter02": SwapRouter02 too (no V2 factory), beside the original SwapRouter, which the
   * pools' arbitrage keeps using. Default: the original SwapRouter only.
   */
  router?: "SwapRouter" | "SwapRouter02";
}

/** Each fee tier's tick spacing, as UniswapV3Factory sets them (0.01% is enabled by the deployment). */
const TICK_SPACING: Readonly<Record<number, number>> = { 100: 1, 500: 10, 3000: 60, 10000: 200 };

/** A custom pool list must name the market's symbols, real fee tiers and each pool once. */
function checkPairs(pairs: readonly SandboxPair[], symbols: readonly string[]): void {
  const seen = new Set<string>();
  for (const { a, b, fee } of pairs) {
    const name = `${a}/${b} ${fee / 10_000}%`;
    for (const s of [a, b]) if (!symbols.includes(s)) throw new Error(`sandbox pool ${name}: ${s} is not an asset of the market`);
    if (a === b) throw new Error(`sandbox pool ${name}: a pool needs two assets`);
    if (TICK_SPACING[fee] === undefined) throw new Error(`sandbox pool ${name}: the fee tiers are 100, 500, 3000 and 10000`);
    const key = `${[a, b].sort().join("/")} ${fee}`;
    if (seen.has(key)) throw new Error(`sandbox pool ${name} is listed twice`);
    seen.add(key);
  }
}

/**
 * Which pools the sandbox opens: every asset against each hub asset. Fee tiers as on mainnet:
 * 0.01% between stablecoins and between WETH and its liquid-staking tokens, 0.05% between majors,
 * 0.3% otherwise. (At 0.3% a flash liquidation in the ETH-correlated eMode, whose bonus is 1%, would
 * lose most of it to two swaps.)
 */
export function sandboxPairs(symbols: readonly string[]): SandboxPair[] {
  const pairs: SandboxPair[] = [];
  const seen = new Set<string>();
  for (const hub of HUB_SYMBOLS) {
    if (!symbols.includes(hub)) continue;
    for (const other of symbols) {
      const key = [hub, other].sort().join("/");
      if (other === hub || seen.has(key)) continue;
      seen.add(key);
      const correlated = (hub === "WETH" && ETH_CORRELATED.has(other)) || (STABLES.has(hub) && STABLES.has(other));
      const fee = correlated ? 100 : MAJORS.has(hub) && MAJORS.has(other) ? 500 : 3000;
      pairs.push({ a: other, b: hub, fee });
    }
  }
  return pairs;
}

/** Token amount worth `usd` (whole dollars) at an 8-decimal oracle price. */
function tokensForUsd(usd: bigint, price: bigint, decimals: number): bigint {
  return (usd * 10n ** 8n * 10n ** BigInt(decimals)) / price;
}

async function oraclePrices(market: MarketDeployment): Promise<Map<Address, bigint>> {
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  const assets = market.assets.map((a) => a.address);
  const prices = await client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetsPrices", args: [assets] });
  return new Map(assets.map((a, i) => [a, prices[i]!]));
}

/**
 * Deploys Uniswap V3 and the sandbox's pools on the market's chain, records the deployment on the
 * market (`market.uniswap`, which price moves use) and returns it.
 */
export async function deployUniswap(market: MarketDeployment, options: DeployUniswapOptions = {}): Promise<UniswapDeployment> {
  const depthUsd = options.depthUsd ?? DEFAULT_POOL_DEPTH_USD;
  const operator = market.deployer;
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  const weth = market.assets.find((a) => a.symbol === "WETH");
  if (!weth) throw new Error("the sandbox DEX needs a WETH reserve (its router and position manager take WETH9)");
  const symbols = market.assets.map((a) => a.symbol);
  if (options.pairs) checkPairs(options.pairs, symbols);
  const pairs = options.pairs ?? sandboxPairs(symbols);

  // Everything comes from one account, submitted back to back and mined in one block (~70
  // transactions, ~100M gas, so the block gas limit is lifted meanwhile, as for the borrowers).
  const url = market.rpcUrl;
  return withBulkBlocks(url, async () => {
    const batch = new UnlockedBatch(url, operator);
    const deployment = await submitDeployment(market, batch, weth, depthUsd, pairs, options.router === "SwapRouter02");
    await rpc(url, "evm_mine");
    await batch.mined();
    const pools: SandboxPool[] = [];
    for (const pool of deployment.pools) {
      const address = await client.readContract({
        address: deployment.factory,
        abi: uniswapV3FactoryAbi,
        functionName: "getPool",
        args: [pool.token0, pool.token1, pool.fee],
      });
      pools.push({ ...pool, address: getAddress(address) });
    }
    market.uniswap = { ...deployment, operator, pools };
    return market.uniswap;
  });
}

/** Submits the contracts' deployments (their addresses follow from the nonces), the pools and their liquidity. */
async function submitDeployment(
  market: MarketDeployment,
  batch: UnlockedBatch,
  weth: DeployedAsset,
  depthUsd: bigint,
  pairs: readonly SandboxPair[],
  withRouter02: boolean,
) {
  const operator = batch.from;
  const deploy = async (name: keyof typeof BYTECODE_PATHS, abi: Abi, args: readonly unknown[]) => {
    const address = getContractAddress({ from: operator, nonce: await batch.nextNonce() });
    // The position manager's creation takes ~5.5M gas; 15M leaves room.
    await batch.submit({ data: encodeDeployData({ abi, bytecode: bytecode(name), args }), gas: "0xe4e1c0" }, `deploying Uniswap ${name}`);
    return address;
  };
  const factory = await deploy("factory", uniswapV3FactoryAbi, []);
  const swapRouter = await deploy("swapRouter", swapRouterAbi, [factory, weth.address]);
  const quoterV2 = await deploy("quoterV2", quoterV2Abi, [factory, weth.address]);
  // No token descriptor: it only renders tokenURI, which nothing here reads.
  const positionManager = await deploy("positionManager", nonfungiblePositionManagerAbi, [factory, weth.address, zeroAddress]);
  // constructor(factoryV2, factoryV3, positionManager, WETH9): no Uniswap V2 here, its swaps are never used.
  const swapRouter02 = withRouter02
    ? await deploy("swapRouter02", swapRouter02Abi, [zeroAddress, factory, positionManager, weth.address])
    : undefined;

  const bySymbol = new Map(market.assets.map((a) => [a.symbol, a]));
  const prices = await oraclePrices(market);

  const submit = (to: Address, data: Hex, what: string) => batch.submit({ to, data }, what);
  // The 0.01% tier came after launch (enabled by governance on mainnet); the 0.05% and 0.3% tiers exist from the start.
  const enableTier = encodeFunctionData({ abi: uniswapV3FactoryAbi, functionName: "enableFeeAmount", args: [100, 1] });
  await submit(factory, enableTier, "enabling the 0.01% tier");
  for (const asset of market.assets) {
    for (const spender of [positionManager, swapRouter]) {
      const approve = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [spender, maxUint256] });
      await submit(asset.address, approve, `approving ${asset.symbol}`);
    }
  }

  const pools: Omit<SandboxPool, "address">[] = [];
  for (const { a, b, fee } of pairs) {
    const [t0, t1] = [bySymbol.get(a)!, bySymbol.get(b)!].sort((x, y) => (x.address.toLowerCase() < y.address.toLowerCase() ? -1 : 1)) as [
      DeployedAsset,
      DeployedAsset,
    ];
    const p0 = prices.get(t0.address)!;
    const p1 = prices.get(t1.address)!;
    const sqrtPrice = sqrtPriceX96(p0, t0.decimals, p1, t1.decimals);
    const tickSpacing = TICK_SPACING[fee]!;
    const { tickLower, tickUpper } = fullRangeTicks(tickSpacing);
    const amount0 = tokensForUsd(depthUsd, p0, t0.decimals);
    const amount1 = tokensForUsd(depthUsd, p1, t1.decimals);
    const name = `${t0.symbol}/${t1.symbol} ${fee / 10_000}%`;
    for (const [token, amount] of [
      [t0, amount0],
      [t1, amount1],
    ] as const) {
      const mint = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [operator, amount] });
      await submit(token.address, mint, `minting ${token.symbol}`);
    }
    await submit(
      positionManager,
      encodeFunctionData({
        abi: nonfungiblePositionManagerAbi,
        functionName: "createAndInitializePoolIfNecessary",
        args: [t0.address, t1.address, fee, sqrtPrice],
      }),
      `creating the ${name} pool`,
    );
    await submit(
      positionManager,
      encodeFunctionData({
        abi: nonfungiblePositionManagerAbi,
        functionName: "mint",
        args: [
          {
            token0: t0.address,
            token1: t1.address,
            fee,
            tickLower,
            tickUpper,
            amount0Desired: amount0,
            amount1Desired: amount1,
            amount0Min: 0n,
            amount1Min: 0n,
            recipient: operator,
            deadline: maxUint256,
          },
        ],
      }),
      `adding liquidity to the ${name} pool`,
    );
    pools.push({ token0: t0.address, token1: t1.address, symbol0: t0.symbol, symbol1: t1.symbol, fee, tickSpacing });
  }
  return { factory, swapRouter, quoterV2, positionManager, ...(swapRouter02 && { swapRouter02 }), pools };
}

/**
 * Submits, from the DEX operator (the market's deployer), arbitrage swaps that bring every sandbox
 * pool holding one of `assets` (all pools when omitted) to the oracle's prices, with `overrides`
 * taking the place of the oracle's price for the assets they name (a move about to be published).
 * Returns the batch unmined: a price move adds its oracle transaction to it and mines them in one
 * block. A market without a DEX gets an empty batch.
 */
export async function submitPoolAlignment(
  market: MarketDeployment,
  overrides: ReadonlyMap<Address, bigint> = new Map(),
  assets?: readonly Address[],
): Promise<UnlockedBatch> {
  const batch = new UnlockedBatch(market.rpcUrl, market.deployer);
  const dex = market.uniswap;
  if (!dex) return batch;
  if (dex.operator !== market.deployer) throw new Error("the sandbox DEX's operator must be the market's deployer");
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  const prices = await oraclePrices(market);
  for (const [asset, price] of overrides) prices.set(asset, price);
  const decimals = new Map(market.assets.map((a) => [a.address, a.decimals]));
  const symbol = new Map(market.assets.map((a) => [a.address, a.symbol]));
  const touched = assets?.map((a) => a.toLowerCase());
  const pools = dex.pools.filter((p) => !touched || touched.includes(p.token0.toLowerCase()) || touched.includes(p.token1.toLowerCase()));

  for (const pool of pools) {
    const [[sqrtPrice], liquidity] = await Promise.all([
      client.readContract({ address: pool.address, abi: uniswapV3PoolAbi, functionName: "slot0" }),
      client.readContract({ address: pool.address, abi: uniswapV3PoolAbi, functionName: "liquidity" }),
    ]);
    const target = sqrtPriceX96(prices.get(pool.token0)!, decimals.get(pool.token0)!, prices.get(pool.token1)!, decimals.get(pool.token1)!);
    if (target === sqrtPrice) continue;
    const { zeroForOne, amountIn } = amountInToMovePrice(liquidity, sqrtPrice, target, pool.fee);
    const [tokenIn, tokenOut] = zeroForOne ? [pool.token0, pool.token1] : [pool.token1, pool.token0];
    // A few wei of slack for rounding; the swap stops at its price limit and takes only what it needs.
    const budget = amountIn + 10n;
    const what = `arbitrage of the ${symbol.get(pool.token0)}/${symbol.get(pool.token1)} pool`;
    await batch.submit(
      {
        to: tokenIn,
        data: encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [dex.operator, budget] }),
      },
      what,
    );
    await batch.submit(
      {
        to: dex.swapRouter,
        data: encodeFunctionData({
          abi: swapRouterAbi,
          functionName: "exactInputSingle",
          args: [
            {
              tokenIn,
              tokenOut,
              fee: pool.fee,
              recipient: dex.operator,
              deadline: maxUint256,
              amountIn: budget,
              amountOutMinimum: 0n,
              sqrtPriceLimitX96: target,
            },
          ],
        }),
      },
      what,
    );
  }
  return batch;
}

/** Swaps every sandbox pool (or those of `assets`) back to the oracle's current prices and waits. */
export async function alignPools(market: MarketDeployment, assets?: readonly Address[]): Promise<void> {
  await (await submitPoolAlignment(market, new Map(), assets)).mined();
}
