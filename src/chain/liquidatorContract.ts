// A deployed flash-loan Liquidator contract: what it is (its code, owner, pool and router) and whether
// the keeper may use it (deployLiquidator.ts deploys one).
import { getAddress, type Address, type PublicClient } from "viem";
import { liquidatorAbi, liquidatorDeployedBytecode } from "../../contracts-abi/liquidator/Liquidator.js";
import { ConfigError } from "../config/index.js";

/** The Liquidator's owner, pool and router, or undefined when `address` holds no Liquidator code. */
export async function readLiquidator(
  client: PublicClient, address: Address, blockNumber?: bigint,
): Promise<{ owner: Address; pool: Address; router: Address } | undefined> {
  const at = blockNumber === undefined ? {} : { blockNumber };
  const code = await client.getCode({ address, ...at });
  // The runtime code is the compiled one with the immutables (owner, pool, router) filled in: same length.
  if (code === undefined || code.length !== liquidatorDeployedBytecode.length) return undefined;
  const read = <F extends "owner" | "pool" | "swapRouter">(functionName: F) =>
    client.readContract({ address, abi: liquidatorAbi, functionName, ...at });
  const [owner, pool, router] = await Promise.all([read("owner"), read("pool"), read("swapRouter")]);
  return { owner: getAddress(owner), pool: getAddress(pool), router: getAddress(router) };
}

/**
 * LIQUIDATOR_ADDRESS must be a Liquidator on the keeper's pool and, when the keeper has a wallet, owned
 * by it (only the owner may call it): else one ConfigError naming the setting.
 */
export async function checkLiquidator(client: PublicClient, address: Address, expected: { pool: Address; owner?: Address }): Promise<void> {
  const found = await readLiquidator(client, address);
  if (found === undefined) throw new ConfigError("LIQUIDATOR_ADDRESS", `${address} holds no Liquidator contract (keeper deploy-liquidator deploys one)`);
  if (found.pool !== getAddress(expected.pool)) {
    throw new ConfigError("LIQUIDATOR_ADDRESS", `the Liquidator at ${address} liquidates on pool ${found.pool}, not this market's ${expected.pool}`);
  }
  if (expected.owner !== undefined && found.owner !== getAddress(expected.owner)) {
    throw new ConfigError("LIQUIDATOR_ADDRESS", `the Liquidator at ${address} is owned by ${found.owner}, not by PRIVATE_KEY's ${expected.owner}`);
  }
}
