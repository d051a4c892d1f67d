// A cascade through `keeper run` as a black box: 2,000 sandbox borrowers, interval mining at 1 s, a
// WETH shock that puts more than 100 accounts under water at once. From the chain: every one of them
// is liquidated, no keeper transaction reverts, every liquidation hit an account under water just
// before its block, and the keeper wallet's nonces run without a gap or a duplicate.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type Address } from "viem";
import { rpc } from "../../src/chain/rpc.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { sandboxWrappedNative, startSandbox } from "../../src/sandbox/sandbox.js";
import { startKeeper } from "../helpers/keeperProcess.js";
import { liquidatableAt, liquidationsBy, waitForBlock } from "./keeperChain.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("keeper run in a cascade", () => {
  it("liquidates 100+ accounts of one shock with consecutive nonces, nothing reverted, no healthy account touched", async () => {
    const sandbox = await startSandbox({ borrowers: 2_000, seed: 9 });
    cleanups.push(() => sandbox.stop());
    await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 1_000_000_000n);
    const url = sandbox.anvil.rpcUrl;
    const client = createPublicClient({ transport: http(url), cacheTime: 0 });
    const stateDir = mkdtempSync(join(tmpdir(), "keeper-cascade-"));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const nonceBefore = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS });
    const startBlock = await client.getBlockNumber();
    await rpc(url, "evm_setIntervalMining", [1]);
    const keeper = startKeeper(["run"], {
      RPC_URL: url,
      POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
      PRIVATE_KEY: SANDBOX_KEEPER_KEY,
      START_BLOCK: String(sandbox.market.deploymentBlock),
      STATE_DIR: stateDir,
      LOG_LEVEL: "info",
      POLL_INTERVAL_MS: "100",
      WRAPPED_NATIVE_TOKEN: sandboxWrappedNative(sandbox.market)!,
    });
    cleanups.push(() => keeper.stop("SIGKILL"));
    await keeper.waitFor((l) => l.msg === "keeper running", 120_000, "keeper running");

    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -30));
    const shock = move.blockNumber;
    const users = sandbox.borrowers.map((b) => b.address);
    const underWater = await liquidatableAt(client, sandbox.market.pool, users, shock);
    expect(underWater.length).toBeGreaterThan(100);

    // The floor is 2-3 blocks of gas; 12 leaves room for a loaded machine.
    const end = shock + 12n;
    await waitForBlock(client, end, 120_000);
    expect(await keeper.stop("SIGTERM")).toBe(0);
    const liquidations = await liquidationsBy(client, sandbox.market.pool, SANDBOX_KEEPER_ADDRESS, shock + 1n, end);
    const liquidated = new Set(liquidations.map((l) => l.user.toLowerCase()));
    expect(
      underWater.filter((u) => !liquidated.has(u.toLowerCase())),
      "every account under water after the shock was liquidated",
    ).toEqual([]);

    // No healthy account touched: each liquidated account was under water at the end of the block before.
    const byBlock = new Map<bigint, Address[]>();
    for (const l of liquidations) byBlock.set(l.blockNumber, [...(byBlock.get(l.blockNumber) ?? []), l.user]);
    for (const [block, inBlock] of byBlock) {
      const under = await liquidatableAt(client, sandbox.market.pool, inBlock, block - 1n);
      expect(under.length, `every account liquidated in block ${block} was under water before it`).toBe(inBlock.length);
    }

    // Every transaction of the keeper wallet since before it started: none reverted, nonces consecutive.
    const last = await client.getBlockNumber();
    const nonces: number[] = [];
    const failed: string[] = [];
    for (let b = startBlock; b <= last; b++) {
      const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
      const mine = block.transactions.filter((t) => t.from.toLowerCase() === SANDBOX_KEEPER_ADDRESS.toLowerCase());
      if (mine.length === 0) continue;
      nonces.push(...mine.map((t) => t.nonce));
      const receipts = await rpc<{ status: string; transactionHash: string }[]>(url, "eth_getBlockReceipts", [`0x${b.toString(16)}`]);
      const hashes = new Set(mine.map((t) => t.hash));
      failed.push(
        ...receipts.filter((r) => hashes.has(r.transactionHash as `0x${string}`) && r.status !== "0x1").map((r) => r.transactionHash),
      );
    }
    expect(failed, "no keeper transaction reverted").toEqual([]);
    const nonceAfter = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS });
    expect(nonces.length).toBeGreaterThan(underWater.length);
    expect(
      [...nonces].sort((a, b) => a - b),
      "nonces consecutive, no gap, no duplicate",
    ).toEqual(Array.from({ length: nonceAfter - nonceBefore }, (_, i) => nonceBefore + i));
  }, 600_000);
});
