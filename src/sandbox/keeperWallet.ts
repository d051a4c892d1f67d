// The sandbox keeper's wallet: an anvil dev account, given debt tokens of every reserve so it can
// liquidate from inventory (no flash loan yet).
import { encodeFunctionData, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import type { MarketDeployment } from "./deployMarket.js";
import { sendUnlocked } from "./sendUnlocked.js";

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
