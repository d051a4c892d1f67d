// `keeper run` as a black box (bin/keeper.js, environment variables only) against an anvil with the
// sandbox market, interval mining at 1 s: after a price shock every liquidatable account is
// liquidated in the first or second block after the shock, nothing reverts, no healthy account is
// touched; the same through a forked anvil; dry run sends nothing; a SIGKILLed daemon resumes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { startForkedAnvil, type AnvilInstance } from "../../src/chain/anvil.js";
import { rpc } from "../../src/chain/rpc.js";
import type { MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
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

async function sandboxWithKeeperWallet(borrowers: number, seed: number): Promise<Sandbox> {
  const sandbox = await startSandbox({ borrowers, seed });
  cleanups.push(() => sandbox.stop());
  await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 50_000_000n);
  return sandbox;
}

function keeperEnv(market: MarketDeployment, rpcUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const stateDir = mkdtempSync(join(tmpdir(), "keeper-run-"));
  cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
  return {
    RPC_URL: rpcUrl, POOL_ADDRESSES_PROVIDER: market.addressesProvider, PRIVATE_KEY: SANDBOX_KEEPER_KEY,
    START_BLOCK: String(market.deploymentBlock), STATE_DIR: stateDir, LOG_LEVEL: "info", POLL_INTERVAL_MS: "100",
    ...extra,
  };
}

function run(env: Record<string, string>, args: string[] = ["run"]): KeeperProcess {
  const keeper = startKeeper(args, env);
  cleanups.push(() => keeper.stop("SIGKILL"));
  return keeper;
}

/** Shocks WETH on `market` and checks the keeper's work in the blocks after. */
async function shockAndCheck(client: PublicClient, market: MarketDeployment, users: readonly Address[], percent: number) {
  const weth = market.assets.find((a) => a.symbol === "WETH")!;
  const move = await setFeedAnswer(market, "WETH", movedPrice(weth.spec.priceUsd, percent));
  const shockBlock = move.blockNumber;
  const underWater = await liquidatableAt(client, market.pool, users, shockBlock);
  expect(underWater.length).toBeGreaterThan(5);
  await waitForBlock(client, shockBlock + 4n);
  const liquidations = await liquidationsBy(client, market.pool, SANDBOX_KEEPER_ADDRESS, shockBlock + 1n, shockBlock + 4n);
  const liquidated = new Set(liquidations.map((l) => l.user.toLowerCase()));
  const missed = underWater.filter((u) => !liquidated.has(u.toLowerCase()));
  expect(missed, "every account under water after the shock was liquidated").toEqual([]);
  const late = underWater.filter((u) => {
    const first = liquidations.filter((l) => l.user.toLowerCase() === u.toLowerCase()).map((l) => l.blockNumber).sort()[0]!;
    return first > shockBlock + 2n;
  });
  expect(late, "each in the first or second block after the shock").toEqual([]);
  // Nothing the keeper sent reverted, and every liquidation hit an account under water at the time.
  const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, shockBlock + 1n, shockBlock + 4n);
  expect(txs.filter((t) => t.status !== "success")).toEqual([]);
  for (const l of liquidations) {
    expect((await liquidatableAt(client, market.pool, [l.user], l.blockNumber - 1n)).length, `${l.user} was under water before block ${l.blockNumber}`).toBe(1);
  }
  return { shockBlock, underWater, liquidations };
}

describe("keeper run", () => {
  it("liquidates every account a price shock puts under water, in the next block or the one after", async () => {
    const sandbox = await sandboxWithKeeperWallet(200, 81);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(sandbox.market, sandbox.anvil.rpcUrl));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const { underWater } = await shockAndCheck(client, sandbox.market, sandbox.borrowers.map((b) => b.address), -25);
    await keeper.waitFor((l) => l.msg === "liquidated", 1_000, "a liquidated line");
    expect(await keeper.stop("SIGTERM")).toBe(0);
    const stopped = keeper.lines.find((l) => l.msg === "stopped")!;
    expect(stopped.accountsLiquidated).toBeGreaterThanOrEqual(underWater.length);
  });

  it("follows new heads over WS_URL (polling every 20 s would be far too slow to pass)", async () => {
    const sandbox = await sandboxWithKeeperWallet(120, 85);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(sandbox.market, sandbox.anvil.rpcUrl, { WS_URL: sandbox.anvil.wsUrl, POLL_INTERVAL_MS: "20000" }));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    await keeper.waitFor((l) => l.msg === "following new heads over WS_URL", 5_000, "the WS subscription");
    await shockAndCheck(client, sandbox.market, sandbox.borrowers.map((b) => b.address), -25);
    expect(await keeper.stop("SIGTERM")).toBe(0);
  });

  it("rides out an RPC outage: backs off, says so once, resumes and still liquidates", async () => {
    const sandbox = await sandboxWithKeeperWallet(120, 86);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
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
    await shockAndCheck(client, sandbox.market, sandbox.borrowers.map((b) => b.address), -25);
    expect(await keeper.stop("SIGTERM")).toBe(0);
  });

  it("does the same through a forked anvil", async () => {
    const sandbox = await sandboxWithKeeperWallet(200, 82);
    let fork: AnvilInstance | undefined = await startForkedAnvil(sandbox.anvil.rpcUrl, { blockTime: 1 });
    cleanups.push(() => fork?.stop());
    const onFork: MarketDeployment = { ...sandbox.market, rpcUrl: fork.rpcUrl, assets: sandbox.market.assets.map((a) => ({ ...a })) };
    const client = createPublicClient({ transport: http(fork.rpcUrl), cacheTime: 0 });
    const keeper = run(keeperEnv(onFork, fork.rpcUrl));
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    await shockAndCheck(client, onFork, sandbox.borrowers.map((b) => b.address), -25);
    expect(await keeper.stop("SIGTERM")).toBe(0);
    fork = undefined;
  });

  it("dry run: one opportunity line per liquidatable account, and no transaction at all", async () => {
    const sandbox = await sandboxWithKeeperWallet(200, 83);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const env = keeperEnv(sandbox.market, sandbox.anvil.rpcUrl, { DRY_RUN: "true" });
    delete env.PRIVATE_KEY; // no key needed in dry run
    const keeper = run(env);
    await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const nonceBefore = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS });
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -25));
    const underWater = await liquidatableAt(client, sandbox.market.pool, sandbox.borrowers.map((b) => b.address), move.blockNumber);
    expect(underWater.length).toBeGreaterThan(5);
    await waitForBlock(client, move.blockNumber + 4n);
    const opportunities = keeper.lines.filter((l) => l.msg === "opportunity");
    const users = opportunities.map((l) => String(l.user).toLowerCase());
    expect(new Set(users).size, "one line per account").toBe(users.length);
    expect([...users].sort()).toEqual(underWater.map((u) => u.toLowerCase()).sort());
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
    const sandbox = await sandboxWithKeeperWallet(200, 84);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const users = sandbox.borrowers.map((b) => b.address);
    const env = keeperEnv(sandbox.market, sandbox.anvil.rpcUrl);
    const first = run(env);
    await first.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const one = await shockAndCheck(client, sandbox.market, users, -20);
    expect(await first.stop("SIGKILL")).toBe(null);

    const wbtc = sandbox.market.assets.find((a) => a.symbol === "WBTC")!;
    const move = await setFeedAnswer(sandbox.market, "WBTC", movedPrice(wbtc.spec.priceUsd, -30));
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
    const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, one.shockBlock, running + 4n);
    expect(txs.filter((t) => t.status !== "success")).toEqual([]);
    expect(await second.stop("SIGTERM")).toBe(0);
  });
});
