// The flash-loan Liquidator contract on chain: deploying it for a key (`keeper deploy-liquidator`, the
// sandbox) and checking that a deployed one is ours (its code, owner, pool and router).
import { createWalletClient, getAddress, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { liquidatorAbi, liquidatorBytecode, liquidatorDeployedBytecode } from "../../contracts-abi/liquidator/Liquidator.js";
import { ConfigError } from "../config/index.js";

export interface DeployedLiquidator {
  address: Address;
  owner: Address;
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
}

/** Deploys `new Liquidator(pool, router)` from `privateKey` (its owner, for good), waits and checks what landed. */
export async function deployLiquidator(
  client: PublicClient,
  rpcUrl: string,
  privateKey: Hex,
  contract: { pool: Address; router: Address },
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  onSent?: (hash: Hex) => void,
): Promise<DeployedLiquidator> {
  const account = privateKeyToAccount(privateKey);
  const wallet = createWalletClient({ account, transport: http(rpcUrl, { timeout: 30_000 }) });
  const hash = await wallet.deployContract({
    abi: liquidatorAbi,
    bytecode: liquidatorBytecode,
    args: [contract.pool, contract.router],
    chain: null,
    ...fees,
  });
  onSent?.(hash);
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 300_000, pollingInterval: 250 });
  if (receipt.status !== "success" || receipt.contractAddress == null) {
    throw new Error(`the deployment ${hash} reverted (block ${receipt.blockNumber})`);
  }
  const address = getAddress(receipt.contractAddress);
  const found = await readLiquidator(client, address, receipt.blockNumber);
  if (found === undefined) throw new Error(`no Liquidator code at ${address} after ${hash}`);
  if (found.owner !== account.address || found.pool !== getAddress(contract.pool) || found.router !== getAddress(contract.router)) {
    throw new Error(
      `the contract at ${address} has owner ${found.owner}, pool ${found.pool}, router ${found.router}; ` +
        `expected ${account.address}, ${contract.pool}, ${contract.router}`,
    );
  }
  return { address, owner: account.address, hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}

/** The Liquidator's owner, pool and router, or undefined when `address` holds no Liquidator code. */
export async function readLiquidator(
  client: PublicClient,
  address: Address,
  blockNumber?: bigint,
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
  if (found === undefined)
    throw new ConfigError("LIQUIDATOR_ADDRESS", `${address} holds no Liquidator contract (keeper deploy-liquidator deploys one)`);
  if (found.pool !== getAddress(expected.pool)) {
    throw new ConfigError(
      "LIQUIDATOR_ADDRESS",
      `the Liquidator at ${address} liquidates on pool ${found.pool}, not this market's ${expected.pool}`,
    );
  }
  if (expected.owner !== undefined && found.owner !== getAddress(expected.owner)) {
    throw new ConfigError(
      "LIQUIDATOR_ADDRESS",
      `the Liquidator at ${address} is owned by ${found.owner}, not by PRIVATE_KEY's ${expected.owner}`,
    );
  }
}
