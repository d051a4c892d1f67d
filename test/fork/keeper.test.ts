// `keeper run` as a black box (bin/keeper.js, environment variables only) against an anvil with the
// sandbox market, on Aave 3.0 and on Aave 3.6, interval mining at 1 s: after a price shock every
// liquidatable account is liquidated in the first or second block after the shock, nothing reverts,
// no healthy account is touched; the same through a forked anvil, over WS_URL and across an RPC
// outage; dry run sends nothing; a SIGKILLed daemon resumes. One sandbox per version: each test
// starts from the state it was built in (evm_snapshot / evm_revert).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { startForkedAnvil, type AnvilInstance } from "../../src/chain/anvil.js";
import { rpc } from "../../src/chain/rpc.js";
import type { MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import type { AaveVersion } from "../../src/sandbox/marketSpec.js";
import { movedPrice, setFeedAnswer, type PriceMove } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { startKeeper, type KeeperProcess } from "../helpers/keeperProcess.js";
import { startRpcProxy } from "../helpers/rpcProxy.js";
import { liquidatableAt, liquidationsBy, transactionsFrom, waitForBlock } from "./keeperChain.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function keeperEnv(market: MarketDeployment, rpcUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const stateDir = mkdtempSync(join(tmpdir(), "keeper-run-"));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  return {
    RPC_URL: rpcUrl,
    POOL_ADDRESSES_PROVIDER: market.addressesProvider,
    PRIVATE_KEY: SANDBOX_KEEPER_KEY,
    START_BLOCK: String(market.deploymentBlock),
    STATE_DIR: stateDir,
    LOG_LEVEL: "info",
    POLL_INTERVAL_MS: "100",
    ...extra,
  };
}

function run(env: Record<string, string>, args: string[] = ["run"]): KeeperProcess {
  const keeper = startKeeper(args, env);
  cleanups.push(() => keeper.stop("SIGKILL"));
  return keeper;
}

function symbolOf(market: MarketDeployment, asset: Address): string {
  return market.assets.find((a) => a.address.toLowerCase() === asset.toLowerCase())?.symbol ?? asset;
}

/** Moves each price in turn (one block each); returns the last move. */
async function shock(market: MarketDeployment, moves: readonly (readonly [string, number])[]): Promise<PriceMove> {
  let last: PriceMove | undefined;
  for (const [symbol, percent] of moves) {
    const asset = market.assets.find((a) => a.symbol === symbol)!;
    last = await setFeedAnswer(market, symbol, movedPrice(asset.spec.priceUsd, percent));
  }
  return last!;
}

/** Shocks `moves` on `market` and checks the keeper's work in the blocks after. */
async function shockAndCheck(
  client: PublicClient,
  market: MarketDeployment,
  users: readonly Address[],
  moves: readonly (readonly [string, number])[],
) {
  const shockBlock = (await shock(market, moves)).blockNumber;
  const underWater = await liquidatableAt(client, market.pool, users, shockBlock);
  expect(underWater.length).toBeGreaterThan(5);
  await waitForBlock(client, shockBlock + 4n);
  const liquidations = await liquidationsBy(client, market.pool, SANDBOX_KEEPER_ADDRESS, shockBlock + 1n, shockBlock + 4n);
  const liquidated = new Set(liquidations.map((l) => l.user.toLowerCase()));
  const missed = underWater.filter((u) => !liquidated.has(u.toLowerCase()));
  expect(missed, "every account under water after the shock was liquidated").toEqual([]);
  const late = underWater.filter((u) => {
    const first = liquidations
      .filter((l) => l.user.toLowerCase() === u.toLowerCase())
      .map((l) => l.blockNumber)
      .sort()[0]!;
    return first > shockBlock + 2n;
  });
  expect(late, "each in the first or second block after the shock").toEqual([]);
  // Nothing the keeper sent reverted, and every liquidation hit an account under water at the time.
  const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, shockBlock + 1n, shockBlock + 4n);
  expect(txs.filter((t) => t.status !== "success")).toEqual([]);
  for (const l of liquidations) {
    expect(
      (await liquidatableAt(client, market.pool, [l.user], l.blockNumber - 1n)).length,
      `${l.user} was under water before block ${l.blockNumber}`,
    ).toBe(1);
  }
  return { shockBlock, underWater, liquidations };
}

/** Per version: the restart test's second shock. On 3.6 it moves the ETH-correlated eMode's LT-0
 * reserve (wstETH, collateral only in the category) and its LTV-zero asset (weETH). */
const VERSIONS: [AaveVersion, [string, number][]][] = [
  ["3.0", [["WBTC", -30]]],
  [
    "3.6",
    [
      ["wstETH", -25],
      ["weETH", -20],
    ],
  ],
];

describe.each(VERSIONS)("keeper run on Aave %s", (aave, secondShock) => {
  let sandbox: Sandbox;
  let built: string;
  let users: Address[];

  beforeAll(async () => {
    sandbox = await startSandbox({ aave, borrowers: 200, seed: 81 });
    await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 50_000_000n);
    users = sandbox.borrowers.map((b) => b.address);
    built = await rpc<string>(sandbox.anvil.rpcUrl, "evm_snapshot", []);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });
  beforeEach(async () => {
    // Every test starts from the market as built (a revert consumes the snapshot: take it again).
    // The previous test's transactions still in the mempool would be mined again after the revert: drop them.
    expect(await rpc<boolean>(sandbox.anvil.rpcUrl, "evm_revert", [built])).toBe(true);
    await rpc(sandbox.anvil.rpcUrl, "anvil_dropAllTransactions", []);
    built = await rpc<string>(sandbox.anvil.rpcUrl, "evm_snapshot", []);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
  });

  it("liquidates every account a price shock puts under water, in the next block or the one after", async () => {
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(sandbox.market, sandbox.anvil.rpcUrl));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const { underWater } = await shockAndCheck(client, sandbox.market, users, [["WETH", -25]]);
    await keeper.waitFor((l) => l.msg === "liquidated", 1_000, "a liquidated line");
    expect(await keeper.stop("SIGTERM")).toBe(0);
    const stopped = keeper.lines.find((l) => l.msg === "stopped")!;
    expect(stopped.accountsLiquidated).toBeGreaterThanOrEqual(underWater.length);
  });

  it("follows new heads over WS_URL (polling every 20 s would be far too slow to pass)", async () => {
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(sandbox.market, sandbox.anvil.rpcUrl, { WS_URL: sandbox.anvil.wsUrl, POLL_INTERVAL_MS: "20000" }));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    await keeper.waitFor((l) => l.msg === "following new heads over WS_URL", 5_000, "the WS subscription");
    await shockAndCheck(client, sandbox.market, users, [["WETH", -25]]);
    expect(await keeper.stop("SIGTERM")).toBe(0);
  });

  it("rides out an RPC outage: backs off, says so once, resumes and still liquidates", async () => {
    const proxy = await startRpcProxy(sandbox.anvil.rpcUrl);
    cleanups.push(() => proxy.close());
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(sandbox.market, proxy.url));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    proxy.down();
    await keeper.waitFor((l) => l.msg === "RPC error: backing off and retrying", 15_000, "the back-off line");
    await new Promise((r) => setTimeout(r, 3_000));
    expect(keeper.child.exitCode).toBe(null);
    expect(keeper.lines.filter((l) => l.msg === "RPC error: backing off and retrying")).toHaveLength(1);
    proxy.up();
    await keeper.waitFor((l) => l.msg === "RPC answers again: resumed", 30_000, "the resumed line");
    await shockAndCheck(client, sandbox.market, users, [["WETH", -25]]);
    expect(await keeper.stop("SIGTERM")).toBe(0);
  });

  it("does the same through a forked anvil", async () => {
    let fork: AnvilInstance | undefined = await startForkedAnvil(sandbox.anvil.rpcUrl, { blockTime: 1 });
    cleanups.push(() => fork?.stop());
    const onFork: MarketDeployment = { ...sandbox.market, rpcUrl: fork.rpcUrl, assets: sandbox.market.assets.map((a) => ({ ...a })) };
    const client = createPublicClient({ transport: http(fork.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(onFork, fork.rpcUrl));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    await shockAndCheck(client, onFork, users, [["WETH", -25]]);
    expect(await keeper.stop("SIGTERM")).toBe(0);
    fork = undefined;
  });

  it("dry run: one opportunity line per liquidatable account, and no transaction at all", async () => {
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const env = keeperEnv(sandbox.market, sandbox.anvil.rpcUrl, { DRY_RUN: "true" });
    delete env.PRIVATE_KEY; // no key needed in dry run
    const keeper = run(env);
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const nonceBefore = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS });
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -25));
    const underWater = await liquidatableAt(client, sandbox.market.pool, users, move.blockNumber);
    expect(underWater.length).toBeGreaterThan(5);
    await waitForBlock(client, move.blockNumber + 4n);
    const opportunities = keeper.lines.filter((l) => l.msg === "opportunity");
    const seen = opportunities.map((l) => String(l.user).toLowerCase());
    expect(new Set(seen).size, "one line per account").toBe(seen.length);
    expect([...seen].sort()).toEqual(underWater.map((u) => u.toLowerCase()).sort());
    for (const line of opportunities) {
      expect(line).toMatchObject({ dryRun: true, simulation: { ok: true } });
      expect(BigInt(String(line.debtToCover))).toBeGreaterThan(0n);
      expect(BigInt(String(line.expectedCollateralSeized))).toBeGreaterThan(0n);
      expect(Number(line.expectedProfitUsd)).toBeGreaterThan(0);
    }
    expect(await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS })).toBe(nonceBefore);
    expect(await liquidationsBy(client, sandbox.market.pool, SANDBOX_KEEPER_ADDRESS, move.blockNumber, move.blockNumber + 4n)).toEqual([]);
    expect(await keeper.stop("SIGINT")).toBe(0);
  });

  it("restarts after SIGKILL between two shocks: the second shock's accounts are liquidated, none twice", async () => {
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const env = keeperEnv(sandbox.market, sandbox.anvil.rpcUrl);
    const first = run(env);
    await first.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const one = await shockAndCheck(client, sandbox.market, users, [["WETH", -20]]);
    expect(await first.stop("SIGKILL")).toBe(null);

    const move = await shock(sandbox.market, secondShock);
    const underWater = await liquidatableAt(client, sandbox.market.pool, users, move.blockNumber);
    expect(underWater.length).toBeGreaterThan(3);
    const second = run(env);
    const resumed = await second.waitFor((l) => l.msg === "resuming from checkpoint", 60_000, "resuming from checkpoint");
    expect(BigInt(String(resumed.block))).toBeGreaterThan(sandbox.market.deploymentBlock);
    await second.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const running = await client.getBlockNumber();
    await waitForBlock(client, running + 4n);
    const all = await liquidationsBy(client, sandbox.market.pool, SANDBOX_KEEPER_ADDRESS, one.shockBlock, running + 4n);
    const liquidated = new Set(all.map((l) => l.user.toLowerCase()));
    expect(underWater.filter((u) => !liquidated.has(u.toLowerCase()))).toEqual([]);
    // Each liquidation hit an account under water just before it: nothing was liquidated again
    // after its first liquidation had already brought it back above 1.
    for (const l of all) expect((await liquidatableAt(client, sandbox.market.pool, [l.user], l.blockNumber - 1n)).length).toBe(1);
    // The second shock's assets were seized (on 3.6: wstETH, collateral only inside its eMode, and weETH, LTV 0 there).
    const seized = new Set(all.filter((l) => l.blockNumber > move.blockNumber).map((l) => symbolOf(sandbox.market, l.collateralAsset)));
    for (const [symbol] of secondShock) expect(seized, `${symbol} seized after the restart`).toContain(symbol);
    const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, one.shockBlock, running + 4n);
    expect(txs.filter((t) => t.status !== "success")).toEqual([]);
    expect(await second.stop("SIGTERM")).toBe(0);
  });
});
