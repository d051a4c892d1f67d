// Which chain and market a command talks to: RPC_URL + POOL_ADDRESSES_PROVIDER from the config, or,
// when RPC_URL is unset, the sandbox that `keeper sandbox` is running (its .keeper/sandbox.json).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Address, Hex, PublicClient } from "viem";
import { createConnections, type Connections } from "../chain/connections.js";
import { HUB_SYMBOLS } from "../sandbox/uniswap.js";
import { redactUrl, rpc } from "../chain/rpc.js";
import {
  ConfigError,
  ensureStateDir,
  requirePoolAddressesProvider,
  requireRpcUrl,
  type KeeperConfig,
  type UniswapAddresses,
} from "../config/index.js";

export const DEFAULT_SANDBOX_FILE = ".keeper/sandbox.json";

export interface ChainTarget {
  rpcUrl: string;
  rpcUrlFallback?: string;
  addressesProvider: Address;
  /** for `keeper inspect`'s cross-check with Aave's JS utilities */
  uiPoolDataProvider?: Address;
  startBlock: bigint;
  /** true when START_BLOCK was neither set nor known (scan from block 0) */
  startBlockGuessed: boolean;
  stateDir: string;
  /** the sandbox's WETH (from its file); WRAPPED_NATIVE_TOKEN and the chain's known one otherwise */
  wrappedNativeToken?: Address;
  /** "env": RPC_URL and friends; "sandbox": the running sandbox's file */
  source: "env" | "sandbox";
  /** the sandbox's Uniswap V3 (its file's `uniswap`): the default of the UNISWAP_V3_* settings there */
  uniswap?: UniswapAddresses;
  /** the sandbox's routing hubs (its WETH and USDC, the tokens its every pool pairs with) */
  routingHubs?: Address[];
  /** the Liquidator `keeper sandbox` deployed for its keeper key (the default of LIQUIDATOR_ADDRESS for that key) */
  liquidator?: { address: Address; owner: Address };
}

/**
 * The chain and market to use, with STATE_DIR ready (created, writable). Without RPC_URL, the running
 * sandbox's file is used only when its RPC answers: an old file from a sandbox that is gone is one
 * line naming RPC_URL and the file, not a wait for a dead URL.
 */
export async function resolveTarget(config: KeeperConfig, sandboxFile = DEFAULT_SANDBOX_FILE): Promise<ChainTarget> {
  if (config.chain.rpcUrl !== undefined) {
    ensureStateDir(config.watcher.stateDir);
    return {
      rpcUrl: config.chain.rpcUrl,
      rpcUrlFallback: config.chain.rpcUrlFallback,
      addressesProvider: requirePoolAddressesProvider(config),
      uiPoolDataProvider: config.inspect.uiPoolDataProvider,
      startBlock: config.watcher.startBlock ?? 0n,
      startBlockGuessed: config.watcher.startBlock === undefined,
      stateDir: config.watcher.stateDir,
      source: "env",
    };
  }
  const path = resolve(sandboxFile);
  if (!existsSync(path)) requireRpcUrl(config); // throws the one-line "RPC_URL: not set" error
  let file: {
    rpcUrl?: string;
    deploymentBlock?: string;
    addresses?: { poolAddressesProvider?: Address; uiPoolDataProviderV3?: Address; wrappedNativeToken?: Address };
    uniswap?: { factory?: Address; swapRouter?: Address; quoterV2?: Address };
    liquidator?: { address?: Address; owner?: Address };
    assets?: { symbol?: string; address?: Address }[];
  };
  try {
    file = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new ConfigError("RPC_URL", `not set, and ${path} (the sandbox's addresses) is unreadable`);
  }
  if (!file.rpcUrl || !file.addresses?.poolAddressesProvider) {
    throw new ConfigError("RPC_URL", `not set, and ${path} has no rpcUrl/poolAddressesProvider`);
  }
  await probeSandbox(path, file.rpcUrl, (file as { chainId?: number }).chainId);
  ensureStateDir(join(config.watcher.stateDir, "sandbox"));
  return {
    rpcUrl: file.rpcUrl,
    addressesProvider: file.addresses.poolAddressesProvider,
    uiPoolDataProvider: config.inspect.uiPoolDataProvider ?? file.addresses.uiPoolDataProviderV3,
    wrappedNativeToken: config.scheduler.wrappedNativeToken ?? file.addresses.wrappedNativeToken,
    startBlock: BigInt(file.deploymentBlock ?? 0),
    startBlockGuessed: false,
    // Every sandbox run is a new chain at the same addresses: keep its state apart.
    stateDir: join(config.watcher.stateDir, "sandbox"),
    source: "sandbox",
    ...(file.uniswap?.factory &&
      file.uniswap.swapRouter &&
      file.uniswap.quoterV2 && {
        uniswap: { factory: file.uniswap.factory, router: file.uniswap.swapRouter, quoter: file.uniswap.quoterV2 },
      }),
    routingHubs: HUB_SYMBOLS.flatMap((symbol) => file.assets?.find((a) => a.symbol === symbol)?.address ?? []),
    ...(file.liquidator?.address &&
      file.liquidator.owner && { liquidator: { address: file.liquidator.address, owner: file.liquidator.owner } }),
  };
}

/**
 * A client for the target, after checking that the node answers and is on CHAIN_ID, or on the chain
 * of the known market POOL_ADDRESSES_PROVIDER names: every chain command (run, scan, inspect) starts here.
 */
export async function connectTarget(target: ChainTarget, config: KeeperConfig): Promise<PublicClient> {
  return (await connectTargetWithChainId(target, config)).connections.client;
}

/**
 * The target's connections (src/chain/connections.ts: the read client, the node, where transactions
 * go, WS_URL's heads), with the chain id the node answered (`keeper run` needs it: no second request).
 */
export async function connectTargetWithChainId(
  target: ChainTarget,
  config: KeeperConfig,
): Promise<{ connections: Connections; chainId: number }> {
  const connections = createConnections({
    rpcUrl: target.rpcUrl,
    rpcUrlFallback: target.rpcUrlFallback,
    ...(config.chain.wsUrl !== undefined && { wsUrl: config.chain.wsUrl }),
    watchPending: config.chain.watchPending,
    ...(config.executor.privateTxUrl !== undefined && { privateTxUrl: config.executor.privateTxUrl }),
    retryCount: 1,
  });
  const { client } = connections;
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    const hint = target.source === "sandbox" ? " (is `keeper sandbox` still running? it wrote that URL)" : "";
    // Retryable: `keeper run` waits for a node that is down; a command that does not wait exits 2 with this line.
    const problem = `${redactUrl(target.rpcUrl)} does not answer eth_chainId${hint}: ${(err as Error).message.split("\n")[0]}`;
    throw new ConfigError("RPC_URL", problem, { retryable: true });
  }
  if (config.chain.chainId !== undefined && config.chain.chainId !== chainId) {
    const node = `the node at ${redactUrl(target.rpcUrl)} is on chain ${chainId}`;
    if (config.chain.chainIdSetting !== "POOL_ADDRESSES_PROVIDER")
      throw new ConfigError("CHAIN_ID", `is ${config.chain.chainId} but ${node}`);
    // A market named (or recognized) from the address book: its chain must be the node's. The sandbox ignores it.
    if (target.source === "env") {
      throw new ConfigError(
        "POOL_ADDRESSES_PROVIDER",
        `market ${config.watcher.market?.name} is on chain ${config.chain.chainId}, but ${node}`,
      );
    }
  }
  return { connections, chainId };
}

/** How long the sandbox's RPC has to answer eth_chainId before its file counts as stale. */
const SANDBOX_PROBE_MS = 3_000;

async function probeSandbox(path: string, rpcUrl: string, expectedChainId: number | undefined): Promise<void> {
  let chainId: number;
  try {
    chainId = Number(await rpc<Hex>(rpcUrl, "eth_chainId", [], { timeoutMs: SANDBOX_PROBE_MS }));
  } catch {
    throw new ConfigError(
      "RPC_URL",
      `not set, and the sandbox in ${path} (${rpcUrl}) does not answer: a stale file? Start \`keeper sandbox\`, or set RPC_URL`,
    );
  }
  if (expectedChainId !== undefined && chainId !== expectedChainId) {
    throw new ConfigError(
      "RPC_URL",
      `not set, and ${rpcUrl} (from ${path}) is on chain ${chainId}, not the sandbox's ${expectedChainId}: a stale file?`,
    );
  }
}
