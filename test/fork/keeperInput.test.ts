// Bad input to `keeper run`: every required setting missing or malformed stops it with one line
// naming the setting, exit code 2, no stack trace. An unreachable RPC is not bad input: it is
// waited for, with a clear log line.
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploySandboxLiquidator, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { describeSandbox, startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { KEEPER_BIN, startKeeper } from "../helpers/keeperProcess.js";

let sandbox: Sandbox;
let cwd: string;
/** a Liquidator on the sandbox's pool, owned by the sandbox keeper key */
let liquidator: string;
beforeAll(async () => {
  sandbox = await startSandbox({ borrowers: 5, seed: 91 });
  liquidator = (await deploySandboxLiquidator(sandbox.market)).address;
  // An empty working directory: no .env, no .keeper/sandbox.json to fall back on.
  cwd = mkdtempSync(join(tmpdir(), "keeper-input-"));
});
afterAll(async () => {
  await sandbox?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

function good(): Record<string, string> {
  return {
    RPC_URL: sandbox.anvil.rpcUrl,
    POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
    PRIVATE_KEY: SANDBOX_KEEPER_KEY,
    START_BLOCK: "0",
    STATE_DIR: join(cwd, "state"),
  };
}

function runOnce(env: Record<string, string | undefined>, options: { cwd?: string; args?: string[] } = {}) {
  const clean = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...env }).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return spawnSync(process.execPath, [KEEPER_BIN, ...(options.args ?? ["run"])], {
    env: clean,
    cwd: options.cwd ?? cwd,
    encoding: "utf8",
    timeout: 60_000,
  });
}

/** A file where a directory is expected, in the test's working directory. */
function aFile(): string {
  const file = join(cwd, "not-a-directory");
  writeFileSync(file, "");
  return file;
}

/** the sandbox's Uniswap V3 (placeholders: the sandbox starts after the cases are listed) */
const UNISWAP = { UNISWAP_V3_FACTORY: "<factory>", UNISWAP_V3_ROUTER: "<router>", UNISWAP_V3_QUOTER: "<quoter>" };

const cases: [string, Record<string, string | undefined>, RegExp][] = [
  ["RPC_URL missing", { RPC_URL: undefined }, /^keeper: RPC_URL: not set/],
  ["RPC_URL empty counts as unset", { RPC_URL: "" }, /^keeper: RPC_URL: not set/],
  ["RPC_URL malformed", { RPC_URL: "htp:/nowhere" }, /^keeper: RPC_URL: /],
  ["POOL_ADDRESSES_PROVIDER missing", { POOL_ADDRESSES_PROVIDER: undefined }, /^keeper: POOL_ADDRESSES_PROVIDER: not set/],
  ["POOL_ADDRESSES_PROVIDER malformed", { POOL_ADDRESSES_PROVIDER: "0x1234" }, /^keeper: POOL_ADDRESSES_PROVIDER: /],
  [
    "POOL_ADDRESSES_PROVIDER not a contract",
    { POOL_ADDRESSES_PROVIDER: "0x000000000000000000000000000000000000dEaD" },
    /^keeper: POOL_ADDRESSES_PROVIDER: no contract at/,
  ],
  [
    "POOL_ADDRESSES_PROVIDER a contract but not a provider",
    { POOL_ADDRESSES_PROVIDER: "0xcA11bde05977b3631167028862bE2a173976CA11" },
    /^keeper: POOL_ADDRESSES_PROVIDER: .* is not an Aave V3 PoolAddressesProvider/,
  ],
  ["PRIVATE_KEY missing", { PRIVATE_KEY: undefined }, /^keeper: PRIVATE_KEY: not set/],
  ["PRIVATE_KEY malformed", { PRIVATE_KEY: "0xnothex" }, /^keeper: PRIVATE_KEY: /],
  ["DRY_RUN malformed", { DRY_RUN: "perhaps" }, /^keeper: DRY_RUN: /],
  ["START_BLOCK malformed", { START_BLOCK: "-5" }, /^keeper: START_BLOCK: /],
  ["CHAIN_ID malformed", { CHAIN_ID: "mainnet" }, /^keeper: CHAIN_ID: /],
  ["CHAIN_ID not the node's", { CHAIN_ID: "1" }, /^keeper: CHAIN_ID: is 1 but the node .* is on chain 31337/],
  [
    "POOL_ADDRESSES_PROVIDER a market of another chain",
    { POOL_ADDRESSES_PROVIDER: "ethereum" },
    /^keeper: POOL_ADDRESSES_PROVIDER: market ethereum is on chain 1, but the node at http:\/\/127\.0\.0\.1:\d+\/? is on chain 31337$/,
  ],
  [
    "POOL_ADDRESSES_PROVIDER a book name of another chain",
    { POOL_ADDRESSES_PROVIDER: "AaveV3Arbitrum" },
    /^keeper: POOL_ADDRESSES_PROVIDER: market arbitrum is on chain 42161, but the node at .* is on chain 31337$/,
  ],
  [
    "POOL_ADDRESSES_PROVIDER an unknown name",
    { POOL_ADDRESSES_PROVIDER: "ethereum-core" },
    /^keeper: POOL_ADDRESSES_PROVIDER: "ethereum-core" is neither an address nor a known market name/,
  ],
  ["LOG_LEVEL malformed", { LOG_LEVEL: "loud" }, /^keeper: LOG_LEVEL: /],
  ["MAX_FEE_GWEI malformed", { MAX_FEE_GWEI: "lots" }, /^keeper: MAX_FEE_GWEI: /],
  ["POLL_INTERVAL_MS malformed", { POLL_INTERVAL_MS: "0" }, /^keeper: POLL_INTERVAL_MS: /],
  ["STATE_DIR a file", { STATE_DIR: "<file>" }, /^keeper: STATE_DIR: \/.*not-a-directory is a file, not a directory$/],
  [
    "STATE_DIR under a file",
    { STATE_DIR: "<file>/state" },
    /^keeper: STATE_DIR: \/.*not-a-directory\/state cannot be created: .*not-a-directory is a file$/,
  ],
  [
    "LIQUIDATOR_ADDRESS a contract that is not a Liquidator",
    { LIQUIDATOR_ADDRESS: "0xcA11bde05977b3631167028862bE2a173976CA11", ...UNISWAP },
    /^keeper: LIQUIDATOR_ADDRESS: 0xcA11bde05977b3631167028862bE2a173976CA11 holds no Liquidator contract/,
  ],
  [
    "LIQUIDATOR_ADDRESS owned by another key than PRIVATE_KEY",
    // anvil's dev account #8: a valid key, not the Liquidator's owner
    { ...UNISWAP, LIQUIDATOR_ADDRESS: "<liquidator>", PRIVATE_KEY: "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97" },
    /^keeper: LIQUIDATOR_ADDRESS: the Liquidator at 0x[0-9a-fA-F]{40} is owned by 0x[0-9a-fA-F]{40}, not by PRIVATE_KEY's 0x[0-9a-fA-F]{40}$/,
  ],
  // Not writable even for root: sysfs refuses new directories (EPERM), and a non-root user gets EACCES.
  [
    "STATE_DIR not writable",
    { STATE_DIR: "/sys/keeper-state" },
    /^keeper: STATE_DIR: \/sys\/keeper-state cannot be created \((EPERM|EACCES|EROFS)/,
  ],
];

function placeholders(value: string, file: string): string {
  const uniswap = sandbox.market.uniswap!;
  return value
    .replace("<file>", file)
    .replace("<liquidator>", liquidator)
    .replace("<factory>", uniswap.factory)
    .replace("<router>", uniswap.swapRouter)
    .replace("<quoter>", uniswap.quoterV2);
}

describe("keeper run: bad input", () => {
  it.each(cases)("%s: one line naming the setting, exit code 2", (_name, change, message) => {
    const file = aFile();
    const result = runOnce({
      ...good(),
      ...Object.fromEntries(Object.entries(change).map(([k, v]) => [k, v && placeholders(v, file)])),
    });
    expect(result.status, result.stdout + result.stderr).toBe(2);
    const errorLines = result.stderr.trim().split("\n");
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout + result.stderr).not.toContain(SANDBOX_KEEPER_KEY.slice(2));
  });

  it("keeper scan checks a named market's chain against the node the same way", () => {
    const env = { PATH: process.env.PATH, ...good(), POOL_ADDRESSES_PROVIDER: "base" };
    const result = spawnSync(process.execPath, [KEEPER_BIN, "scan"], { env, cwd, encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stdout + result.stderr).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^keeper: POOL_ADDRESSES_PROVIDER: market base is on chain 8453, but the node at .* is on chain 31337$/),
    ]);
  });

  it("an unreachable RPC at start is retried with a clear log line, not a crash; SIGTERM stops it", async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const keeper = startKeeper(["run"], { ...good(), RPC_URL: `http://127.0.0.1:${port}` });
    try {
      const line = await keeper.waitFor((l) => l.msg === "RPC unreachable at start: retrying with backoff", 30_000, "the retry line");
      expect(line.rpc).toBe(`http://127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(keeper.child.exitCode).toBe(null);
      expect(await keeper.stop("SIGTERM")).toBe(0);
    } finally {
      await keeper.stop("SIGKILL");
    }
  });
});

describe("STATE_DIR and the sandbox's file", () => {
  it("STATE_DIR missing: created (parents too), and the checkpoint is written there", async () => {
    const stateDir = join(cwd, "fresh", "nested", "state");
    expect(existsSync(stateDir)).toBe(false);
    const keeper = startKeeper(["run"], { ...good(), STATE_DIR: stateDir, DRY_RUN: "true", PRIVATE_KEY: "" });
    try {
      await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
      expect(readdirSync(stateDir)).toContain("checkpoint.json");
      expect(await keeper.stop("SIGTERM")).toBe(0);
    } finally {
      await keeper.stop("SIGKILL");
    }
  });

  it("RPC_URL unset and .keeper/sandbox.json from a sandbox that is gone: one line naming RPC_URL and the file, exit 2, at once", () => {
    const dir = mkdtempSync(join(cwd, "stale-"));
    mkdirSync(join(dir, ".keeper"));
    // The file a sandbox leaves behind, pointing at a port nothing listens on any more.
    writeFileSync(join(dir, ".keeper/sandbox.json"), JSON.stringify({ ...describeSandbox(sandbox, 91), rpcUrl: "http://127.0.0.1:9" }));
    for (const args of [["run"], ["scan"]]) {
      const started = Date.now();
      const result = runOnce({ ...good(), RPC_URL: undefined, STATE_DIR: join(dir, "state") }, { cwd: dir, args });
      expect(result.status, result.stdout + result.stderr).toBe(2);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^keeper: RPC_URL: not set, and the sandbox in \/.*\.keeper\/sandbox\.json \(http:\/\/127\.0\.0\.1:9\) does not answer/,
      );
      expect(Date.now() - started, `${args[0]} gave up at once`).toBeLessThan(15_000);
    }
  });

  it("RPC_URL unset and the sandbox's file of a sandbox that runs: keeper uses it", async () => {
    const dir = mkdtempSync(join(cwd, "live-"));
    mkdirSync(join(dir, ".keeper"));
    writeFileSync(join(dir, ".keeper/sandbox.json"), JSON.stringify(describeSandbox(sandbox, 91)));
    const scan = runOnce({ STATE_DIR: join(dir, "state") }, { cwd: dir, args: ["scan", "--json"] });
    expect(scan.status, scan.stderr).toBe(0);
    expect(JSON.parse(scan.stdout).pool).toBe(sandbox.market.pool);
  });
});
