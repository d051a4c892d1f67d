// Deploys the flash-loan Liquidator (contracts/liquidator) from a key, its owner for good, on a pool
// and a Uniswap V3 SwapRouter, and checks what landed: the runtime code and the owner, pool and router
// it reads back. Used by `keeper deploy-liquidator`, the sandbox and the tests.
import { createWalletClient, getAddress, http, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { liquidatorAbi, liquidatorBytecode, liquidatorDeployedBytecode } from "../../contracts-abi/liquidator/Liquidator.js";

export interface DeployLiquidatorOptions {
  client: PublicClient;
  /** where the deployment is sent */
  rpcUrl: string;
  /** the owner's key; never logged, never in an error */
  privateKey: Hex;
  pool: Address;
  router: Address;
  /** EIP-1559 fees; default: the node's estimate */
  fees?: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  /** how long to wait for the receipt (default 300 s) */
  timeoutMs?: number;
  /** told the hash once the node accepted the deployment (before the wait) */
  onSent?: (hash: Hex) => void;
}

export interface DeployedLiquidator {
  address: Address;
  owner: Address;
  hash: Hex;
  gasUsed: bigint;
  blockNumber: bigint;
}

export async function deployLiquidator(o: DeployLiquidatorOptions): Promise<DeployedLiquidator> {
  const account = privateKeyToAccount(o.privateKey);
  const wallet = createWalletClient({ account, transport: http(o.rpcUrl, { timeout: 30_000 }) });
  const hash = await wallet.deployContract({ abi: liquidatorAbi, bytecode: liquidatorBytecode, args: [o.pool, o.router], chain: null, ...o.fees });
  o.onSent?.(hash);
  const receipt = await o.client.waitForTransactionReceipt({ hash, timeout: o.timeoutMs ?? 300_000, pollingInterval: 250 });
  if (receipt.status !== "success" || receipt.contractAddress == null) {
    throw new Error(`the deployment ${hash} reverted (block ${receipt.blockNumber})`);
  }
  const address = getAddress(receipt.contractAddress);
  const code = await o.client.getCode({ address, blockNumber: receipt.blockNumber });
  // The runtime code is the compiled one with the immutables (owner, pool, router) filled in: same length.
  if (code === undefined || code.length !== liquidatorDeployedBytecode.length) throw new Error(`no Liquidator code at ${address} after ${hash}`);
  const read = <F extends "owner" | "pool" | "swapRouter">(functionName: F) =>
    o.client.readContract({ address, abi: liquidatorAbi, functionName, blockNumber: receipt.blockNumber });
  const [owner, onPool, onRouter] = await Promise.all([read("owner"), read("pool"), read("swapRouter")]);
  if (owner !== account.address || onPool !== getAddress(o.pool) || onRouter !== getAddress(o.router)) {
    throw new Error(
      `the contract at ${address} has owner ${owner}, pool ${onPool}, router ${onRouter}; expected ${account.address}, ${o.pool}, ${o.router}`,
    );
  }
  return { address, owner, hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}
