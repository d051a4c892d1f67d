// The flash-loan Liquidator contract on chain: deploying it for a key (`keeper deploy-liquidator`, the
// sandbox), telling which kind of Uniswap router it is given, and checking that a deployed one is
// ours (its code, owner, pool and router).
import {
  BaseError,
  encodeDeployData,
  ExecutionRevertedError,
  getAddress,
  toFunctionSelector,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { liquidatorAbi, liquidatorBytecode, liquidatorDeployedBytecode } from "../../contracts-abi/liquidator/Liquidator.js";
import { ConfigError } from "../config/index.js";

export interface DeployedLiquidator {
  address: Address;
  owner: Address;
  /** the router is a SwapRouter02 (the contract's swapRouter02()) */
  swapRouter02: boolean;
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
}

export type SwapRouterKind = "SwapRouter" | "SwapRouter02";

const WETH9 = toFunctionSelector("WETH9()");
const FACTORY_V2 = toFunctionSelector("factoryV2()");

/** The 32-byte answer of a call without arguments, undefined when it reverts; a node error throws. */
async function answer(client: PublicClient, to: Address, data: Hex): Promise<Hex | undefined> {
  try {
    const { data: result } = await client.call({ to, data });
    return result !== undefined && result.length === 66 ? result : undefined;
  } catch (err) {
    if (err instanceof BaseError && err.walk((e) => e instanceof ExecutionRevertedError)) return undefined;
    throw err;
  }
}

/**
 * Which Uniswap router is at `router`: both answer WETH9(); SwapRouter02 also answers factoryV2() (the
 * address of its Uniswap V2 half, zero where there is none), the periphery's original SwapRouter has
 * no such function and reverts. undefined: neither (no code, no WETH9()); a node error throws.
 */
export async function swapRouterKind(client: PublicClient, router: Address): Promise<SwapRouterKind | undefined> {
  if ((await answer(client, router, WETH9)) === undefined) return undefined;
  return (await answer(client, router, FACTORY_V2)) === undefined ? "SwapRouter" : "SwapRouter02";
}

async function routerIs02(client: PublicClient, router: Address): Promise<boolean> {
  const kind = await swapRouterKind(client, router);
  if (kind === undefined) throw new Error(`${router} is neither Uniswap's SwapRouter nor SwapRouter02`);
  return kind === "SwapRouter02";
}

/**
 * Deploys `new Liquidator(pool, router, swapRouter02)` from `privateKey` (its owner, for good), waits
 * and checks what landed. The router's kind is asked on chain (swapRouterKind) unless given.
 */
export async function deployLiquidator(
  client: PublicClient,
  privateKey: Hex,
  contract: { pool: Address; router: Address; swapRouter02?: boolean },
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  onSent?: (hash: Hex) => void,
): Promise<DeployedLiquidator> {
  const account = privateKeyToAccount(privateKey);
  const swapRouter02 = contract.swapRouter02 ?? (await routerIs02(client, contract.router));
  // Signed here and sent through the connection given: no client of its own.
  const data = encodeDeployData({ abi: liquidatorAbi, bytecode: liquidatorBytecode, args: [contract.pool, contract.router, swapRouter02] });
  const request = await client.prepareTransactionRequest({ account, data, type: "eip1559", ...fees, chain: null });
  const hash = await client.sendRawTransaction({ serializedTransaction: await account.signTransaction(request) });
  onSent?.(hash);
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 300_000, pollingInterval: 250 });
  if (receipt.status !== "success" || receipt.contractAddress == null) {
    throw new Error(`the deployment ${hash} reverted (block ${receipt.blockNumber})`);
  }
  const address = getAddress(receipt.contractAddress);
  const found = await readLiquidator(client, address, receipt.blockNumber);
  if (found === undefined) throw new Error(`no Liquidator code at ${address} after ${hash}`);
  if (
    found.owner !== account.address ||
    found.pool !== getAddress(contract.pool) ||
    found.router !== getAddress(contract.router) ||
    found.swapRouter02 !== swapRouter02
  ) {
    throw new Error(
      `the contract at ${address} has owner ${found.owner}, pool ${found.pool}, router ${found.router} (SwapRouter02: ${found.swapRouter02}); ` +
        `expected ${account.address}, ${contract.pool}, ${contract.router} (${swapRouter02})`,
    );
  }
  return { address, owner: account.address, swapRouter02, hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}

/** The Liquidator's owner, pool and router, or undefined when `address` holds no Liquidator code. */
export async function readLiquidator(
  client: PublicClient,
  address: Address,
  blockNumber?: bigint,
): Promise<{ owner: Address; pool: Address; router: Address; swapRouter02: boolean } | undefined> {
  const at = blockNumber === undefined ? {} : { blockNumber };
  const code = await client.getCode({ address, ...at });
  // The runtime code is the compiled one with the immutables (owner, pool, router, its kind) filled in: same length.
  if (code === undefined || code.length !== liquidatorDeployedBytecode.length) return undefined;
  const read = <F extends "owner" | "pool" | "swapRouter">(functionName: F) =>
    client.readContract({ address, abi: liquidatorAbi, functionName, ...at });
  const [owner, pool, router, swapRouter02] = await Promise.all([
    read("owner"),
    read("pool"),
    read("swapRouter"),
    client.readContract({ address, abi: liquidatorAbi, functionName: "swapRouter02", ...at }),
  ]);
  return { owner: getAddress(owner), pool: getAddress(pool), router: getAddress(router), swapRouter02 };
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
