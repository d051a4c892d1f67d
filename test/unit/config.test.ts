import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getAddress } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  KNOWN_MARKETS,
  SETTING_NAMES,
  describeConfig,
  findKnownMarket,
  findMarketByName,
  loadConfig,
  marketNameOf,
  requirePoolAddressesProvider,
  requireRpcUrl,
  resolveUniswap,
  UNISWAP_ROUTING_HUBS,
  type KeeperConfig,
} from "../../src/config/index.js";
import { ADDRESS_BOOK_V3_MARKETS } from "../../src/config/addressBook.js";
import { REPO_ROOT } from "../../scripts/compile-contracts.js";
import { ADDRESS_BOOK_FILE, addressBookText } from "../../scripts/generate-known-markets.js";
import { ENV_EXAMPLE_FILE } from "../../scripts/generate-env-example.js";
import { renderEnvExample, SETTINGS } from "../../src/config/settings.js";

// anvil's first dev account: public knowledge, but treated here as a secret that must never leak.
const KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ETH_PROVIDER = "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e";
const L2_PROVIDER = "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb";
const NO_SCHEME = " (no scheme: put http:// or https:// in front)";

function load(env: Record<string, string | undefined>): KeeperConfig {
  return loadConfig(env, { dotenvPath: false });
}

/** Loads `env`, expects a ConfigError for `setting`, checks the one-line shape, and returns the message. */
function failure(env: Record<string, string | undefined>): ConfigError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.message).not.toContain("\n");
    expect(e.message.startsWith(`${e.setting}: `)).toBe(true);
    return e;
  }
  throw new Error(`expected loadConfig to fail for ${JSON.stringify(env)}`);
}

function expectError(env: Record<string, string | undefined>, message: string): void {
  const e = failure(env);
  expect(e.message).toBe(message);
  expect(e.setting).toBe(message.slice(0, message.indexOf(":")));
}

describe("loadConfig defaults", () => {
  it("fills every default from an empty environment", () => {
    // undefined fields (settings without a default) are left out by toEqual
    expect(load({})).toEqual({
      chain: { pollIntervalMs: 1000, watchPending: "auto" },
      watcher: { stateDir: path.resolve(".keeper/state"), logChunkBlocks: 2000 },
      log: { logLevel: "info" },
      executor: { dryRun: false, maxFeeGwei: 200, priorityFeeGwei: 1, txTimeoutBlocks: 3 },
      scheduler: { minProfitUsd: 1, maxInflightBlocks: 2, batchMaxItems: 20 },
      flash: { swapSlippageBps: 50 },
      inspect: {},
    });
  });

  it("treats empty and blank values as unset", () => {
    const env = Object.fromEntries(SETTING_NAMES.map((n) => [n, n === "RPC_URL" ? " " : ""]));
    expect(load(env)).toEqual(load({}));
  });

  it("trims values", () => {
    const c = load({ RPC_URL: "  http://localhost:8545 \t", CHAIN_ID: " 1 ", LOG_LEVEL: " debug " });
    expect(c.chain.rpcUrl).toBe("http://localhost:8545");
    expect(c.chain.chainId).toBe(1);
    expect(c.log.logLevel).toBe("debug");
  });
});

describe("URLs", () => {
  it("accepts http(s) for RPC_URL, RPC_URL_FALLBACK, PRIVATE_TX_URL and ws(s) for WS_URL", () => {
    const c = load({
      RPC_URL: "https://eth.example.com/v3/key",
      RPC_URL_FALLBACK: "http://127.0.0.1:8545",
      WS_URL: "wss://eth.example.com/ws/key",
      PRIVATE_TX_URL: "https://rpc.flashbots.net",
    });
    expect(c.chain.rpcUrl).toBe("https://eth.example.com/v3/key");
    expect(c.chain.rpcUrlFallback).toBe("http://127.0.0.1:8545");
    expect(c.chain.wsUrl).toBe("wss://eth.example.com/ws/key");
    expect(c.executor.privateTxUrl).toBe("https://rpc.flashbots.net");
  });

  it("rejects wrong protocols and non-URLs with one line", () => {
    expectError({ RPC_URL: "htp://x" }, 'RPC_URL: "htp://x" is not an http(s) URL');
    expectError({ RPC_URL: "ws://localhost:8546" }, 'RPC_URL: "ws://localhost:8546" is not an http(s) URL');
    expectError({ RPC_URL_FALLBACK: "localhost:8545" }, `RPC_URL_FALLBACK: "localhost:8545" is not an http(s) URL${NO_SCHEME}`);
    expectError({ WS_URL: "https://x.example" }, 'WS_URL: "https://x.example" is not a ws(s) URL');
    expectError({ PRIVATE_TX_URL: "not a url" }, `PRIVATE_TX_URL: "not a url" is not an http(s) URL${NO_SCHEME}`);
  });

  it("keeps API keys in URLs out of error messages", () => {
    expectError({ RPC_URL: "ftp://host.example/v3/SECRETKEY" }, 'RPC_URL: "ftp://host.example/…" is not an http(s) URL');
    expectError({ RPC_URL: "mainnet.example.io/v3/SECRETKEY" }, `RPC_URL: "mainnet.example.io…" is not an http(s) URL${NO_SCHEME}`);
    expectError({ WS_URL: "https://user:pw@host.example" }, 'WS_URL: "https://host.example/…" is not a ws(s) URL');
  });

  it("rejects a fallback equal to RPC_URL, also up to normalization", () => {
    expectError(
      { RPC_URL: "http://a.example/k", RPC_URL_FALLBACK: "http://a.example/k" },
      "RPC_URL_FALLBACK: is the same as RPC_URL (a fallback must be a different endpoint)",
    );
    expect(failure({ RPC_URL: "HTTP://A.example", RPC_URL_FALLBACK: "http://a.example/" }).setting).toBe("RPC_URL_FALLBACK");
  });

  it("keeps a value with a newline (possible in a quoted .env value) on one line", () => {
    expectError({ RPC_URL: "a\nb" }, `RPC_URL: "a\\nb" is not an http(s) URL${NO_SCHEME}`);
  });
});

describe("numbers", () => {
  it("parses good values", () => {
    const c = load({
      CHAIN_ID: "137",
      MIN_PROFIT_USD: "0",
      MAX_FEE_GWEI: "1.5e2",
      PRIORITY_FEE_GWEI: "0.01",
      TX_TIMEOUT_BLOCKS: "+5",
      POLL_INTERVAL_MS: "250",
      LOG_CHUNK_BLOCKS: "10000",
      MAX_INFLIGHT_BLOCKS: "4",
      WRAPPED_NATIVE_TOKEN: "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
    });
    expect(c).toMatchObject({
      scheduler: { maxInflightBlocks: 4, wrappedNativeToken: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", minProfitUsd: 0 },
      chain: { chainId: 137, pollIntervalMs: 250 },
      executor: { maxFeeGwei: 150, priorityFeeGwei: 0.01, txTimeoutBlocks: 5 },
      watcher: { logChunkBlocks: 10000 },
    });
  });

  it.each([
    [{ CHAIN_ID: "0" }, 'CHAIN_ID: "0" is not a positive integer'],
    [{ CHAIN_ID: "1.5" }, 'CHAIN_ID: "1.5" is not a positive integer'],
    [{ CHAIN_ID: "0x1" }, 'CHAIN_ID: "0x1" is not a positive integer'],
    [{ CHAIN_ID: "99999999999999999999" }, 'CHAIN_ID: "99999999999999999999" is not a positive integer'],
    [{ MIN_PROFIT_USD: "-1" }, 'MIN_PROFIT_USD: "-1" is not a non-negative number'],
    [{ MIN_PROFIT_USD: "1e3abc" }, 'MIN_PROFIT_USD: "1e3abc" is not a non-negative number'],
    [{ MIN_PROFIT_USD: "NaN" }, 'MIN_PROFIT_USD: "NaN" is not a non-negative number'],
    [{ MIN_PROFIT_USD: "Infinity" }, 'MIN_PROFIT_USD: "Infinity" is not a non-negative number'],
    [{ MAX_FEE_GWEI: "0" }, 'MAX_FEE_GWEI: "0" is not a positive number'],
    [{ MAX_FEE_GWEI: "1,5" }, 'MAX_FEE_GWEI: "1,5" is not a positive number'],
    [{ PRIORITY_FEE_GWEI: "-0.1" }, 'PRIORITY_FEE_GWEI: "-0.1" is not a non-negative number'],
    [{ PRIORITY_FEE_GWEI: "300" }, "PRIORITY_FEE_GWEI: 300 is above MAX_FEE_GWEI (200)"],
    [{ TX_TIMEOUT_BLOCKS: "0" }, 'TX_TIMEOUT_BLOCKS: "0" is not a positive integer'],
    [{ TX_TIMEOUT_BLOCKS: "1e3" }, 'TX_TIMEOUT_BLOCKS: "1e3" is not a positive integer'],
    [{ POLL_INTERVAL_MS: "-100" }, 'POLL_INTERVAL_MS: "-100" is not a positive integer'],
    [{ POLL_INTERVAL_MS: "1s" }, 'POLL_INTERVAL_MS: "1s" is not a positive integer'],
    [{ LOG_CHUNK_BLOCKS: "0" }, 'LOG_CHUNK_BLOCKS: "0" is not a positive integer'],
    [{ MAX_INFLIGHT_BLOCKS: "0" }, 'MAX_INFLIGHT_BLOCKS: "0" is not a positive integer'],
    [{ MAX_INFLIGHT_BLOCKS: "1.5" }, 'MAX_INFLIGHT_BLOCKS: "1.5" is not a positive integer'],
  ])("rejects %j", (env, message) => {
    expectError(env, message);
  });

  it("cuts very long values in messages", () => {
    const e = failure({ CHAIN_ID: "9".repeat(500) });
    expect(e.message).toBe(`CHAIN_ID: "${"9".repeat(80)}…" is not a positive integer`);
  });
});

describe("START_BLOCK", () => {
  it("accepts decimal and 0x hex", () => {
    expect(load({ START_BLOCK: "0" }).watcher.startBlock).toBe(0n);
    expect(load({ START_BLOCK: "19000000" }).watcher.startBlock).toBe(19_000_000n);
    expect(load({ START_BLOCK: "0x10" }).watcher.startBlock).toBe(16n);
  });

  it("rejects others", () => {
    for (const raw of ["-1", "1.0", "abc", "0x", "1e6"]) {
      const shown = JSON.stringify(raw);
      expectError({ START_BLOCK: raw }, `START_BLOCK: ${shown} is not a non-negative integer (decimal or 0x hex)`);
    }
  });

  it("is undefined without a known market", () => {
    expect(load({ POOL_ADDRESSES_PROVIDER: `0x${"12".repeat(20)}` }).watcher.startBlock).toBeUndefined();
  });
});

describe("POOL_ADDRESSES_PROVIDER", () => {
  it.each(["ethereum", "Ethereum", "MAINNET", "aavev3ethereum", "AaveV3Ethereum"])(
    "resolves the market name %s with its provider, chain and deployment block",
    (name) => {
      const c = load({ POOL_ADDRESSES_PROVIDER: name });
      expect(c.watcher.poolAddressesProvider).toBe(ETH_PROVIDER);
      expect(c.watcher.market?.name).toBe("ethereum");
      expect(c.watcher.market?.pool).toBe("0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2");
      expect(c.chain.chainId).toBe(1);
      expect(c.watcher.startBlock).toBe(16291127n);
    },
  );

  it("lets an explicit START_BLOCK override the market's deployment block", () => {
    expect(load({ POOL_ADDRESSES_PROVIDER: "ethereum", START_BLOCK: "20000000" }).watcher.startBlock).toBe(20_000_000n);
  });

  it("resolves markets without a known deployment block, leaving START_BLOCK to the caller", () => {
    const c = load({ POOL_ADDRESSES_PROVIDER: "arbitrum" });
    expect(c.watcher.poolAddressesProvider).toBe(L2_PROVIDER);
    expect(c.chain.chainId).toBe(42161);
    expect(c.watcher.startBlock).toBeUndefined();
  });

  it("checksums a lowercase address and recognizes a known market by it", () => {
    const c = load({ POOL_ADDRESSES_PROVIDER: ETH_PROVIDER.toLowerCase() });
    expect(c.watcher.poolAddressesProvider).toBe(ETH_PROVIDER);
    expect(c.watcher.market?.name).toBe("ethereum");
    expect(c.watcher.startBlock).toBe(16291127n);
  });

  it("needs CHAIN_ID to tell apart markets that share a provider address", () => {
    expect(load({ POOL_ADDRESSES_PROVIDER: L2_PROVIDER }).watcher.market).toBeUndefined();
    expect(load({ POOL_ADDRESSES_PROVIDER: L2_PROVIDER, CHAIN_ID: "10" }).watcher.market?.name).toBe("optimism");
    expect(findKnownMarket(L2_PROVIDER, 137)?.name).toBe("polygon");
  });

  it("takes an unknown address as a custom market", () => {
    const address = getAddress(`0x${"ab".repeat(20)}`);
    const c = load({ POOL_ADDRESSES_PROVIDER: address, CHAIN_ID: "31337" });
    expect(c.watcher.poolAddressesProvider).toBe(address);
    expect(c.watcher.market).toBeUndefined();
    expect(c.chain.chainId).toBe(31337);
  });

  it("rejects a bad checksum, a malformed address and an unknown market name", () => {
    const bad = "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9E"; // last digit's case flipped
    expectError(
      { POOL_ADDRESSES_PROVIDER: bad },
      `POOL_ADDRESSES_PROVIDER: "${bad}" has a wrong EIP-55 checksum` +
        ` (expected ${ETH_PROVIDER}; write it all-lowercase to skip the check)`,
    );
    expectError({ POOL_ADDRESSES_PROVIDER: "0x1234" }, 'POOL_ADDRESSES_PROVIDER: "0x1234" is not an address (0x and 40 hex digits)');
    expectError(
      { POOL_ADDRESSES_PROVIDER: "ethereum-core" },
      'POOL_ADDRESSES_PROVIDER: "ethereum-core" is neither an address nor a known market name (`npx keeper markets` lists the names)',
    );
    // Only whole names: "etherfi" without its network is not one.
    expectError(
      { POOL_ADDRESSES_PROVIDER: "etherfi" },
      'POOL_ADDRESSES_PROVIDER: "etherfi" is neither an address nor a known market name (`npx keeper markets` lists the names)',
    );
    expectError(
      { POOL_ADDRESSES_PROVIDER: "AaveV2Ethereum" },
      'POOL_ADDRESSES_PROVIDER: "AaveV2Ethereum" is neither an address nor a known market name (`npx keeper markets` lists the names)',
    );
  });

  it("rejects a market name on another chain than CHAIN_ID", () => {
    expectError(
      { POOL_ADDRESSES_PROVIDER: "ethereum", CHAIN_ID: "42161" },
      "POOL_ADDRESSES_PROVIDER: market ethereum is on chain 1, but CHAIN_ID is 42161",
    );
  });

  it("says which setting the chain id comes from (the node check names it)", () => {
    expect(load({ POOL_ADDRESSES_PROVIDER: "ethereum" }).chain.chainIdSetting).toBe("POOL_ADDRESSES_PROVIDER");
    expect(load({ POOL_ADDRESSES_PROVIDER: "ethereum", CHAIN_ID: "1" }).chain.chainIdSetting).toBe("CHAIN_ID");
    expect(load({ POOL_ADDRESSES_PROVIDER: `0x${"12".repeat(20)}` }).chain.chainIdSetting).toBeUndefined();
  });
});

describe("known markets: the address book", () => {
  const book = ADDRESS_BOOK_V3_MARKETS;

  it("src/config/addressBook.ts is what scripts/generate-known-markets.ts writes from the installed book", () => {
    expect(readFileSync(path.join(REPO_ROOT, ADDRESS_BOOK_FILE), "utf8")).toBe(addressBookText());
  });

  it("holds every Aave V3 market the book exports, with its chain id, provider and pool", async () => {
    const all = (await import("@aave-dao/aave-address-book")) as unknown as Record<string, Record<string, unknown>>;
    const v3 = Object.keys(all).filter((k) => /^AaveV3[A-Z]/.test(k) && all[k]!.POOL_ADDRESSES_PROVIDER !== undefined);
    expect(v3.length).toBeGreaterThanOrEqual(25);
    expect(KNOWN_MARKETS.map((m) => m.bookName).sort()).toEqual(v3.sort());
    for (const m of KNOWN_MARKETS) {
      const entry = all[m.bookName]!;
      expect([m.chainId, m.poolAddressesProvider, m.pool]).toEqual([entry.CHAIN_ID, entry.POOL_ADDRESSES_PROVIDER, entry.POOL]);
    }
  });

  it("names: the book name without AaveV3, words joined by '-', lowercase", () => {
    expect(marketNameOf("AaveV3Ethereum")).toBe("ethereum");
    expect(marketNameOf("AaveV3EthereumLido")).toBe("ethereum-lido");
    expect(marketNameOf("AaveV3EthereumEtherFi")).toBe("ethereum-ether-fi");
    expect(marketNameOf("AaveV3BNB")).toBe("bnb");
    expect(marketNameOf("AaveV3XLayer")).toBe("x-layer");
    expect(marketNameOf("AaveV3ZkSync")).toBe("zk-sync");
    expect(marketNameOf("AaveV3BaseSepoliaLido")).toBe("base-sepolia-lido");
  });

  it.each([
    ["ethereum", "AaveV3Ethereum"],
    ["mainnet", "AaveV3Ethereum"],
    ["arbitrum", "AaveV3Arbitrum"],
    ["optimism", "AaveV3Optimism"],
    ["polygon", "AaveV3Polygon"],
    ["avalanche", "AaveV3Avalanche"],
    ["base", "AaveV3Base"],
    ["AaveV3Base", "AaveV3Base"],
    ["ethereum-lido", "AaveV3EthereumLido"],
    ["EthereumLido", "AaveV3EthereumLido"],
    ["aave-v3-ethereum-lido", "AaveV3EthereumLido"],
    ["ethereum-etherfi", "AaveV3EthereumEtherFi"],
    ["zksync", "AaveV3ZkSync"],
    ["bnb", "AaveV3BNB"],
    ["gnosis", "AaveV3Gnosis"],
    ["sonic", "AaveV3Sonic"],
    ["linea", "AaveV3Linea"],
    ["xlayer", "AaveV3XLayer"],
  ])("POOL_ADDRESSES_PROVIDER=%s is %s, with its chain id", (name, bookName) => {
    const entry = book.find((m) => m.book === bookName);
    const c = load({ POOL_ADDRESSES_PROVIDER: name });
    expect(c.watcher.market?.bookName).toBe(bookName);
    expect(c.watcher.poolAddressesProvider).toBe(entry?.poolAddressesProvider);
    expect(c.chain.chainId).toBe(entry?.chainId);
  });

  it("every market resolves by its name and its book name; no two share a name", () => {
    const keys = new Set<string>();
    for (const m of KNOWN_MARKETS) {
      expect(findMarketByName(m.name)).toBe(m);
      expect(findMarketByName(m.bookName)).toBe(m);
      for (const n of [m.name, ...m.aliases]) {
        const key = n.replace(/-/g, "");
        expect(keys.has(key), n).toBe(false);
        keys.add(key);
      }
      expect(getAddress(m.poolAddressesProvider)).toBe(m.poolAddressesProvider);
      expect(getAddress(m.pool)).toBe(m.pool);
    }
  });

  it("keeps the deployment block we know (ethereum) and leaves the others to START_BLOCK", () => {
    expect(KNOWN_MARKETS.find((m) => m.name === "ethereum")).toMatchObject({
      chainId: 1,
      poolAddressesProvider: ETH_PROVIDER,
      deploymentBlock: 16291127n,
    });
    expect(KNOWN_MARKETS.filter((m) => m.deploymentBlock !== undefined).map((m) => m.name)).toEqual(["ethereum"]);
  });
});

describe("other settings", () => {
  it("resolves STATE_DIR against cwd", () => {
    expect(load({ STATE_DIR: "data/x" }).watcher.stateDir).toBe(path.resolve("data/x"));
    expect(load({ STATE_DIR: "/var/keeper" }).watcher.stateDir).toBe("/var/keeper");
  });

  it("LOG_LEVEL: case-insensitive; unknown values list the allowed ones", () => {
    expect(load({ LOG_LEVEL: "WARN" }).log.logLevel).toBe("warn");
    expect(load({ LOG_LEVEL: "silent" }).log.logLevel).toBe("silent");
    expectError({ LOG_LEVEL: "verbose" }, 'LOG_LEVEL: "verbose" is not one of fatal, error, warn, info, debug, trace, silent');
  });

  it("DRY_RUN: true/false/1/0/yes/no", () => {
    for (const raw of ["true", "TRUE", "1", "yes", "Yes"]) expect(load({ DRY_RUN: raw }).executor.dryRun).toBe(true);
    for (const raw of ["false", "0", "no", "NO"]) expect(load({ DRY_RUN: raw }).executor.dryRun).toBe(false);
    expectError({ DRY_RUN: "maybe" }, 'DRY_RUN: "maybe" is not a boolean (use true/false, 1/0 or yes/no)');
  });

  it("reports the first problem in table order", () => {
    expect(failure({ LOG_CHUNK_BLOCKS: "x", LOG_LEVEL: "x", RPC_URL: "x", CHAIN_ID: "x" }).setting).toBe("RPC_URL");
    expect(failure({ LOG_CHUNK_BLOCKS: "x", LOG_LEVEL: "x", CHAIN_ID: "x" }).setting).toBe("CHAIN_ID");
    expect(failure({ DRY_RUN: "x", LOG_LEVEL: "x" }).setting).toBe("LOG_LEVEL");
    expect(failure({ LOG_CHUNK_BLOCKS: "x", DRY_RUN: "x", LOG_LEVEL: "x" }).setting).toBe("LOG_CHUNK_BLOCKS");
  });
});

describe("PRIVATE_KEY", () => {
  it("accepts 64 hex digits with or without 0x, normalized to lowercase 0x", () => {
    expect(load({ PRIVATE_KEY: KEY }).executor.privateKey).toBe(`0x${KEY}`);
    expect(load({ PRIVATE_KEY: `0x${KEY.toUpperCase()}` }).executor.privateKey).toBe(`0x${KEY}`);
  });

  const badKeys: [string, string][] = [
    [KEY.slice(1), "PRIVATE_KEY: has 63 hex digits, expected 64 (a 32-byte key, with or without 0x; value not shown)"],
    [`0x${KEY}00`, "PRIVATE_KEY: has 66 hex digits, expected 64 (a 32-byte key, with or without 0x; value not shown)"],
    [`${KEY.slice(0, 63)}g`, "PRIVATE_KEY: contains a non-hex character (expected 64 hex digits, with or without 0x; value not shown)"],
    ["0".repeat(64), "PRIVATE_KEY: is not a valid secp256k1 private key (zero or not below the curve order; value not shown)"],
    ["f".repeat(64), "PRIVATE_KEY: is not a valid secp256k1 private key (zero or not below the curve order; value not shown)"],
  ];
  it.each(badKeys)("rejects a bad key without showing it (%#)", (raw, message) => {
    const e = failure({ PRIVATE_KEY: raw });
    expect(e.message).toBe(message);
    expect(e.message).not.toContain(KEY.slice(8, 24));
  });

  it("never appears in describeConfig", () => {
    const d = describeConfig(load({ PRIVATE_KEY: KEY }));
    expect(d.PRIVATE_KEY).toBe("set");
    expect(JSON.stringify(d)).not.toContain(KEY.slice(8, 24));
    expect(describeConfig(load({})).PRIVATE_KEY).toBe("unset");
  });
});

describe("require*", () => {
  it("requireRpcUrl", () => {
    expect(requireRpcUrl(load({ RPC_URL: "http://localhost:8545" }))).toBe("http://localhost:8545");
    expect(() => requireRpcUrl(load({}))).toThrow(new ConfigError("RPC_URL", "not set (required outside the sandbox; see .env.example)"));
    try {
      requireRpcUrl(load({}));
    } catch (err) {
      expect((err as ConfigError).message).toBe("RPC_URL: not set (required outside the sandbox; see .env.example)");
    }
  });

  it("requirePoolAddressesProvider", () => {
    expect(requirePoolAddressesProvider(load({ POOL_ADDRESSES_PROVIDER: "base" }))).toBe("0xe20fCBdBfFC4Dd138cE8b2E6FBb6CB49777ad64D");
    expect(() => requirePoolAddressesProvider(load({}))).toThrow(/^POOL_ADDRESSES_PROVIDER: not set \(/);
  });
});

describe("describeConfig", () => {
  it("lists every setting, with URLs redacted", () => {
    const d = describeConfig(
      load({
        RPC_URL: "https://eth.example.com/v3/SECRET1",
        RPC_URL_FALLBACK: "https://user:SECRET2@other.example",
        WS_URL: "wss://eth.example.com?key=SECRET3",
        PRIVATE_TX_URL: "https://relay.example/SECRET4",
        POOL_ADDRESSES_PROVIDER: "ethereum",
        PRIVATE_KEY: KEY,
      }),
    );
    expect(Object.keys(d)).toEqual([...SETTING_NAMES]);
    expect(JSON.stringify(d)).not.toMatch(/SECRET/);
    expect(d).toMatchObject({
      RPC_URL: "https://eth.example.com/…",
      RPC_URL_FALLBACK: "https://other.example/…",
      WS_URL: "wss://eth.example.com/…",
      PRIVATE_TX_URL: "https://relay.example/…",
      CHAIN_ID: "1",
      POOL_ADDRESSES_PROVIDER: `${ETH_PROVIDER} (ethereum)`,
      START_BLOCK: "16291127",
      LOG_LEVEL: "info",
      DRY_RUN: "false",
      MAX_FEE_GWEI: "200",
    });
    expect(describeConfig(load({})).RPC_URL).toBe("unset");
  });
});

describe(".env file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "keeper-config-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads it, with the environment taking precedence and empty env values counting as unset", () => {
    const file = path.join(dir, ".env");
    writeFileSync(file, ["# comment", "RPC_URL=http://from-file:8545", "CHAIN_ID=5", "LOG_LEVEL=debug", 'DRY_RUN="yes"', ""].join("\n"));
    const c = loadConfig({ CHAIN_ID: "10", LOG_LEVEL: "" }, { dotenvPath: file });
    expect(c.chain.rpcUrl).toBe("http://from-file:8545");
    expect(c.chain.chainId).toBe(10);
    expect(c.log.logLevel).toBe("debug");
    expect(c.executor.dryRun).toBe(true);
  });

  it("WATCH_PENDING: auto, on or off in any case; anything else named in one line", () => {
    expect(load({ WATCH_PENDING: "ON" }).chain.watchPending).toBe("on");
    expect(load({ WATCH_PENDING: "off" }).chain.watchPending).toBe("off");
    expect(() => load({ WATCH_PENDING: "yes" })).toThrow('WATCH_PENDING: "yes" is not one of auto, on, off');
  });

  it("reports bad values from the file like any other", () => {
    const file = path.join(dir, ".env");
    writeFileSync(file, "MAX_FEE_GWEI=lots\n");
    expect(() => loadConfig({}, { dotenvPath: file })).toThrow('MAX_FEE_GWEI: "lots" is not a positive number');
  });

  it("does not write into the environment object it was given", () => {
    const file = path.join(dir, ".env");
    writeFileSync(file, "CHAIN_ID=5\n");
    const env: Record<string, string> = {};
    loadConfig(env, { dotenvPath: file });
    expect(env).toEqual({});
  });

  it("skips the file with dotenvPath: false", () => {
    const file = path.join(dir, ".env");
    writeFileSync(file, "CHAIN_ID=5\n");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(loadConfig({}).chain.chainId).toBe(5); // default path: .env in cwd
      expect(loadConfig({}, { dotenvPath: false }).chain.chainId).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
  });

  it("ignores a missing default .env but not a missing explicit one", () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(loadConfig({}).chain.chainId).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
    const missing = path.join(dir, "nope.env");
    expect(() => loadConfig({}, { dotenvPath: missing })).toThrow(`.env: cannot read ${missing}: no such file`);
  });
});

describe(".env.example", () => {
  it("documents every setting", () => {
    const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    for (const name of SETTING_NAMES) expect(example).toMatch(new RegExp(`^# ?${name}=`, "m"));
  });

  it("is what scripts/generate-env-example.ts writes from the settings table", () => {
    expect(readFileSync(ENV_EXAMPLE_FILE, "utf8"), "run npx tsx scripts/generate-env-example.ts").toBe(renderEnvExample());
  });

  it("the table names each setting once, and each section field once", () => {
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
    const fields = SETTINGS.map((s) => `${s.section}.${s.key}`);
    expect(new Set(fields).size).toBe(fields.length);
  });
});

describe("flash-loan settings", () => {
  const LIQUIDATOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  const FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984";
  const ROUTER = "0xE592427A0AEce92De3Edee1F18E0157C05861564";
  const QUOTER = "0x61fFE014bA17989E743c5F6cB21bF9697530B21e";
  const OTHER = "0x00000000000000000000000000000000000000aa";

  it("reads LIQUIDATOR_ADDRESS, the three Uniswap addresses and SWAP_SLIPPAGE_BPS", () => {
    const c = load({
      LIQUIDATOR_ADDRESS: LIQUIDATOR.toLowerCase(),
      UNISWAP_V3_FACTORY: OTHER,
      UNISWAP_V3_ROUTER: ROUTER,
      UNISWAP_V3_QUOTER: QUOTER.toLowerCase(),
      SWAP_SLIPPAGE_BPS: "30",
    });
    expect(c.flash.liquidatorAddress).toBe(LIQUIDATOR);
    expect([c.flash.factory, c.flash.router, c.flash.quoter]).toEqual([getAddress(OTHER), ROUTER, QUOTER]);
    expect(c.flash.swapSlippageBps).toBe(30);
    expect(describeConfig(c)).toMatchObject({
      LIQUIDATOR_ADDRESS: LIQUIDATOR,
      UNISWAP_V3_FACTORY: getAddress(OTHER),
      SWAP_SLIPPAGE_BPS: "30",
    });
    expect(describeConfig(load({}))).toMatchObject({ LIQUIDATOR_ADDRESS: "unset (wallet only)", UNISWAP_V3_ROUTER: "default" });
  });

  it("rejects bad values with one line naming the setting", () => {
    expectError({ LIQUIDATOR_ADDRESS: "0x1234" }, 'LIQUIDATOR_ADDRESS: "0x1234" is not an address (0x and 40 hex digits)');
    expectError({ UNISWAP_V3_FACTORY: "uniswap" }, 'UNISWAP_V3_FACTORY: "uniswap" is not an address (0x and 40 hex digits)');
    expectError(
      { UNISWAP_V3_ROUTER: "0xe592427a0aeCE92De3Edee1F18E0157C05861564" },
      'UNISWAP_V3_ROUTER: "0xe592427a0aeCE92De3Edee1F18E0157C05861564" has a wrong EIP-55 checksum ' +
        "(expected 0xE592427A0AEce92De3Edee1F18E0157C05861564; write it all-lowercase to skip the check)",
    );
    const g40 = `0x${"g".repeat(40)}`;
    expectError({ UNISWAP_V3_QUOTER: g40 }, `UNISWAP_V3_QUOTER: "${g40}" is not an address (0x and 40 hex digits)`);
    expectError({ SWAP_SLIPPAGE_BPS: "0.5" }, 'SWAP_SLIPPAGE_BPS: "0.5" is not a non-negative integer');
    expectError({ SWAP_SLIPPAGE_BPS: "10000" }, 'SWAP_SLIPPAGE_BPS: "10000" is not below 10000 (basis points: 50 = 0.5%)');
  });

  it("defaults the Uniswap addresses to the canonical deployment on Ethereum, Optimism, Polygon and Arbitrum", () => {
    for (const chainId of [1, 10, 137, 42161]) {
      expect(resolveUniswap(load({}), chainId)).toEqual({ factory: FACTORY, router: ROUTER, quoter: QUOTER });
    }
    // a setting wins over the default, per address
    expect(resolveUniswap(load({ UNISWAP_V3_QUOTER: OTHER }), 1)).toEqual({ factory: FACTORY, router: ROUTER, quoter: getAddress(OTHER) });
  });

  it("takes the sandbox's addresses as the default there, and settings still win", () => {
    const sandbox = { factory: getAddress(OTHER), router: LIQUIDATOR, quoter: FACTORY } as const;
    expect(resolveUniswap(load({}), 31337, sandbox)).toEqual(sandbox);
    expect(resolveUniswap(load({ UNISWAP_V3_ROUTER: ROUTER }), 31337, sandbox).router).toBe(ROUTER);
  });

  it("requires them, naming the first one missing, on a chain keeper knows no deployment of", () => {
    const message = (env: Record<string, string>) => {
      try {
        resolveUniswap(load(env), 8453);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error("expected a ConfigError");
    };
    const tail = "not set, and keeper knows no Uniswap V3 deployment on chain 8453 (see .env.example)";
    expect(message({})).toBe(`UNISWAP_V3_FACTORY: ${tail}`);
    expect(message({ UNISWAP_V3_FACTORY: OTHER })).toBe(`UNISWAP_V3_ROUTER: ${tail}`);
    expect(message({ UNISWAP_V3_FACTORY: OTHER, UNISWAP_V3_ROUTER: OTHER })).toBe(`UNISWAP_V3_QUOTER: ${tail}`);
    const all = load({ UNISWAP_V3_FACTORY: OTHER, UNISWAP_V3_ROUTER: ROUTER, UNISWAP_V3_QUOTER: QUOTER });
    expect(resolveUniswap(all, 8453).router).toBe(ROUTER);
  });
});

describe("UNISWAP_ROUTING_HUBS", () => {
  it("are each chain's WETH and native USDC in the address book", async () => {
    type Book = Record<string, { ASSETS: Record<string, { UNDERLYING: string }> }>;
    const book = (await import("@aave-dao/aave-address-book")) as unknown as Book;
    const expected: [number, string, string][] = [
      [1, "AaveV3Ethereum", "USDC"],
      [10, "AaveV3Optimism", "USDCn"],
      [137, "AaveV3Polygon", "USDCn"],
      [42161, "AaveV3Arbitrum", "USDCn"],
    ];
    expect([...UNISWAP_ROUTING_HUBS.keys()].sort()).toEqual(expected.map(([id]) => id).sort());
    for (const [chainId, market, usdc] of expected) {
      const assets = book[market]!.ASSETS;
      expect(UNISWAP_ROUTING_HUBS.get(chainId), market).toEqual([assets.WETH!.UNDERLYING, assets[usdc]!.UNDERLYING]);
    }
  });
});
