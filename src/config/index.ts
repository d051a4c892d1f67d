// All of keeper's settings: read once from the environment (and .env), validated, and passed down
// as a typed KeeperConfig, one section per stage (the table in settings.ts). Nothing outside
// src/config reads process.env, so settings.ts and .env.example are the complete list of knobs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { findKnownMarket, type KnownMarket } from "./markets.js";
import { ConfigError } from "./parse.js";
import { describeSettings, MARKET_NAMES_HINT, parseSettings, type SettingName, type Settings } from "./settings.js";

export { ConfigError, parseBoolean } from "./parse.js";
export { KNOWN_MARKETS, findKnownMarket, findMarketByName, marketNameOf, type KnownMarket } from "./markets.js";
export { LOG_LEVELS, SECTIONS, SETTING_NAMES, SETTINGS, type LogLevel, type SettingName, type Settings } from "./settings.js";

/**
 * The validated settings, by section (settings.ts), with what follows from them: the market a
 * POOL_ADDRESSES_PROVIDER address or name identifies, CHAIN_ID and START_BLOCK defaulted from it,
 * STATE_DIR absolute.
 */
export type KeeperConfig = Omit<Settings, "chain" | "watcher"> & {
  chain: Settings["chain"] & {
    /** Which setting chainId came from, for the one-line message when the node is on another chain. */
    chainIdSetting?: "CHAIN_ID" | "POOL_ADDRESSES_PROVIDER";
  };
  watcher: Omit<Settings["watcher"], "poolAddressesProvider"> & {
    poolAddressesProvider?: `0x${string}`;
    /** Set when POOL_ADDRESSES_PROVIDER named a known market, or its address (and chain) identify one. */
    market?: KnownMarket;
  };
};

/** The Uniswap V3 contracts the flash-loan path quotes and swaps on. */
export interface UniswapAddresses {
  factory: `0x${string}`;
  /** SwapRouter or SwapRouter02 */
  router: `0x${string}`;
  /** QuoterV2 (not `view`: called with eth_call) */
  quoter: `0x${string}`;
}

export const DEFAULT_STATE_DIR = ".keeper/state";
/** STATE_DIR is made ready (created, proven writable) by the commands that use it, not by loadConfig: it touches the disk. */
export { ensureStateDir } from "./stateDir.js";

export interface LoadConfigOptions {
  /** The .env file to read; relative paths resolve against cwd. Default ".env"; false skips it. */
  dotenvPath?: string | false;
}

/**
 * Reads .env (the environment wins over it) and validates every setting.
 * Throws the first problem, in SETTING_NAMES order, as a ConfigError whose
 * message is one line naming the setting — so the CLI can print just that.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): KeeperConfig {
  const fromFile = readDotenv(options.dotenvPath ?? ".env", options.dotenvPath !== undefined);
  // An empty variable counts as unset — also for precedence, so `RPC_URL=` in
  // the environment does not hide the value in .env.
  const settings = parseSettings((name) => nonEmpty(env[name]) ?? nonEmpty(fromFile[name]));
  const { chain, watcher, executor } = settings;
  if (chain.rpcUrl !== undefined && chain.rpcUrlFallback !== undefined && sameUrl(chain.rpcUrl, chain.rpcUrlFallback)) {
    throw new ConfigError("RPC_URL_FALLBACK", "is the same as RPC_URL (a fallback must be a different endpoint)");
  }
  const provider = watcher.poolAddressesProvider;
  let market: KnownMarket | undefined;
  if (provider !== undefined && "market" in provider) {
    market = provider.market;
    if (chain.chainId !== undefined && chain.chainId !== market.chainId) {
      throw new ConfigError(
        "POOL_ADDRESSES_PROVIDER",
        `market ${market.name} is on chain ${market.chainId}, but CHAIN_ID is ${chain.chainId}`,
      );
    }
  } else if (provider !== undefined) {
    market = findKnownMarket(provider.address, chain.chainId);
  }
  if (executor.priorityFeeGwei > executor.maxFeeGwei) {
    // EIP-1559 rejects maxPriorityFeePerGas > maxFeePerGas; say so now rather than at the first liquidation.
    throw new ConfigError("PRIORITY_FEE_GWEI", `${executor.priorityFeeGwei} is above MAX_FEE_GWEI (${executor.maxFeeGwei})`);
  }
  // Defaulting CHAIN_ID to the market's chain makes the caller's check against
  // the node catch "market ethereum, but RPC_URL points at Arbitrum".
  const chainId = chain.chainId ?? market?.chainId;
  const chainIdSetting = chain.chainId !== undefined ? "CHAIN_ID" : market !== undefined ? "POOL_ADDRESSES_PROVIDER" : undefined;
  const poolAddressesProvider =
    provider === undefined ? undefined : "market" in provider ? provider.market.poolAddressesProvider : provider.address;
  return {
    ...settings,
    chain: { ...chain, chainId, ...(chainIdSetting !== undefined && { chainIdSetting }) },
    watcher: {
      ...watcher,
      poolAddressesProvider,
      startBlock: watcher.startBlock ?? market?.deploymentBlock,
      stateDir: path.resolve(watcher.stateDir),
      ...(market !== undefined && { market }),
    },
  };
}

/**
 * Uniswap V3's canonical deployments by chain id: the same three addresses on Ethereum, Optimism,
 * Polygon and Arbitrum (Uniswap's v3 deployment docs). Other chains (Base has only SwapRouter02, whose
 * params have no deadline) take the settings.
 */
export const CANONICAL_UNISWAP_V3: ReadonlyMap<number, UniswapAddresses> = new Map(
  [1, 10, 137, 42161].map((chainId) => [
    chainId,
    {
      factory: "0x1F98431c8aD98523631AE4a59f267346ea31F984",
      router: "0xE592427A0AEce92De3Edee1F18E0157C05861564",
      quoter: "0x61fFE014bA17989E743c5F6cB21bF9697530B21e",
    },
  ]),
);

/**
 * Tokens a two-hop route may pass through, by chain: the wrapped native token (WETH) and native USDC,
 * the deepest Uniswap V3 pairs there. From @aave-dao/aave-address-book's ASSETS (WETH, and USDC on
 * Ethereum, USDCn on the L2s; test/unit/config.test.ts checks them against the book). On other chains
 * the quoter finds direct pools only.
 */
export const UNISWAP_ROUTING_HUBS: ReadonlyMap<number, readonly `0x${string}`[]> = new Map([
  [1, ["0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"]],
  [10, ["0x4200000000000000000000000000000000000006", "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85"]],
  [137, ["0x7ceB23fD6bC0adD59E62ac25578270cFf1b9f619", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359"]],
  [42161, ["0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", "0xaf88d065e77c8cC2239327C5EDb3A432268e5831"]],
]);

/**
 * The Uniswap V3 addresses for a chain: each setting, else the `fallback` (the running sandbox's, from
 * .keeper/sandbox.json), else the chain's canonical deployment. A missing one is a ConfigError naming
 * its setting: callers ask only when LIQUIDATOR_ADDRESS is set.
 */
export function resolveUniswap(config: KeeperConfig, chainId: number, fallback?: UniswapAddresses): UniswapAddresses {
  return {
    factory: resolveUniswapAddress(config, chainId, "factory", fallback),
    router: resolveUniswapAddress(config, chainId, "router", fallback),
    quoter: resolveUniswapAddress(config, chainId, "quoter", fallback),
  };
}

const UNISWAP_SETTINGS: Record<keyof UniswapAddresses, SettingName> = {
  factory: "UNISWAP_V3_FACTORY",
  router: "UNISWAP_V3_ROUTER",
  quoter: "UNISWAP_V3_QUOTER",
};

/** One of the three, for a caller that needs only it (`keeper deploy-liquidator`: the router). */
export function resolveUniswapAddress(
  config: KeeperConfig,
  chainId: number,
  key: keyof UniswapAddresses,
  fallback?: UniswapAddresses,
): `0x${string}` {
  const address = config.flash[key] ?? (fallback ?? CANONICAL_UNISWAP_V3.get(chainId))?.[key];
  if (address === undefined) {
    const why = `not set, and keeper knows no Uniswap V3 deployment on chain ${chainId} (see .env.example)`;
    throw new ConfigError(UNISWAP_SETTINGS[key], why);
  }
  return address;
}

export function requireRpcUrl(config: KeeperConfig): string {
  if (config.chain.rpcUrl === undefined) {
    throw new ConfigError("RPC_URL", "not set (required outside the sandbox; see .env.example)");
  }
  return config.chain.rpcUrl;
}

export function requirePoolAddressesProvider(config: KeeperConfig): `0x${string}` {
  if (config.watcher.poolAddressesProvider === undefined) {
    throw new ConfigError(
      "POOL_ADDRESSES_PROVIDER",
      `not set (an address, or a market name such as ethereum: ${MARKET_NAMES_HINT}; see .env.example)`,
    );
  }
  return config.watcher.poolAddressesProvider;
}

/**
 * Every setting as the start-up log line shows it, keyed by its variable name.
 * Secrets stay out: the private key is only "set"/"unset", and URLs lose path,
 * query and userinfo, where providers put API keys.
 */
export function describeConfig(config: KeeperConfig): Record<SettingName, string> {
  const { market, poolAddressesProvider } = config.watcher;
  const settings: Settings = {
    ...config,
    watcher: {
      ...config.watcher,
      poolAddressesProvider:
        market !== undefined ? { market } : poolAddressesProvider === undefined ? undefined : { address: poolAddressesProvider },
    },
  };
  return describeSettings(settings);
}

/**
 * Whether a command that failed on an unexpected error prints its stack trace: LOG_LEVEL debug or
 * trace (environment or .env). Read on its own, not by loadConfig: the failure may be a bad setting.
 */
export function stackTracesWanted(env: NodeJS.ProcessEnv = process.env, dotenvPath = ".env"): boolean {
  let raw = nonEmpty(env.LOG_LEVEL);
  try {
    raw ??= nonEmpty(readDotenv(dotenvPath, false).LOG_LEVEL);
  } catch {
    return false;
  }
  const level = raw?.toLowerCase();
  return level === "debug" || level === "trace";
}

function nonEmpty(raw: string | undefined): string | undefined {
  const trimmed = raw?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}

/** Equal up to what URL parsing normalizes away (case of scheme and host, a trailing "/"). */
function sameUrl(a: string, b: string): boolean {
  return new URL(a).href === new URL(b).href;
}

/**
 * The variables in a .env file. A missing default .env is normal; a missing
 * file the caller named explicitly, or one that cannot be read, is an error.
 * The file is parsed, not loaded into process.env: the config object is the one
 * place settings live.
 */
function readDotenv(dotenvPath: string | false, explicit: boolean): Record<string, string> {
  if (dotenvPath === false) return {};
  const file = path.resolve(dotenvPath);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !explicit) return {};
    const why = code === "ENOENT" ? "no such file" : (code ?? (err instanceof Error ? err.message : String(err)));
    throw new ConfigError(".env", `cannot read ${file}: ${why}`);
  }
  return parseDotenv(text);
}
