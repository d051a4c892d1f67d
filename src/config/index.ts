// All of keeper's settings: read once from the environment (and .env), validated,
// and passed down as a typed KeeperConfig. Nothing outside src/config reads
// process.env, so this file and .env.example are the complete list of knobs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { redactUrl } from "../util/url.js";
import { findKnownMarket, findMarketByName, type KnownMarket } from "./markets.js";
import {
  ConfigError,
  parseAddress,
  parseBlockNumber,
  parseBoolean,
  parseInteger,
  parseNumber,
  parsePrivateKey,
  parseUrl,
  show,
} from "./parse.js";

export { ConfigError, parseBoolean } from "./parse.js";
export { KNOWN_MARKETS, findKnownMarket, findMarketByName, marketNameOf, type KnownMarket } from "./markets.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface KeeperConfig {
  /** RPC_URL. Optional here because the sandbox needs none; chain commands call requireRpcUrl. */
  rpcUrl?: string;
  rpcUrlFallback?: string;
  wsUrl?: string;
  /** CHAIN_ID, or the known market's chain when unset; the caller checks it against the node. */
  chainId?: number;
  /** Which setting chainId came from, for the one-line message when the node is on another chain. */
  chainIdSetting?: "CHAIN_ID" | "POOL_ADDRESSES_PROVIDER";
  poolAddressesProvider?: `0x${string}`;
  /** Set when POOL_ADDRESSES_PROVIDER named a known market, or its address (and chain) identify one. */
  market?: KnownMarket;
  /** UI_POOL_DATA_PROVIDER: only `keeper inspect` uses it (Aave's JS utilities read through it). */
  uiPoolDataProvider?: `0x${string}`;
  /** START_BLOCK, or the known market's deployment block; undefined leaves the choice to the caller. */
  startBlock?: bigint;
  /** Absolute. */
  stateDir: string;
  logLevel: LogLevel;
  privateKey?: `0x${string}`;
  dryRun: boolean;
  minProfitUsd: number;
  maxFeeGwei: number;
  priorityFeeGwei: number;
  txTimeoutBlocks: number;
  privateTxUrl?: string;
  pollIntervalMs: number;
  logChunkBlocks: number;
  /** MAX_INFLIGHT_BLOCKS: liquidations in flight at most fill this many blocks (their simulated gas) beyond those a round spans */
  maxInflightBlocks: number;
  /** WRAPPED_NATIVE_TOKEN: the reserve that prices gas; unset = the chain's known one (src/config/chains.ts) */
  wrappedNativeToken?: `0x${string}`;
  /** LIQUIDATOR_ADDRESS: the flash-loan Liquidator contract; unset = liquidate from the wallet only. */
  liquidatorAddress?: `0x${string}`;
  /** UNISWAP_V3_FACTORY / _ROUTER / _QUOTER as set; resolveUniswap fills the chain's defaults. */
  uniswap: Partial<UniswapAddresses>;
  /** SWAP_SLIPPAGE_BPS: the flash path's minAmountOut is the quote less this many basis points. */
  swapSlippageBps: number;
}

/** The Uniswap V3 contracts the flash-loan path quotes and swaps on. */
export interface UniswapAddresses {
  factory: `0x${string}`;
  /** the periphery's original SwapRouter (its params carry a deadline), not SwapRouter02 */
  router: `0x${string}`;
  /** QuoterV2 (not `view`: called with eth_call) */
  quoter: `0x${string}`;
}

/** Every setting loadConfig reads, in the order it checks them (and .env.example lists them). */
export const SETTING_NAMES = [
  "RPC_URL",
  "RPC_URL_FALLBACK",
  "WS_URL",
  "CHAIN_ID",
  "POOL_ADDRESSES_PROVIDER",
  "UI_POOL_DATA_PROVIDER",
  "START_BLOCK",
  "STATE_DIR",
  "LOG_LEVEL",
  "PRIVATE_KEY",
  "DRY_RUN",
  "MIN_PROFIT_USD",
  "MAX_FEE_GWEI",
  "PRIORITY_FEE_GWEI",
  "TX_TIMEOUT_BLOCKS",
  "PRIVATE_TX_URL",
  "POLL_INTERVAL_MS",
  "LOG_CHUNK_BLOCKS",
  "MAX_INFLIGHT_BLOCKS",
  "WRAPPED_NATIVE_TOKEN",
  "LIQUIDATOR_ADDRESS",
  "UNISWAP_V3_FACTORY",
  "UNISWAP_V3_ROUTER",
  "UNISWAP_V3_QUOTER",
  "SWAP_SLIPPAGE_BPS",
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

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
  const get = (name: SettingName): string | undefined => nonEmpty(env[name]) ?? nonEmpty(fromFile[name]);

  const optional = <T>(name: SettingName, parse: (name: SettingName, raw: string) => T): T | undefined => {
    const raw = get(name);
    return raw === undefined ? undefined : parse(name, raw);
  };
  const withDefault = <T>(name: SettingName, parse: (name: SettingName, raw: string) => T, fallback: T): T =>
    optional(name, parse) ?? fallback;

  const rpcUrl = optional("RPC_URL", (n, raw) => parseUrl(n, raw, "http"));
  const rpcUrlFallback = optional("RPC_URL_FALLBACK", (n, raw) => parseUrl(n, raw, "http"));
  if (rpcUrl !== undefined && rpcUrlFallback !== undefined && sameUrl(rpcUrl, rpcUrlFallback)) {
    throw new ConfigError("RPC_URL_FALLBACK", "is the same as RPC_URL (a fallback must be a different endpoint)");
  }
  const wsUrl = optional("WS_URL", (n, raw) => parseUrl(n, raw, "ws"));
  const configuredChainId = optional("CHAIN_ID", (n, raw) => parseInteger(n, raw, "positive"));

  let poolAddressesProvider: `0x${string}` | undefined;
  let market: KnownMarket | undefined;
  const providerRaw = get("POOL_ADDRESSES_PROVIDER");
  if (providerRaw !== undefined) {
    if (/^0x/i.test(providerRaw)) {
      poolAddressesProvider = parseAddress("POOL_ADDRESSES_PROVIDER", providerRaw);
      market = findKnownMarket(poolAddressesProvider, configuredChainId);
    } else {
      market = findMarketByName(providerRaw);
      if (market === undefined) {
        throw new ConfigError(
          "POOL_ADDRESSES_PROVIDER",
          `${show(providerRaw)} is neither an address nor a known market name (${MARKET_NAMES_HINT})`,
        );
      }
      if (configuredChainId !== undefined && configuredChainId !== market.chainId) {
        throw new ConfigError(
          "POOL_ADDRESSES_PROVIDER",
          `market ${market.name} is on chain ${market.chainId}, but CHAIN_ID is ${configuredChainId}`,
        );
      }
      poolAddressesProvider = market.poolAddressesProvider;
    }
  }
  // Defaulting CHAIN_ID to the market's chain makes the caller's check against
  // the node catch "market ethereum, but RPC_URL points at Arbitrum".
  const chainId = configuredChainId ?? market?.chainId;
  const chainIdSetting = configuredChainId !== undefined ? "CHAIN_ID" : market !== undefined ? "POOL_ADDRESSES_PROVIDER" : undefined;

  const uiPoolDataProvider = optional("UI_POOL_DATA_PROVIDER", parseAddress);
  const startBlock = optional("START_BLOCK", parseBlockNumber) ?? market?.deploymentBlock;
  const stateDir = path.resolve(get("STATE_DIR") ?? DEFAULT_STATE_DIR);
  const logLevel = withDefault("LOG_LEVEL", parseLogLevel, "info");

  const privateKey = optional("PRIVATE_KEY", parsePrivateKey);
  const dryRun = withDefault("DRY_RUN", parseBoolean, false);
  const minProfitUsd = withDefault("MIN_PROFIT_USD", (n, raw) => parseNumber(n, raw, "non-negative"), 1);
  const maxFeeGwei = withDefault("MAX_FEE_GWEI", (n, raw) => parseNumber(n, raw, "positive"), 200);
  const priorityFeeGwei = withDefault("PRIORITY_FEE_GWEI", (n, raw) => parseNumber(n, raw, "non-negative"), 1);
  if (priorityFeeGwei > maxFeeGwei) {
    // EIP-1559 rejects maxPriorityFeePerGas > maxFeePerGas; say so now rather than at the first liquidation.
    throw new ConfigError("PRIORITY_FEE_GWEI", `${priorityFeeGwei} is above MAX_FEE_GWEI (${maxFeeGwei})`);
  }
  const txTimeoutBlocks = withDefault("TX_TIMEOUT_BLOCKS", (n, raw) => parseInteger(n, raw, "positive"), 3);
  const privateTxUrl = optional("PRIVATE_TX_URL", (n, raw) => parseUrl(n, raw, "http"));
  const pollIntervalMs = withDefault("POLL_INTERVAL_MS", (n, raw) => parseInteger(n, raw, "positive"), 1000);
  const logChunkBlocks = withDefault("LOG_CHUNK_BLOCKS", (n, raw) => parseInteger(n, raw, "positive"), 2000);
  const maxInflightBlocks = withDefault("MAX_INFLIGHT_BLOCKS", (n, raw) => parseInteger(n, raw, "positive"), 2);
  const wrappedNativeToken = optional("WRAPPED_NATIVE_TOKEN", parseAddress);
  const liquidatorAddress = optional("LIQUIDATOR_ADDRESS", parseAddress);
  const factory = optional("UNISWAP_V3_FACTORY", parseAddress);
  const router = optional("UNISWAP_V3_ROUTER", parseAddress);
  const quoter = optional("UNISWAP_V3_QUOTER", parseAddress);
  const swapSlippageBps = withDefault(
    "SWAP_SLIPPAGE_BPS",
    (n, raw) => {
      const bps = parseInteger(n, raw, "non-negative");
      if (bps >= 10_000) throw new ConfigError(n, `${show(raw)} is not below 10000 (basis points: 50 = 0.5%)`);
      return bps;
    },
    50,
  );

  return {
    ...(rpcUrl !== undefined && { rpcUrl }),
    ...(rpcUrlFallback !== undefined && { rpcUrlFallback }),
    ...(wsUrl !== undefined && { wsUrl }),
    ...(chainId !== undefined && { chainId }),
    ...(chainIdSetting !== undefined && { chainIdSetting }),
    ...(poolAddressesProvider !== undefined && { poolAddressesProvider }),
    ...(market !== undefined && { market }),
    ...(uiPoolDataProvider !== undefined && { uiPoolDataProvider }),
    ...(startBlock !== undefined && { startBlock }),
    stateDir,
    logLevel,
    ...(privateKey !== undefined && { privateKey }),
    dryRun,
    minProfitUsd,
    maxFeeGwei,
    priorityFeeGwei,
    txTimeoutBlocks,
    ...(privateTxUrl !== undefined && { privateTxUrl }),
    pollIntervalMs,
    logChunkBlocks,
    maxInflightBlocks,
    ...(wrappedNativeToken !== undefined && { wrappedNativeToken }),
    ...(liquidatorAddress !== undefined && { liquidatorAddress }),
    uniswap: {
      ...(factory !== undefined && { factory }),
      ...(router !== undefined && { router }),
      ...(quoter !== undefined && { quoter }),
    },
    swapSlippageBps,
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
  const address = config.uniswap[key] ?? (fallback ?? CANONICAL_UNISWAP_V3.get(chainId))?.[key];
  if (address === undefined) {
    const why = `not set, and keeper knows no Uniswap V3 deployment on chain ${chainId} (see .env.example)`;
    throw new ConfigError(UNISWAP_SETTINGS[key], why);
  }
  return address;
}

export function requireRpcUrl(config: KeeperConfig): string {
  if (config.rpcUrl === undefined) {
    throw new ConfigError("RPC_URL", "not set (required outside the sandbox; see .env.example)");
  }
  return config.rpcUrl;
}

export function requirePoolAddressesProvider(config: KeeperConfig): `0x${string}` {
  if (config.poolAddressesProvider === undefined) {
    throw new ConfigError(
      "POOL_ADDRESSES_PROVIDER",
      `not set (an address, or a market name such as ethereum: ${MARKET_NAMES_HINT}; see .env.example)`,
    );
  }
  return config.poolAddressesProvider;
}

/**
 * Every setting as the start-up log line shows it, keyed by its variable name.
 * Secrets stay out: the private key is only "set"/"unset", and URLs lose path,
 * query and userinfo, where providers put API keys.
 */
export function describeConfig(config: KeeperConfig): Record<string, string> {
  const url = (u: string | undefined) => (u === undefined ? "unset" : redactUrl(u));
  const opt = (v: { toString(): string } | undefined) => (v === undefined ? "unset" : v.toString());
  const provider =
    config.poolAddressesProvider === undefined
      ? "unset"
      : config.market === undefined
        ? config.poolAddressesProvider
        : `${config.poolAddressesProvider} (${config.market.name})`;
  const described: Record<SettingName, string> = {
    RPC_URL: url(config.rpcUrl),
    RPC_URL_FALLBACK: url(config.rpcUrlFallback),
    WS_URL: url(config.wsUrl),
    CHAIN_ID: opt(config.chainId),
    POOL_ADDRESSES_PROVIDER: provider,
    UI_POOL_DATA_PROVIDER: opt(config.uiPoolDataProvider),
    START_BLOCK: opt(config.startBlock),
    STATE_DIR: config.stateDir,
    LOG_LEVEL: config.logLevel,
    PRIVATE_KEY: config.privateKey === undefined ? "unset" : "set",
    DRY_RUN: String(config.dryRun),
    MIN_PROFIT_USD: String(config.minProfitUsd),
    MAX_FEE_GWEI: String(config.maxFeeGwei),
    PRIORITY_FEE_GWEI: String(config.priorityFeeGwei),
    TX_TIMEOUT_BLOCKS: String(config.txTimeoutBlocks),
    PRIVATE_TX_URL: url(config.privateTxUrl),
    POLL_INTERVAL_MS: String(config.pollIntervalMs),
    LOG_CHUNK_BLOCKS: String(config.logChunkBlocks),
    MAX_INFLIGHT_BLOCKS: String(config.maxInflightBlocks),
    WRAPPED_NATIVE_TOKEN: opt(config.wrappedNativeToken),
    LIQUIDATOR_ADDRESS: config.liquidatorAddress ?? "unset (wallet only)",
    UNISWAP_V3_FACTORY: config.uniswap.factory ?? "default",
    UNISWAP_V3_ROUTER: config.uniswap.router ?? "default",
    UNISWAP_V3_QUOTER: config.uniswap.quoter ?? "default",
    SWAP_SLIPPAGE_BPS: String(config.swapSlippageBps),
  };
  return described;
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

function parseLogLevel(name: string, raw: string): LogLevel {
  const level = raw.toLowerCase();
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined) throw new ConfigError(name, `${show(raw)} is not one of ${LOG_LEVELS.join(", ")}`);
  return known;
}

const MARKET_NAMES_HINT = "`npx keeper markets` lists the names";

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
