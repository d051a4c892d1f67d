// The sandbox keeper's wallet: an anvil dev account (its ETH pays the gas) that owns a flash-loan
// Liquidator on the sandbox's pool and router, so it liquidates without holding any token; tokens of
// every reserve can be minted to it too, to liquidate from inventory.
import { createPublicClient, encodeFunctionData, http, parseGwei, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import type { MarketDeployment } from "./deployMarket.js";
import { sendUnlocked } from "./sendUnlocked.js";
import { deployLiquidator } from "../chain/liquidatorContract.js";

/** anvil dev account #9 (mnemonic "test test ... junk"): a well-known key, for local chains only. */
export const SANDBOX_KEEPER_KEY: Hex = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
export const SANDBOX_KEEPER_ADDRESS: Address = privateKeyToAddress(SANDBOX_KEEPER_KEY);

/** Mints `usdPerAsset` worth of every reserve's token to `wallet` (the sandbox's tokens mint freely). */
export async function fundWallet(market: MarketDeployment, wallet: Address, usdPerAsset: bigint): Promise<void> {
  for (const asset of market.assets) {
    const amount = (usdPerAsset * 10n ** 8n * 10n ** BigInt(asset.decimals)) / asset.spec.priceUsd;
    const data = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [wallet, amount] });
    await sendUnlocked(market.rpcUrl, market.deployer, { to: asset.address, data }, `minting ${asset.symbol} to the keeper wallet`);
  }
}

/** Deploys the flash-loan Liquidator for the sandbox keeper key on the market's pool and the sandbox's SwapRouter. */
export async function deploySandboxLiquidator(market: MarketDeployment): Promise<{ address: Address; owner: Address }> {
  if (!market.uniswap) throw new Error("the sandbox has no Uniswap V3 (deployUniswap) for the Liquidator to swap on");
  const client = createPublicClient({ transport: http(market.rpcUrl), cacheTime: 0 });
  const block = await client.getBlock({ blockTag: "latest" });
  const maxPriorityFeePerGas = parseGwei("1");
  const fees = { maxFeePerGas: 2n * (block.baseFeePerGas ?? 0n) + maxPriorityFeePerGas, maxPriorityFeePerGas };
  const { address, owner } = await deployLiquidator(
    client,
    SANDBOX_KEEPER_KEY,
    { pool: market.pool, router: market.uniswap.swapRouter },
    fees,
  );
  return { address, owner };
}
