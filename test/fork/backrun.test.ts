// Issue 17's same-block liquidations on the public pool: `keeper run` with WATCH_PENDING=on (a
// pending-transaction filter polled over HTTP) on an Aave 3.6 sandbox, its Liquidator, a wallet with
// only ETH. Mining is held while a price update waits in anvil's pool, so that what the keeper sends
// behind it is there before the block is mined (evm_mine), whatever the machine's load; each case then
// reads the block from the chain: the keeper's liquidations in the update's own block, after it; an
// update dropped from the pool: what was sent behind it cancelled, nothing reverted, nothing lost; an
// update replaced by another price: the plans redone at that price. Both of anvil's orders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPublicClient, encodeFunctionData, http, parseGwei, type Address, type Hex, type PublicClient } from "viem";
import { sandboxPriceFeedAbi } from "../../contracts-abi/sandbox/SandboxPriceFeed.js";
import { rpc } from "../../src/chain/rpc.js";
import { liquidatorOutcomes } from "../../src/executor/receipts.js";
import { deploySandboxLiquidator, SANDBOX_KEEPER_ADDRESS } from "../../src/sandbox/keeperWallet.js";
import { movedPrice } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { linesAbout, liquidatorRunEnv, startKeeper, type KeeperProcess } from "../helpers/keeperProcess.js";
import { liquidatableAt, liquidationsBy, transactionsFrom } from "./keeperChain.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  sandbox: Sandbox;
  client: PublicClient;
  liquidator: Address;
  keeper: KeeperProcess;
}

async function setUp(order: "fees" | "fifo"): Promise<Setup> {
  const sandbox = await startSandbox({ aave: "3.6", borrowers: 200, seed: 17, order });
  cleanups.push(() => sandbox.stop());
  const { address: liquidator } = await deploySandboxLiquidator(sandbox.market);
  const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
  const dir = mkdtempSync(join(tmpdir(), "keeper-backrun-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const keeper = startKeeper(
    ["run"],
    {
      ...liquidatorRunEnv(sandbox.market, liquidator, join(dir, "state")),
      WATCH_PENDING: "on",
      LOG_LEVEL: "info",
      POLL_INTERVAL_MS: "200",
    },
    { cwd: dir },
  );
  cleanups.push(() => keeper.stop("SIGKILL"));
  await keeper.waitFor((l) => l.msg === "watching pending price updates", 180_000, "watching pending price updates");
  await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
  // Blocks only when the test mines one: the update waits in the pool meanwhile.
  await rpc(sandbox.anvil.rpcUrl, "evm_setAutomine", [false]);
  return { sandbox, client, liquidator, keeper };
}

/** The feed's new answer as a pending transaction from the sandbox's deployer (its owner). */
async function sendUpdate(
  s: Setup,
  symbol: string,
  percent: number,
  fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
  nonce?: number,
): Promise<{ hash: Hex; nonce: number; price: bigint }> {
  const market = s.sandbox.market;
  const asset = market.assets.find((a) => a.symbol === symbol)!;
  const price = movedPrice(asset.spec.priceUsd, percent);
  const at = nonce ?? (await s.client.getTransactionCount({ address: market.deployer, blockTag: "pending" }));
  const hash = await rpc<Hex>(market.rpcUrl, "eth_sendTransaction", [
    {
      from: market.deployer,
      to: asset.priceFeed,
      data: encodeFunctionData({ abi: sandboxPriceFeedAbi, functionName: "setAnswer", args: [price] }),
      gas: "0x30000",
      nonce: `0x${at.toString(16)}`,
      maxFeePerGas: `0x${fees.maxFeePerGas.toString(16)}`,
      maxPriorityFeePerGas: `0x${fees.maxPriorityFeePerGas.toString(16)}`,
    },
  ]);
  return { hash, nonce: at, price };
}

/** Waits until the keeper's pending nonce moved past `from` and stayed put for `quietMs` (its backrun sent). */
async function keeperSettledAbove(client: PublicClient, from: number, quietMs = 1_500, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = from;
  let since = Date.now();
  while (Date.now() < deadline) {
    const pending = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
    if (pending !== last) {
      last = pending;
      since = Date.now();
    } else if (pending > from && Date.now() - since >= quietMs) return pending;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the keeper sent nothing past nonce ${from} within ${timeoutMs} ms`);
}

/** The Liquidator's item events of these transactions (why an item was skipped), for a failing test's output. */
async function itemsOf(s: Setup, hashes: readonly Hex[]): Promise<string> {
  const out: string[] = [];
  for (const hash of hashes) {
    const receipt = await s.client.getTransactionReceipt({ hash });
    for (const loan of liquidatorOutcomes(receipt.logs, s.liquidator)) {
      if (!("items" in loan)) continue;
      for (const item of loan.items) out.push(`${hash} ${item.user} ${item.kind}${item.kind === "skipped" ? `: ${item.reason}` : ""}`);
    }
  }
  return out.join("\n");
}

async function mine(s: Setup): Promise<bigint> {
  const head = await s.client.getBlock();
  // One second after the head: the block the keeper planned for comes no later than it expects.
  await rpc(s.sandbox.anvil.rpcUrl, "evm_mine", [Number(head.timestamp) + 1]);
  return s.client.getBlockNumber();
}

const FEES = { maxFeePerGas: parseGwei("20"), maxPriorityFeePerGas: parseGwei("2") };

describe("same-block liquidations behind a pending price update (public pool, WATCH_PENDING=on over HTTP)", () => {
  it.each(["fees", "fifo"] as const)(
    "--order %s: the accounts the update puts under water are liquidated in its own block, after it, none reverted",
    async (order) => {
      const s = await setUp(order);
      const users = s.sandbox.borrowers.map((b) => b.address);
      const nonceBefore = await s.client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
      const update = await sendUpdate(s, "WETH", -22, FEES);
      await keeperSettledAbove(s.client, nonceBefore);
      const block = await mine(s);

      const receipt = await s.client.getTransactionReceipt({ hash: update.hash });
      expect(receipt.blockNumber, "the update is in the mined block").toBe(block);
      const liquidations = await liquidationsBy(s.client, s.sandbox.market.pool, s.liquidator, block, block);
      expect(liquidations.length, "liquidations in the update's block").toBeGreaterThan(0);
      const indexOf = new Map<string, number>();
      for (const l of liquidations) {
        const r = await s.client.getTransactionReceipt({ hash: l.transactionHash });
        indexOf.set(l.transactionHash, r.transactionIndex);
      }
      expect(
        liquidations.filter((l) => indexOf.get(l.transactionHash)! <= receipt.transactionIndex),
        "every liquidation after the update in the block",
      ).toEqual([]);
      const txs = await transactionsFrom(s.client, SANDBOX_KEEPER_ADDRESS, block, block);
      expect(
        txs.filter((t) => t.status !== "success"),
        "no keeper transaction reverted",
      ).toEqual([]);
      // Every account under water after the block was liquidated in it (a partial liquidation may leave one below 1).
      const taken = new Set(liquidations.map((l) => l.user.toLowerCase()));
      const left = (await liquidatableAt(s.client, s.sandbox.market.pool, users, block)).filter((u) => !taken.has(u.toLowerCase()));
      console.log(
        `--order ${order}: ${taken.size} accounts liquidated in the update's block in ${txs.length} transactions, ${left.length} left`,
      );
      for (const user of left) console.log(`${user} left; the keeper's lines about it:\n${linesAbout(s.keeper, user)}`);
      if (left.length > 0)
        console.log(
          `what the block's keeper transactions did:\n${await itemsOf(
            s,
            txs.map((t) => t.hash),
          )}`,
        );
      expect(left, "no account under water left untouched in the update's block").toEqual([]);
    },
    600_000,
  );

  it("an update dropped from the pool: what was sent behind it is cancelled, nothing reverts, the next update is backrun", async () => {
    const s = await setUp("fees");
    const market = s.sandbox.market;
    const weth = market.assets.find((a) => a.symbol === "WETH")!;
    const answerBefore = await s.client.readContract({ address: weth.priceFeed, abi: sandboxPriceFeedAbi, functionName: "latestAnswer" });
    const nonceBefore = await s.client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
    const dropped = await sendUpdate(s, "WETH", -22, FEES);
    const sentUpTo = await keeperSettledAbove(s.client, nonceBefore);
    await rpc(market.rpcUrl, "anvil_dropTransaction", [dropped.hash]);
    const backruns = sentUpTo - nonceBefore;
    const deadline = Date.now() + 30_000;
    while (s.keeper.lines.filter((l) => l.msg === "backrun replaced by a cancel").length < backruns && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(s.keeper.lines.filter((l) => l.msg === "backrun replaced by a cancel").length, "each backrun cancelled").toBe(backruns);
    const block = await mine(s);
    expect(await liquidationsBy(s.client, market.pool, s.liquidator, block, block), "nothing liquidated").toEqual([]);
    const txs = await transactionsFrom(s.client, SANDBOX_KEEPER_ADDRESS, block, block);
    expect(txs.filter((t) => t.status !== "success")).toEqual([]);
    for (const t of txs) {
      const tx = await s.client.getTransaction({ hash: t.hash });
      expect(tx.to?.toLowerCase(), "a cancel: to itself").toBe(SANDBOX_KEEPER_ADDRESS.toLowerCase());
    }
    expect(await s.client.readContract({ address: weth.priceFeed, abi: sandboxPriceFeedAbi, functionName: "latestAnswer" })).toBe(
      answerBefore,
    );

    // Nothing lost: the next update is backrun as if nothing had happened.
    const next = await s.client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
    const update = await sendUpdate(s, "WETH", -22, FEES);
    await keeperSettledAbove(s.client, next);
    const second = await mine(s);
    expect((await s.client.getTransactionReceipt({ hash: update.hash })).blockNumber).toBe(second);
    expect((await liquidationsBy(s.client, market.pool, s.liquidator, second, second)).length).toBeGreaterThan(0);
    expect((await transactionsFrom(s.client, SANDBOX_KEEPER_ADDRESS, second, second)).filter((t) => t.status !== "success")).toEqual([]);
  }, 600_000);

  it("an update replaced at its nonce by a deeper price: the plans are redone at that price and land behind it", async () => {
    const s = await setUp("fees");
    const market = s.sandbox.market;
    const users = s.sandbox.borrowers.map((b) => b.address);
    const nonceBefore = await s.client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
    const first = await sendUpdate(s, "WETH", -12, FEES);
    await keeperSettledAbove(s.client, nonceBefore);
    const firstSeen = s.keeper.lines.find((l) => l.msg === "pending price update" && l.update === first.hash);
    const afterFirst = await s.client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS, blockTag: "pending" });
    const replacement = await sendUpdate(
      s,
      "WETH",
      -25,
      { maxFeePerGas: FEES.maxFeePerGas * 2n, maxPriorityFeePerGas: FEES.maxPriorityFeePerGas * 2n },
      first.nonce,
    );
    await keeperSettledAbove(s.client, afterFirst);
    const secondSeen = s.keeper.lines.find((l) => l.msg === "pending price update" && l.update === replacement.hash);
    expect(secondSeen, "the replacement was simulated").toBeDefined();
    expect(Number(secondSeen!.liquidatable)).toBeGreaterThan(Number(firstSeen?.liquidatable ?? 0));
    const block = await mine(s);

    const receipt = await s.client.getTransactionReceipt({ hash: replacement.hash });
    expect(receipt.blockNumber).toBe(block);
    const liquidations = await liquidationsBy(s.client, market.pool, s.liquidator, block, block);
    const taken = new Set(liquidations.map((l) => l.user.toLowerCase()));
    expect(taken.size, "accounts only the deeper price puts under water were taken too").toBeGreaterThan(
      Number(firstSeen?.liquidatable ?? 0),
    );
    for (const l of liquidations) {
      expect((await s.client.getTransactionReceipt({ hash: l.transactionHash })).transactionIndex).toBeGreaterThan(
        receipt.transactionIndex,
      );
    }
    const txs = await transactionsFrom(s.client, SANDBOX_KEEPER_ADDRESS, block, block);
    expect(txs.filter((t) => t.status !== "success")).toEqual([]);
    const left = (await liquidatableAt(s.client, market.pool, users, block)).filter((u) => !taken.has(u.toLowerCase()));
    for (const user of left) console.log(`${user} left; the keeper's lines about it:\n${linesAbout(s.keeper, user)}`);
    if (left.length > 0)
      console.log(
        `what the block's keeper transactions did:\n${await itemsOf(
          s,
          txs.map((t) => t.hash),
        )}`,
      );
    if (left.length > 0)
      console.log(
        s.keeper.lines
          .filter((l) => l.module === "backrun" || l.msg === "tx sent" || l.msg === "backrun replaced by a cancel")
          .map((l) => JSON.stringify(l))
          .join("\n"),
      );
    expect(left, "no account under water left untouched").toEqual([]);
  }, 600_000);
});
