// Moves sandbox prices the two ways a real market's prices move:
//  (a) the feed's answer changes and it emits AnswerUpdated, like a Chainlink aggregator;
//  (b) the oracle's source for an asset is replaced (AaveOracle.setAssetSources, AssetSourceUpdated).
// When the sandbox has a DEX, its pools holding the asset are arbitraged to the new price in the
// same block as the oracle's update.
import { createPublicClient, encodeDeployData, encodeFunctionData, getAddress, http, type Address, type Hex } from "viem";
import { aaveOracleAbi } from "../../contracts-abi/aave/index.js";
import { sandboxPriceFeedAbi, sandboxPriceFeedBytecode } from "../../contracts-abi/sandbox/SandboxPriceFeed.js";
import type { DeployedAsset, MarketDeployment } from "./deployMarket.js";
import { sendUnlocked } from "./sendUnlocked.js";
import { submitPoolAlignment } from "./uniswap.js";
import { rpc } from "../chain/rpc.js";

export interface PriceMove {
  asset: Address;
  symbol: string;
  oldPrice: bigint;
  newPrice: bigint;
  /** the feed now answering for the asset */
  feed: Address;
  transactionHash: Hex;
  blockNumber: bigint;
}

function findAsset(market: MarketDeployment, symbolOrAddress: string): DeployedAsset {
  const key = symbolOrAddress.toLowerCase();
  const asset = market.assets.find((a) => a.symbol.toLowerCase() === key || a.address.toLowerCase() === key);
  if (!asset) {
    throw new Error(`no sandbox asset "${symbolOrAddress}" (assets: ${market.assets.map((a) => a.symbol).join(", ")})`);
  }
  return asset;
}

async function send(market: MarketDeployment, tx: { to?: Address; data: Hex }) {
  return { receipt: await sendUnlocked(market.rpcUrl, market.deployer, tx, "price move") };
}

/**
 * Sends the oracle's update together with the swaps that arbitrage the DEX's pools of the asset to
 * `newPrice`, all in one block: under automine, mining is held while they are submitted.
 */
async function withPoolMoves(market: MarketDeployment, asset: DeployedAsset, newPrice: bigint, oracleTx: { to: Address; data: Hex }) {
  if (!market.uniswap) return (await send(market, oracleTx)).receipt;
  const automine = await rpc<boolean>(market.rpcUrl, "anvil_getAutomine");
  if (automine) await rpc(market.rpcUrl, "evm_setAutomine", [false]);
  try {
    const batch = await submitPoolAlignment(market, new Map([[asset.address, newPrice]]), [asset.address]);
    await batch.submit(oracleTx, "price move");
    if (automine) await rpc(market.rpcUrl, "evm_mine");
    return (await batch.mined())!;
  } finally {
    if (automine) await rpc(market.rpcUrl, "evm_setAutomine", [true]);
  }
}

async function currentPrice(market: MarketDeployment, asset: DeployedAsset): Promise<bigint> {
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  return client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [asset.address] });
}

/** (a) The asset's feed answers `newPrice` (USD, 8 decimals) from the next block on. */
export async function setFeedAnswer(market: MarketDeployment, symbolOrAddress: string, newPrice: bigint): Promise<PriceMove> {
  if (newPrice <= 0n) throw new Error(`a price must be positive, got ${newPrice}`);
  const asset = findAsset(market, symbolOrAddress);
  const oldPrice = await currentPrice(market, asset);
  const data = encodeFunctionData({ abi: sandboxPriceFeedAbi, functionName: "setAnswer", args: [newPrice] });
  const receipt = await withPoolMoves(market, asset, newPrice, { to: asset.priceFeed, data });
  return {
    asset: asset.address,
    symbol: asset.symbol,
    oldPrice,
    newPrice,
    feed: asset.priceFeed,
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
  };
}

/**
 * (b) Deploys a new feed answering `newPrice` and makes it the oracle's source for the asset.
 * The deployment record is updated to point at the new feed.
 */
export async function replaceAssetSource(market: MarketDeployment, symbolOrAddress: string, newPrice: bigint): Promise<PriceMove> {
  if (newPrice <= 0n) throw new Error(`a price must be positive, got ${newPrice}`);
  const asset = findAsset(market, symbolOrAddress);
  const oldPrice = await currentPrice(market, asset);
  const deployed = await send(market, {
    data: encodeDeployData({ abi: sandboxPriceFeedAbi, bytecode: sandboxPriceFeedBytecode, args: [newPrice, `${asset.symbol} / USD`] }),
  });
  const feed = getAddress(deployed.receipt.contractAddress!);
  const data = encodeFunctionData({ abi: aaveOracleAbi, functionName: "setAssetSources", args: [[asset.address], [feed]] });
  const receipt = await withPoolMoves(market, asset, newPrice, { to: market.oracle, data });
  asset.priceFeed = feed;
  return {
    asset: asset.address,
    symbol: asset.symbol,
    oldPrice,
    newPrice,
    feed,
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
  };
}

/** Scales a price by a percentage change, e.g. -20 for a 20% drop. */
export function movedPrice(price: bigint, percentChange: number): bigint {
  const basisPoints = BigInt(Math.round((100 + percentChange) * 100));
  if (basisPoints <= 0n) throw new Error(`a ${percentChange}% move leaves no price`);
  return (price * basisPoints) / 10_000n;
}
