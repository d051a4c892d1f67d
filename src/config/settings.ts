// The settings table: every setting keeper reads, once, with its section (the stage that takes it),
// its field name there, its parser, its default and its description. The loader (index.ts), the list
// of names, the start-up description and .env.example (generated from this table by
// scripts/generate-env-example.ts; a test checks it is current) all come from here, so a new setting
// is one row here, its use in its stage, and the regenerated .env.example.
import type { Address } from "viem";
import { findMarketByName, type KnownMarket } from "./markets.js";
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
import { redactUrl } from "../util/url.js";
import type { WatchPending } from "../chain/connections.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The sections of the configuration, in the order .env.example shows them, with their titles. */
export const SECTIONS = {
  chain: "Chain",
  watcher: "Market and state",
  log: "Logging",
  executor: "Executor (used by `keeper run`)",
  scheduler: "Scheduler: what is worth sending, and how much at once",
  flash: "Flash-loan liquidations (the Liquidator contract, Uniswap V3)",
  inspect: "Tools",
} as const;
export type Section = keyof typeof SECTIONS;

/** POOL_ADDRESSES_PROVIDER as written: an address, or a market of the address book by name. */
export type ProviderSetting = { address: Address } | { market: KnownMarket };

interface Spec<S extends Section, K extends string, T, D extends T | undefined> {
  name: string;
  section: S;
  key: K;
  parse: (name: string, raw: string) => T;
  /** the value when unset (undefined: unset, or filled in by the loader from other settings) */
  default: D;
  /** how the start-up line shows the value (default: String(value), "unset"); secrets never shown */
  describe?: (value: T | undefined) => string;
  /** .env.example: what it is and what it takes, one line per array item */
  doc: readonly string[];
  /** .env.example: the "Default: ..." text */
  defaultDoc: string;
  /** .env.example: commented example lines (default: `# NAME=<default>`) */
  examples?: readonly string[];
}

function setting<S extends Section, K extends string, T, D extends T | undefined = undefined>(spec: Spec<S, K, T, D>): Spec<S, K, T, D> {
  return spec;
}

const url =
  (kind: "http" | "ws") =>
  (name: string, raw: string): string =>
    parseUrl(name, raw, kind);
const positiveInteger = (name: string, raw: string) => parseInteger(name, raw, "positive");
const nonNegativeNumber = (name: string, raw: string) => parseNumber(name, raw, "non-negative");
const positiveNumber = (name: string, raw: string) => parseNumber(name, raw, "positive");
const showUrlSetting = (u: string | undefined) => (u === undefined ? "unset" : redactUrl(u));

function parseLogLevel(name: string, raw: string): LogLevel {
  const level = raw.toLowerCase();
  const known = LOG_LEVELS.find((l) => l === level);
  if (known === undefined) throw new ConfigError(name, `${show(raw)} is not one of ${LOG_LEVELS.join(", ")}`);
  return known;
}

export const MARKET_NAMES_HINT = "`npx keeper markets` lists the names";

function parseProvider(name: string, raw: string): ProviderSetting {
  if (/^0x/i.test(raw)) return { address: parseAddress(name, raw) };
  const market = findMarketByName(raw);
  if (market === undefined)
    throw new ConfigError(name, `${show(raw)} is neither an address nor a known market name (${MARKET_NAMES_HINT})`);
  return { market };
}

const WATCH_PENDING_VALUES = ["auto", "on", "off"] as const;

function parseWatchPending(name: string, raw: string): WatchPending {
  const value = WATCH_PENDING_VALUES.find((v) => v === raw.toLowerCase());
  if (value === undefined) throw new ConfigError(name, `${show(raw)} is not one of ${WATCH_PENDING_VALUES.join(", ")}`);
  return value;
}

function parseSlippage(name: string, raw: string): number {
  const bps = parseInteger(name, raw, "non-negative");
  if (bps >= 10_000) throw new ConfigError(name, `${show(raw)} is not below 10000 (basis points: 50 = 0.5%)`);
  return bps;
}

/** Every setting, in the order the loader checks them and .env.example lists them. */
export const SETTINGS = [
  setting({
    name: "RPC_URL",
    section: "chain",
    key: "rpcUrl",
    parse: url("http"),
    default: undefined,
    describe: showUrlSetting,
    doc: [
      "JSON-RPC endpoint, http(s). Required by every command that talks to a real",
      "chain (not by `keeper sandbox`). Path, query and user:password are redacted",
      "in logs, so an API key in the URL stays out of them.",
    ],
    defaultDoc: "unset.",
    examples: ["# RPC_URL=https://eth-mainnet.example.com/v2/YOUR_KEY"],
  }),
  setting({
    name: "RPC_URL_FALLBACK",
    section: "chain",
    key: "rpcUrlFallback",
    parse: url("http"),
    default: undefined,
    describe: showUrlSetting,
    doc: ["Second http(s) endpoint, used when RPC_URL fails. Must differ from RPC_URL."],
    defaultDoc: "unset (no fallback).",
    examples: ["# RPC_URL_FALLBACK=https://another-provider.example.com/YOUR_KEY"],
  }),
  setting({
    name: "WS_URL",
    section: "chain",
    key: "wsUrl",
    parse: url("ws"),
    default: undefined,
    describe: showUrlSetting,
    doc: ["WebSocket endpoint, ws(s), for new-block subscriptions. Without it keeper", "polls RPC_URL every POLL_INTERVAL_MS."],
    defaultDoc: "unset (poll).",
    examples: ["# WS_URL=wss://eth-mainnet.example.com/v2/YOUR_KEY"],
  }),
  setting({
    name: "WATCH_PENDING",
    section: "chain",
    key: "watchPending",
    parse: parseWatchPending,
    default: "auto" as WatchPending,
    doc: [
      "auto, on or off: watch pending transactions to the market's price sources and",
      "liquidate right behind a price update, in its own block (needs the Liquidator,",
      "LIQUIDATOR_ADDRESS). auto: over WS_URL when set; on: also by polling a",
      "pending-transaction filter on RPC_URL; off: never. See the README's",
      '"Same-block liquidations" for the risks.',
    ],
    defaultDoc: "auto",
  }),
  setting({
    name: "CHAIN_ID",
    section: "chain",
    key: "chainId",
    parse: positiveInteger,
    default: undefined,
    doc: ["Expected chain id, a positive integer. keeper refuses to run when the node", "reports another one."],
    defaultDoc: "the chain of the market named in POOL_ADDRESSES_PROVIDER, else unset\n(not checked).",
    examples: ["# CHAIN_ID=1"],
  }),
  setting({
    name: "POLL_INTERVAL_MS",
    section: "chain",
    key: "pollIntervalMs",
    parse: positiveInteger,
    default: 1000,
    doc: ["How often to poll for new blocks when WS_URL is unset, in milliseconds.", "A positive integer."],
    defaultDoc: "1000",
  }),
  setting({
    name: "POOL_ADDRESSES_PROVIDER",
    section: "watcher",
    key: "poolAddressesProvider",
    parse: parseProvider,
    default: undefined,
    describe: (p) => (p === undefined ? "unset" : "market" in p ? `${p.market.poolAddressesProvider} (${p.market.name})` : p.address),
    doc: [
      "The Aave V3 market: its PoolAddressesProvider address (any Aave V3 market or",
      "fork), or the name of an Aave V3 market of @aave-dao/aave-address-book:",
      'the book\'s name without "AaveV3", words joined by "-", lowercase (ethereum,',
      'ethereum-lido, arbitrum, base, ...; case, "-", "_" and the "AaveV3" prefix do',
      "not matter, so AaveV3EthereumLido works too; mainnet = ethereum).",
      "`npx keeper markets` lists every name with its chain id. A named market's",
      "chain id is checked against the node's at start. A mixed-case address must",
      "have a correct EIP-55 checksum; an all-lowercase one is accepted as is.",
      "Arbitrum, Optimism, Polygon and Avalanche share one provider address: given as",
      "an address, set CHAIN_ID too so keeper knows which market it is.",
    ],
    defaultDoc: "unset (required by commands that watch a market).",
    examples: ["# POOL_ADDRESSES_PROVIDER=ethereum", "# POOL_ADDRESSES_PROVIDER=0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e"],
  }),
  setting({
    name: "START_BLOCK",
    section: "watcher",
    key: "startBlock",
    parse: parseBlockNumber,
    default: undefined,
    doc: ["First block to backfill the market's events from: a non-negative integer,", "decimal or 0x hex."],
    defaultDoc: "the market's deployment block where keeper knows it (ethereum:\n16291127), else unset.",
    examples: ["# START_BLOCK=16291127"],
  }),
  setting({
    name: "LOG_CHUNK_BLOCKS",
    section: "watcher",
    key: "logChunkBlocks",
    parse: positiveInteger,
    default: 2000,
    doc: [
      "Initial block range of one eth_getLogs request during backfill. A positive",
      "integer; providers that reject large ranges make keeper shrink it.",
    ],
    defaultDoc: "2000",
  }),
  setting({
    name: "STATE_DIR",
    section: "watcher",
    key: "stateDir",
    parse: (_name: string, raw: string) => raw,
    default: ".keeper/state",
    doc: [
      "Directory for keeper's saved state (borrower index, last processed block).",
      "Relative paths resolve against the current directory.",
    ],
    defaultDoc: ".keeper/state",
  }),
  setting({
    name: "LOG_LEVEL",
    section: "log",
    key: "logLevel",
    parse: parseLogLevel,
    default: "info",
    doc: ["Log level: fatal, error, warn, info, debug, trace or silent."],
    defaultDoc: "info",
  }),
  setting({
    name: "PRIVATE_KEY",
    section: "executor",
    key: "privateKey",
    parse: parsePrivateKey,
    default: undefined,
    describe: (key) => (key === undefined ? "unset" : "set"),
    doc: [
      "Private key of the account that sends liquidations: 32 bytes of hex, with or",
      "without 0x. Never logged; error messages about it do not show it.",
    ],
    defaultDoc: "unset (keeper only watches and reports).",
    examples: ["# PRIVATE_KEY=0x..."],
  }),
  setting({
    name: "DRY_RUN",
    section: "executor",
    key: "dryRun",
    parse: parseBoolean,
    default: false,
    doc: ["true/false, 1/0 or yes/no. When true, keeper finds and simulates", "liquidations but sends nothing."],
    defaultDoc: "false",
  }),
  setting({
    name: "MAX_FEE_GWEI",
    section: "executor",
    key: "maxFeeGwei",
    parse: positiveNumber,
    default: 200,
    doc: ["Cap on the EIP-1559 max fee per gas, in gwei. A positive number."],
    defaultDoc: "200",
  }),
  setting({
    name: "PRIORITY_FEE_GWEI",
    section: "executor",
    key: "priorityFeeGwei",
    parse: nonNegativeNumber,
    default: 1,
    doc: ["Priority fee (tip) per gas, in gwei. A non-negative number, at most MAX_FEE_GWEI."],
    defaultDoc: "1",
  }),
  setting({
    name: "TX_TIMEOUT_BLOCKS",
    section: "executor",
    key: "txTimeoutBlocks",
    parse: positiveInteger,
    default: 3,
    doc: [
      "Blocks to wait for a sent liquidation to be mined before replacing it with",
      "higher fees (or a cancel, when it would now revert). A positive integer.",
    ],
    defaultDoc: "3",
  }),
  setting({
    name: "PRIVATE_TX_URL",
    section: "executor",
    key: "privateTxUrl",
    parse: url("http"),
    default: undefined,
    describe: showUrlSetting,
    doc: [
      "http(s) endpoint for private transaction submission (e.g. a builder or",
      "Flashbots Protect RPC), so liquidations are not visible in the public mempool.",
    ],
    defaultDoc: "unset (send through RPC_URL).",
    examples: ["# PRIVATE_TX_URL=https://rpc.flashbots.net"],
  }),
  setting({
    name: "MIN_PROFIT_USD",
    section: "scheduler",
    key: "minProfitUsd",
    parse: nonNegativeNumber,
    default: 1,
    doc: ["Smallest expected profit, in USD after gas, worth sending a liquidation for.", "A non-negative number."],
    defaultDoc: "1",
  }),
  setting({
    name: "MAX_INFLIGHT_BLOCKS",
    section: "scheduler",
    key: "maxInflightBlocks",
    parse: positiveInteger,
    default: 2,
    doc: [
      "How much the keeper puts in flight at once, in blocks: liquidations waiting to",
      "be mined take at most this many blocks' gas (their simulated gas against the",
      "block gas limit) beyond the blocks mined while the keeper works through a block",
      "(more than one when the RPC is slow: the longest of its last 4 rounds, at most",
      "4). In a cascade the rest wait for the next round, re-planned from its state,",
      "so the fees of what is in flight can still be raised. A positive integer.",
    ],
    defaultDoc: "2",
  }),
  setting({
    name: "BATCH_MAX_ITEMS",
    section: "scheduler",
    key: "batchMaxItems",
    parse: positiveInteger,
    default: 20,
    doc: [
      "Liquidations one transaction carries at most, through the Liquidator",
      "(LIQUIDATOR_ADDRESS): a block's plans share transactions of this many, the most",
      "profitable first, each guarded in the contract (an account taken first or",
      "healthy again is skipped, the rest go through). Without a Liquidator every",
      "liquidation is a transaction of its own. A positive integer.",
    ],
    defaultDoc: "20",
  }),
  setting({
    name: "WRAPPED_NATIVE_TOKEN",
    section: "scheduler",
    key: "wrappedNativeToken",
    parse: parseAddress,
    default: undefined,
    doc: [
      "The ERC-20 wrapping the chain's gas token (WETH on Ethereum), as listed among",
      "the market's reserves: its oracle price turns gas into the base currency for",
      "the profit model. An address.",
    ],
    defaultDoc:
      "the chain's wrapped native token where keeper knows it (Ethereum,\nOptimism, BNB, Gnosis, Polygon, zkSync, Base, Arbitrum, Avalanche, Linea,\nScroll); elsewhere unset, and gas is left out of the profit (keeper says so).",
    examples: ["# WRAPPED_NATIVE_TOKEN=0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"],
  }),
  setting({
    name: "LIQUIDATOR_ADDRESS",
    section: "flash",
    key: "liquidatorAddress",
    parse: parseAddress,
    default: undefined,
    describe: (a) => a ?? "unset (wallet only)",
    doc: [
      "Address of the flash-loan Liquidator contract (contracts/liquidator), deployed",
      "for PRIVATE_KEY by `keeper deploy-liquidator`, which prints this line. When",
      "set, the UNISWAP_V3_* addresses below are needed (defaults on known chains).",
    ],
    defaultDoc: "unset (liquidate from the wallet's own tokens only).",
    examples: ["# LIQUIDATOR_ADDRESS=0x..."],
  }),
  setting({
    name: "UNISWAP_V3_FACTORY",
    section: "flash",
    key: "factory",
    parse: parseAddress,
    default: undefined,
    describe: (a) => a ?? "default",
    doc: ["Uniswap V3 factory, where keeper looks for pools to route the seized", "collateral to the debt asset."],
    defaultDoc:
      "the canonical deployment on Ethereum, Optimism, Polygon and Arbitrum\n(0x1F98431c8aD98523631AE4a59f267346ea31F984); the sandbox's own when RPC_URL\nis unset; required on other chains when LIQUIDATOR_ADDRESS is set.",
    examples: ["# UNISWAP_V3_FACTORY=0x1F98431c8aD98523631AE4a59f267346ea31F984"],
  }),
  setting({
    name: "UNISWAP_V3_ROUTER",
    section: "flash",
    key: "router",
    parse: parseAddress,
    default: undefined,
    describe: (a) => a ?? "default",
    doc: ["Uniswap V3's original SwapRouter (its params carry a deadline; not", "SwapRouter02), through which the Liquidator swaps."],
    defaultDoc:
      "0xE592427A0AEce92De3Edee1F18E0157C05861564 on Ethereum, Optimism,\nPolygon and Arbitrum; the sandbox's own; required elsewhere (Base, for\nexample, has only SwapRouter02).",
    examples: ["# UNISWAP_V3_ROUTER=0xE592427A0AEce92De3Edee1F18E0157C05861564"],
  }),
  setting({
    name: "UNISWAP_V3_QUOTER",
    section: "flash",
    key: "quoter",
    parse: parseAddress,
    default: undefined,
    describe: (a) => a ?? "default",
    doc: ["Uniswap V3 QuoterV2, asked (with eth_call) what a swap would return."],
    defaultDoc:
      "0x61fFE014bA17989E743c5F6cB21bF9697530B21e on Ethereum, Optimism,\nPolygon and Arbitrum; the sandbox's own; required elsewhere.",
    examples: ["# UNISWAP_V3_QUOTER=0x61fFE014bA17989E743c5F6cB21bF9697530B21e"],
  }),
  setting({
    name: "SWAP_SLIPPAGE_BPS",
    section: "flash",
    key: "swapSlippageBps",
    parse: parseSlippage,
    default: 50,
    doc: [
      "Slippage allowed on a flash liquidation's swap, in basis points: the",
      "contract's minAmountOut is the quote less this. An integer in [0, 9999].",
    ],
    defaultDoc: "50 (0.5%)",
  }),
  setting({
    name: "UI_POOL_DATA_PROVIDER",
    section: "inspect",
    key: "uiPoolDataProvider",
    parse: parseAddress,
    default: undefined,
    doc: [
      "Address of the market's UiPoolDataProviderV3. Only `keeper inspect` uses it,",
      "for its cross-check with Aave's JS utilities (@aave/math-utils); without it",
      "that third opinion is skipped. The sandbox's is found in .keeper/sandbox.json.",
    ],
    defaultDoc: "unset.",
    examples: ["# UI_POOL_DATA_PROVIDER=0x56b7A1012765C285afAC8b8F25C69Bf10ccfE978"],
  }),
] as const;

type AnySpec = (typeof SETTINGS)[number];
export type SettingName = AnySpec["name"];

/** The settings as parsed, by section: `config.executor.maxFeeGwei`. A setting without a default may be undefined. */
export type Settings = {
  [S in Section]: {
    [P in Extract<AnySpec, { section: S }> as P["key"]]: P["default"] extends undefined
      ? ReturnType<P["parse"]> | undefined
      : ReturnType<P["parse"]>;
  };
};

/** Every setting's name, in table order. */
export const SETTING_NAMES: readonly SettingName[] = SETTINGS.map((s) => s.name);

/**
 * Parses every setting from `get` (the raw value, trimmed and non-empty, or undefined), in table
 * order: the first bad one throws its ConfigError.
 */
export function parseSettings(get: (name: SettingName) => string | undefined): Settings {
  const out: Record<string, Record<string, unknown>> = {};
  for (const section of Object.keys(SECTIONS)) out[section] = {};
  for (const spec of SETTINGS as readonly Spec<Section, string, unknown, unknown>[]) {
    const raw = get(spec.name as SettingName);
    out[spec.section]![spec.key] = raw === undefined ? spec.default : spec.parse(spec.name, raw);
  }
  return out as Settings;
}

/** Every setting as the start-up line shows it, keyed by name; secrets stay out, URLs are redacted. */
export function describeSettings(settings: Settings): Record<SettingName, string> {
  const out = {} as Record<SettingName, string>;
  for (const spec of SETTINGS as readonly Spec<Section, string, unknown, unknown>[]) {
    const value = (settings as unknown as Record<string, Record<string, unknown>>)[spec.section]![spec.key];
    out[spec.name as SettingName] = spec.describe ? spec.describe(value) : value === undefined ? "unset" : String(value);
  }
  return out;
}

const RULE = `# ${"-".repeat(75)}`;

/** .env.example, as this table describes the settings. */
export function renderEnvExample(): string {
  const lines = [
    "# keeper settings. Copy to .env and edit; the environment wins over this file.",
    "# Every setting that exists is listed here with its default (this file is",
    "# generated from src/config/settings.ts: npx tsx scripts/generate-env-example.ts).",
    "# An empty value (NAME=) counts as unset. A bad value stops keeper at start-up",
    "# with one line naming the setting.",
  ];
  for (const [section, title] of Object.entries(SECTIONS)) {
    lines.push("", RULE, `# ${title}`, RULE);
    for (const spec of SETTINGS as readonly Spec<Section, string, unknown, unknown>[]) {
      if (spec.section !== section) continue;
      lines.push("", ...spec.doc.map((l) => `# ${l}`));
      const [first, ...rest] = spec.defaultDoc.split("\n");
      lines.push(`# Default: ${first}`, ...rest.map((l) => `# ${l}`));
      lines.push(...(spec.examples ?? [`# ${spec.name}=${String(spec.default)}`]));
    }
  }
  lines.push(
    "",
    RULE,
    "# Tests only",
    RULE,
    "",
    "# Tests only: an RPC URL of a real network. When set, the fork tests also fork it",
    "# (anvil --fork-url) and read Aave V3 there; when unset they are skipped and say so.",
    "# FORK_URL=",
  );
  return `${lines.join("\n")}\n`;
}

/** Every setting at its default: what library callers (the sandbox, benchmarks) start from. */
export function defaultSettings(): Settings {
  return parseSettings(() => undefined);
}
