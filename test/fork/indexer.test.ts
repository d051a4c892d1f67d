// The indexer finds every borrower (before and after it starts), follows aToken transfers and
// collateral toggles, survives restarts from its checkpoint and undoes reorgs; its account book
// always equals the chain's view. On both sandbox markets: Aave 3.0 and Aave 3.6.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, encodeFunctionData, http, type Address, type Hex, type PublicClient } from "viem";
import { aTokenAbi, poolAbi } from "../../contracts-abi/aave/index.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { rpc } from "../../src/chain/rpc.js";
import { silentLogger } from "../../src/logging.js";
import { createBorrowers, planBorrowers } from "../../src/sandbox/borrowers.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { startRpcProxy } from "../helpers/rpcProxy.js";

async function expectBookMatchesChain(watcher: Watcher, client: PublicClient, pool: Address, expectedUsers?: readonly Address[]) {
  watcher.book.recomputeAll(watcher.snapshot);
  const users = [...watcher.book.users()];
  for (const u of expectedUsers ?? []) expect(watcher.book.has(u), `${u} is in the book`).toBe(true);
  const onChain = await client.multicall({
    ...multicallOptions,
    allowFailure: false,
    blockNumber: watcher.head.number,
    contracts: users.map((user) => ({ address: pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }) as const),
  });
  const wrong = users.filter(
    (u, i) => watcher.book.health(u)?.healthFactor !== onChain[i]![5] || watcher.book.health(u)?.totalCollateralBase !== onChain[i]![0],
  );
  expect(wrong).toEqual([]);
}

/** Sends a transaction as `from` (anvil impersonation), mined at once. */
async function sendAs(url: string, from: Address, to: Address, data: Hex): Promise<void> {
  await rpc(url, "anvil_impersonateAccount", [from]);
  await rpc(url, "anvil_setBalance", [from, "0x56bc75e2d63100000"]);
  const hash = await rpc<Hex>(url, "eth_sendTransaction", [{ from, to, data, gas: "0x7a1200" }]);
  let receipt: { status: Hex } | null = null;
  for (let i = 0; i < 100 && !receipt; i++) {
    receipt = await rpc<{ status: Hex } | null>(url, "eth_getTransactionReceipt", [hash]);
    if (!receipt) await new Promise((r) => setTimeout(r, 20));
  }
  expect(receipt?.status, `transaction from ${from} succeeded`).toBe("0x1");
}

describe.each(AAVE_VERSIONS)("indexer on Aave %s", (aave) => {
  let sandbox: Sandbox;
  let client: PublicClient;
  let stateDir: string;
  let url: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ aave, borrowers: 120, seed: 31 });
    url = sandbox.anvil.rpcUrl;
    client = createPublicClient({ transport: http(url), cacheTime: 0 });
    stateDir = mkdtempSync(join(tmpdir(), "keeper-state-"));
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  const newWatcher = (options: { stateDir?: string; startBlock?: bigint } = {}) =>
    new Watcher({
      client,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: options.startBlock ?? sandbox.market.deploymentBlock,
      logChunkBlocks: 5,
      logger: silentLogger,
      stateDir: options.stateDir,
      checkpointIntervalMs: 0,
    });

  it("finds borrowers created before and after it starts, transfers and collateral toggles", async () => {
    const watcher = newWatcher({ stateDir });
    await watcher.sync();
    await expectBookMatchesChain(
      watcher,
      client,
      sandbox.market.pool,
      sandbox.borrowers.map((b) => b.address),
    );

    const later = planBorrowers(sandbox.market, { count: 40, seed: 32 });
    await createBorrowers(sandbox.market, later);
    const update = await watcher.poll();
    expect(update?.newUsers).toBe(40);
    await expectBookMatchesChain(
      watcher,
      client,
      sandbox.market.pool,
      later.map((b) => b.address),
    );

    // aToken transfer: collateral moves with no Pool event; the receiver becomes an account. (Outside
    // eMode: on 3.6 a holder of an LTV-zero collateral may only move that one first.)
    expect(watcher.rules.version).toBe(`Aave V${aave}`);
    const rich = sandbox.borrowers.find((b) => b.collaterals.length >= 2 && b.targetHealthFactor > 2.5 && b.eModeCategory === 0)!;
    const asset = sandbox.market.assets.find((a) => a.address === rich.collaterals[0]!.asset)!;
    const receiver: Address = "0x00000000000000000000000000000000000b0b0b";
    const before = watcher.book.get(rich.address)!.scaledCollateral.get(sandbox.market.assets.indexOf(asset))!;
    await sendAs(
      url,
      rich.address,
      asset.aToken,
      encodeFunctionData({ abi: aTokenAbi, functionName: "transfer", args: [receiver, rich.collaterals[0]!.amount / 10n] }),
    );
    await watcher.poll();
    expect(watcher.users.has(receiver.toLowerCase())).toBe(true);
    // 3.0 enables a received aToken as collateral when the receiver held none; 3.6 does not
    // (SupplyLogic.executeFinalizeTransfer): there the receiver has no position until it enables it.
    expect(watcher.book.has(receiver)).toBe(aave === "3.0");
    await sendAs(
      url,
      receiver,
      sandbox.market.pool,
      encodeFunctionData({ abi: poolAbi, functionName: "setUserUseReserveAsCollateral", args: [asset.address, true] }),
    );
    await watcher.poll();
    expect(watcher.book.has(receiver)).toBe(true);
    expect(watcher.book.get(rich.address)!.scaledCollateral.get(sandbox.market.assets.indexOf(asset))!).toBeLessThan(before);

    // Collateral toggle: disabling one collateral clears its bit and moves the HF.
    const other = rich.collaterals[1]!;
    const id = sandbox.market.assets.findIndex((a) => a.address === other.asset);
    const hfBefore = watcher.book.health(rich.address)!.healthFactor;
    await sendAs(
      url,
      rich.address,
      sandbox.market.pool,
      encodeFunctionData({ abi: poolAbi, functionName: "setUserUseReserveAsCollateral", args: [other.asset, false] }),
    );
    await watcher.poll();
    expect((watcher.book.get(rich.address)!.userConfig >> BigInt(2 * id + 1)) & 1n).toBe(0n);
    watcher.book.recomputeAll(watcher.snapshot);
    expect(watcher.book.health(rich.address)!.healthFactor).toBeLessThan(hfBefore);
    await expectBookMatchesChain(watcher, client, sandbox.market.pool);
    watcher.checkpoint();
  });

  it("restarts from its checkpoint, catches up on what happened while it was down, equals a fresh build", async () => {
    const whileDown = planBorrowers(sandbox.market, { count: 15, seed: 33 });
    await createBorrowers(sandbox.market, whileDown);
    const resumed = newWatcher({ stateDir });
    await resumed.sync();
    const fresh = newWatcher();
    await fresh.sync();
    expect(resumed.head.number).toBe(fresh.head.number);
    expect(new Set(resumed.book.users())).toEqual(new Set(fresh.book.users()));
    for (const u of fresh.book.users()) expect(resumed.book.get(u)).toEqual(fresh.book.get(u));
    await expectBookMatchesChain(
      resumed,
      client,
      sandbox.market.pool,
      whileDown.map((b) => b.address),
    );
  });

  it("a block's second pass that fails leaves its touched users out and the checkpoint as it was; the next poll reads them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keeper-state-"));
    const proxy = await startRpcProxy(url);
    try {
      const watcher = new Watcher({
        client: createPublicClient({ transport: http(proxy.url, { retryCount: 0 }), cacheTime: 0 }),
        addressesProvider: sandbox.market.addressesProvider,
        startBlock: sandbox.market.deploymentBlock,
        logChunkBlocks: 5_000,
        logger: silentLogger,
        stateDir: dir,
        checkpointIntervalMs: 0,
      });
      await watcher.sync();
      watcher.checkpoint();
      const saved = readFileSync(join(dir, "checkpoint.json"), "utf8");
      const sender = sandbox.borrowers.filter((b) => b.collaterals.length >= 2 && b.targetHealthFactor > 2.5 && b.eModeCategory === 0)[1]!;
      const asset = sandbox.market.assets.find((a) => a.address === sender.collaterals[0]!.asset)!;
      const id = sandbox.market.assets.indexOf(asset);
      const before = watcher.book.get(sender.address)!.scaledCollateral.get(id)!;
      const receiver: Address = "0x00000000000000000000000000000000000b0b0c";
      await sendAs(
        url,
        sender.address,
        asset.aToken,
        encodeFunctionData({ abi: aTokenAbi, functionName: "transfer", args: [receiver, sender.collaterals[0]!.amount / 10n] }),
      );
      const first = await watcher.pollFirst();
      expect(first).toBeDefined();
      proxy.down(); // the positions read fails
      await expect(first!.complete()).rejects.toThrow();
      watcher.checkpoint(); // refused: the block's touched positions are unread
      expect(readFileSync(join(dir, "checkpoint.json"), "utf8")).toBe(saved);
      expect(watcher.book.get(sender.address)!.scaledCollateral.get(id)).toBe(before);
      proxy.up();
      expect(await watcher.pollFirst()).toBeUndefined(); // no new block: the unread positions are read at the head
      expect(watcher.book.get(sender.address)!.scaledCollateral.get(id)!).toBeLessThan(before);
      watcher.checkpoint();
      expect(readFileSync(join(dir, "checkpoint.json"), "utf8")).not.toBe(saved);
      await expectBookMatchesChain(watcher, client, sandbox.market.pool, [sender.address]);
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("undoes a reorg: a supply in an orphaned block disappears from the book", async () => {
    const watcher = newWatcher();
    await watcher.sync();
    const borrower = sandbox.borrowers[3]!;
    const asset = sandbox.market.assets.find((a) => a.address === borrower.collaterals[0]!.asset)!;
    const id = sandbox.market.assets.indexOf(asset);
    const original = watcher.book.get(borrower.address)!.scaledCollateral.get(id)!;

    const snapshot = await rpc<Hex>(url, "evm_snapshot");
    await sendAs(
      url,
      borrower.address,
      asset.address,
      encodeFunctionData({ abi: aTokenAbi, functionName: "approve", args: [sandbox.market.pool, 2n ** 255n] }),
    );
    await rpc(url, "anvil_setBalance", [borrower.address, "0x56bc75e2d63100000"]);
    // mint and supply more in the block that will be orphaned
    await sendAs(
      url,
      borrower.address,
      asset.address,
      encodeFunctionData({
        abi: [
          {
            type: "function",
            name: "mint",
            stateMutability: "nonpayable",
            inputs: [{ type: "uint256", name: "v" }],
            outputs: [{ type: "bool", name: "" }],
          },
        ],
        functionName: "mint",
        args: [borrower.collaterals[0]!.amount],
      }),
    );
    await sendAs(
      url,
      borrower.address,
      sandbox.market.pool,
      encodeFunctionData({
        abi: poolAbi,
        functionName: "supply",
        args: [asset.address, borrower.collaterals[0]!.amount, borrower.address, 0],
      }),
    );
    await watcher.poll();
    expect(watcher.book.get(borrower.address)!.scaledCollateral.get(id)!).toBeGreaterThan(original);

    await rpc(url, "evm_revert", [snapshot]);
    await rpc(url, "evm_increaseTime", [5]);
    for (let i = 0; i < 4; i++) await rpc(url, "evm_mine"); // a different, longer branch
    const update = await watcher.poll();
    expect(update?.reorgDepth).toBeGreaterThan(0);
    expect(watcher.book.get(borrower.address)!.scaledCollateral.get(id)!).toBe(original);
    await expectBookMatchesChain(watcher, client, sandbox.market.pool);
  });
});
