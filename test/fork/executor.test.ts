// The executor on the sandbox: approvals once, simulation with decoded reverts, a liquidation mined
// and its amounts read back, one transaction per user, dry run sends nothing, a stuck transaction
// replaced at the same nonce, a nonce taken by another transaction, a private relay, the fee cap.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  encodeFunctionData,
  http,
  maxUint256,
  parseAbiItem,
  parseGwei,
  parseTransaction,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aaveOracleAbi, mintableErc20Abi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { endpointsFor } from "../../src/chain/connections.js";
import { rpc } from "../../src/chain/rpc.js";
import { Executor, type ExecutorOptions, type TxOutcome } from "../../src/executor/executor.js";
import type { ItemOutcome } from "../../src/executor/tracker.js";
import { initialFees, replacementFees } from "../../src/executor/fees.js";
import { decodeRevertData } from "../../src/executor/revertReason.js";
import { createLogger, silentLogger } from "../../src/logging.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import type { LiquidationPlan } from "../../src/scheduler/plan.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { startRpcProxy } from "../helpers/rpcProxy.js";

const KEEPER_KEY: Hex = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const KEEPER: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
/** anvil dev account #4: holds no tokens unless a test gives it some */
const OTHER_KEY: Hex = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";
const OTHER: Address = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const liquidationCallEvent = parseAbiItem(
  "event LiquidationCall(address indexed collateralAsset, address indexed debtAsset, address indexed user, uint256 debtToCover, uint256 liquidatedCollateralAmount, address liquidator, bool receiveAToken)",
);

describe("executor", () => {
  let sandbox: Sandbox;
  let client: PublicClient;
  let url: string;
  let watcher: Watcher;
  let executor: Executor;
  /** liquidatable users not yet used by a test */
  let candidates: Address[] = [];

  const options = (over: Partial<ExecutorOptions> = {}): ExecutorOptions => ({
    connections: endpointsFor(client, url),
    privateKey: KEEPER_KEY,
    chainId: sandbox.market.chainId,
    pool: sandbox.market.pool,
    maxFeeGwei: 500,
    priorityFeeGwei: 1,
    txTimeoutBlocks: 2,
    dryRun: false,
    logger: silentLogger,
    ...over,
  });
  const head = () => client.getBlock({ blockTag: "latest" });
  const nonceOf = (tag: "latest" | "pending" = "pending") => client.getTransactionCount({ address: KEEPER, blockTag: tag });
  const mine = () => rpc(url, "evm_mine", []);
  const setAutomine = (on: boolean) => rpc(url, "evm_setAutomine", [on]);

  /** A hand-made plan for one (collateral, debt) pair of the user, debtToCover = max (the pool caps it). */
  function planFor(user: Address, collateralId: number, debtId: number): LiquidationPlan {
    const coll = watcher.market.reserves[collateralId]!;
    const debt = watcher.market.reserves[debtId]!;
    const symbol = (a: Address) => sandbox.market.assets.find((x) => x.address.toLowerCase() === a.toLowerCase())?.symbol;
    return {
      user,
      collateralAsset: coll.asset,
      collateralReserveId: collateralId,
      collateralSymbol: symbol(coll.asset),
      debtAsset: debt.asset,
      debtReserveId: debtId,
      debtSymbol: symbol(debt.asset),
      debtToCover: maxUint256,
      expectedDebtRepaid: 0n,
      expectedCollateralSeized: 0n,
      expectedProtocolFee: 0n,
      receiveAToken: false,
      debtValueBase: 0n,
      collateralValueBase: 0n,
      gasCostBase: 0n,
      swapCostBase: 0n,
      expectedProfitBase: 0n,
      healthFactor: 0n,
      timestamp: 0n,
      blockNumber: watcher.head.number,
    };
  }

  /** Every (collateral, debt) pair the user holds. */
  function pairsOf(user: Address): [number, number][] {
    const position = watcher.book.get(user)!;
    const colls = [...position.scaledCollateral]
      .filter(([id, s]) => s > 0n && ((position.userConfig >> BigInt(2 * id + 1)) & 1n) === 1n)
      .map(([id]) => id);
    const debts = [...position.scaledVariableDebt].filter(([, s]) => s > 0n).map(([id]) => id);
    return colls.flatMap((c) => debts.map((d) => [c, d] as [number, number]));
  }

  /** The next unused liquidatable user with a pair that simulates fine. */
  async function nextPlan(): Promise<LiquidationPlan> {
    while (candidates.length > 0) {
      const user = candidates.shift()!;
      for (const [c, d] of pairsOf(user)) {
        const plan = planFor(user, c, d);
        if ((await executor.simulate(plan)).ok) return plan;
      }
    }
    throw new Error("no liquidatable user left");
  }

  async function debtOf(user: Address, asset: Address, blockNumber?: bigint): Promise<bigint> {
    const vToken = sandbox.market.assets.find((a) => a.address.toLowerCase() === asset.toLowerCase())!.variableDebtToken;
    return client.readContract({ address: vToken, abi: variableDebtTokenAbi, functionName: "balanceOf", args: [user], blockNumber });
  }

  /** The keeper's transaction with this nonce, searched in the last 50 blocks. */
  async function findTxByNonce(nonce: number) {
    const latest = await client.getBlockNumber();
    for (let b = latest; b > latest - 50n && b >= 0n; b--) {
      const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
      const tx = block.transactions.find((t) => t.from.toLowerCase() === KEEPER.toLowerCase() && t.nonce === nonce);
      if (tx) return tx;
    }
    return undefined;
  }

  /** The keeper's transactions of the last 50 blocks: block, nonce, to (a failure's context). */
  async function recentTxs() {
    const latest = await client.getBlockNumber();
    const out: [number, number, string | null][] = [];
    for (let b = latest; b > latest - 50n && b >= 0n; b--) {
      const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
      for (const t of block.transactions) if (t.from.toLowerCase() === KEEPER.toLowerCase()) out.push([Number(b), t.nonce, t.to]);
    }
    return out;
  }

  async function liquidationsOf(user: Address, fromBlock: bigint): Promise<number> {
    const logs = await client.getLogs({
      address: sandbox.market.pool,
      event: liquidationCallEvent,
      args: { user },
      fromBlock,
      toBlock: "latest",
    });
    return logs.length;
  }

  /** Calls onBlock at the current head until an outcome of `kind` shows up (mining a block between tries). */
  async function untilOutcome(ex: Executor, kind: TxOutcome["kind"], maxBlocks = 30, mineBetween = true): Promise<TxOutcome> {
    const seen: string[] = [];
    for (let i = 0; i < maxBlocks; i++) {
      const b = await head();
      const outcomes = await ex.onBlock(b.number, b.baseFeePerGas ?? 0n);
      const hit = outcomes.find((o) => o.kind === kind);
      if (hit) return hit;
      for (const o of outcomes) seen.push(`${o.kind}${o.kind === "dropped" ? ` (${o.reason})` : ""} at block ${b.number}`);
      // Under automine the block comes a moment after eth_sendRawTransaction returns.
      if (mineBetween) await mine();
      else await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`no "${kind}" outcome after ${maxBlocks} blocks; seen: ${seen.join(", ") || "none"}`);
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ borrowers: 120, seed: 71 });
    url = sandbox.anvil.rpcUrl;
    client = createPublicClient({ transport: http(url), cacheTime: 0, pollingInterval: 50 });
    // Fund the keeper with every asset (MintableERC20.mint is open), from the deployer.
    for (const asset of sandbox.market.assets) {
      const data = encodeFunctionData({
        abi: mintableErc20Abi,
        functionName: "mint",
        args: [KEEPER, 10n ** BigInt(asset.decimals) * 100_000_000n],
      });
      const hash = await rpc<Hex>(url, "eth_sendTransaction", [
        { from: sandbox.market.deployer, to: asset.address, data, gas: "0x1e8480" },
      ]);
      await client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    }
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const price = await client.readContract({
      address: sandbox.market.oracle,
      abi: aaveOracleAbi,
      functionName: "getAssetPrice",
      args: [weth.address],
    });
    await setFeedAnswer(sandbox.market, "WETH", movedPrice(price, -30));
    watcher = new Watcher({
      client,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: 0n,
      logChunkBlocks: 2000,
      logger: silentLogger,
    });
    await watcher.sync();
    await watcher.poll();
    candidates = watcher.book.liquidatable();
    executor = new Executor(options());
    await executor.start();
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("has enough liquidatable users to work with", () => {
    expect(candidates.length).toBeGreaterThanOrEqual(8);
    expect(executor.address).toBe(KEEPER);
  });

  it("approves each asset once; a second ensureApprovals sends nothing", async () => {
    const assets = sandbox.market.assets.map((a) => a.address);
    const before = await nonceOf();
    await executor.ensureApprovals(assets);
    expect(await nonceOf()).toBe(before + assets.length);
    for (const asset of assets) {
      expect(
        await client.readContract({
          address: asset,
          abi: mintableErc20Abi,
          functionName: "allowance",
          args: [KEEPER, sandbox.market.pool],
        }),
      ).toBe(maxUint256);
    }
    await executor.ensureApprovals(assets);
    // A fresh executor reads the allowances (already ≥ 2^255) and sends nothing either.
    const fresh = new Executor(options());
    await fresh.ensureApprovals(assets);
    expect(await nonceOf()).toBe(before + assets.length);
    const balances = await executor.walletBalances(assets);
    expect([...balances.values()].every((b) => b > 0n)).toBe(true);
  });

  it("simulates: ok with a gas estimate for a liquidatable user, decoded reasons otherwise", async () => {
    const plan = await nextPlan();
    const ok = await executor.simulate(plan);
    expect(ok.ok && ok.gas > 100_000n).toBe(true);

    const liquidatable = new Set(watcher.book.liquidatable().map((u) => u.toLowerCase()));
    const healthy = sandbox.borrowers.find((b) => !liquidatable.has(b.address.toLowerCase()) && pairsOf(b.address).length > 0)!;
    const [c, d] = pairsOf(healthy.address)[0]!;
    const hf = await executor.simulate(planFor(healthy.address, c, d));
    expect(hf).toEqual({ ok: false, reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" });

    // A debt asset the user did not borrow.
    const notBorrowed = watcher.market.reserves.findIndex(
      (r) => r !== undefined && (watcher.book.get(plan.user)!.scaledVariableDebt.get(r.id) ?? 0n) === 0n,
    );
    const none = await executor.simulate(planFor(plan.user, plan.collateralReserveId, notBorrowed));
    expect(none).toEqual({ ok: false, reason: "SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER (47)" });

    // The pool's checks pass but the wallet cannot pay: no tokens, then tokens without an allowance.
    const poor = new Executor(options({ privateKey: OTHER_KEY }));
    expect(poor.address).toBe(OTHER);
    expect(await poor.simulate(plan)).toEqual({ ok: false, reason: "ERC20_INSUFFICIENT_BALANCE: ERC20: transfer amount exceeds balance" });
    const data = encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [OTHER, 10n ** 30n] });
    await client.waitForTransactionReceipt({
      hash: await rpc<Hex>(url, "eth_sendTransaction", [{ from: sandbox.market.deployer, to: plan.debtAsset, data }]),
    });
    expect(await poor.simulate(plan)).toEqual({
      ok: false,
      reason: "ERC20_INSUFFICIENT_ALLOWANCE: ERC20: transfer amount exceeds allowance",
    });
    candidates.unshift(plan.user); // not used up
  });

  it("dry run: returns the simulation and sends nothing; without a key the simulation says so", async () => {
    const plan = await nextPlan();
    candidates.unshift(plan.user);
    const dry = new Executor(options({ dryRun: true }));
    await dry.start();
    const nonce = await nonceOf();
    const block = await head();
    const r = await dry.submit(plan, block.number, block.baseFeePerGas ?? 0n);
    expect(r.kind).toBe("dry-run");
    expect(r.kind === "dry-run" && r.simulation.ok).toBe(true);
    expect(dry.inFlight()).toEqual([]);
    expect(await nonceOf()).toBe(nonce);
    expect((await head()).number).toBe(block.number);

    const keyless = new Executor(options({ dryRun: true, privateKey: undefined }));
    expect(keyless.address).toBeUndefined();
    await keyless.start();
    const r2 = await keyless.submit(plan, block.number, block.baseFeePerGas ?? 0n);
    expect(r2.kind === "dry-run" && !r2.simulation.ok && r2.simulation.reason).toMatch(/^skipped: no wallet/);
    // ...but a real reason still comes through.
    const liquidatable = new Set(watcher.book.liquidatable().map((u) => u.toLowerCase()));
    const healthy = sandbox.borrowers.find((b) => !liquidatable.has(b.address.toLowerCase()) && pairsOf(b.address).length > 0)!;
    const [c, d] = pairsOf(healthy.address)[0]!;
    expect(await keyless.simulate(planFor(healthy.address, c, d))).toEqual({ ok: false, reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" });
    await keyless.ensureApprovals(sandbox.market.assets.map((a) => a.address));
    expect(await nonceOf()).toBe(nonce);
  });

  it("submits a liquidation: mined, amounts from the LiquidationCall event, debt reduced on chain; a second submit is refused", async () => {
    const plan = await nextPlan();
    const block = await head();
    const debtBefore = await debtOf(plan.user, plan.debtAsset, block.number);
    const nonce = await nonceOf();
    const r = await executor.submit(plan, block.number, block.baseFeePerGas ?? 0n);
    expect(r.kind).toBe("sent");
    if (r.kind !== "sent") return;
    expect(r.tx.nonce).toBe(nonce);
    expect(r.tx.maxPriorityFeePerGas).toBe(parseGwei("1"));
    expect(r.tx.maxFeePerGas).toBe(2n * (block.baseFeePerGas ?? 0n) + parseGwei("1"));
    expect(executor.hasInFlight(plan.user)).toBe(true);

    const again = await executor.submit(plan, block.number, block.baseFeePerGas ?? 0n);
    expect(again.kind).toBe("skipped");
    expect(again.kind === "skipped" && again.reason).toMatch(/already in flight/);
    expect(await nonceOf()).toBe(nonce + 1);

    const outcome = await untilOutcome(executor, "mined", 20, false);
    if (outcome.kind !== "mined") return;
    expect(outcome.hash).toBe(r.tx.hash);
    const item = liquidatedItem(outcome);
    expect(item.debtRepaid).toBeGreaterThan(0n);
    expect(item.collateralReceived).toBeGreaterThan(0n);
    expect(outcome.gasUsed).toBeGreaterThan(100_000n);
    const debtAfter = await debtOf(plan.user, plan.debtAsset, outcome.blockNumber);
    // One block of interest at most between the two reads.
    const reduction = debtBefore - debtAfter;
    expect(reduction).toBeLessThanOrEqual(item.debtRepaid);
    expect(reduction).toBeGreaterThan(item.debtRepaid - item.debtRepaid / 1000n - 1n);
    expect(executor.hasInFlight(plan.user)).toBe(false);
    expect(executor.inFlight()).toEqual([]);
  });

  it("skips when the fee cap is below the base fee", async () => {
    const plan = await nextPlan();
    candidates.unshift(plan.user);
    const capped = new Executor(options({ maxFeeGwei: 10 }));
    await capped.start();
    const nonce = await nonceOf();
    const r = await capped.submit(plan, (await head()).number, parseGwei("11"));
    expect(r.kind).toBe("skipped");
    expect(r.kind === "skipped" && r.reason).toMatch(/fee cap .* below the base fee/);
    expect(await nonceOf()).toBe(nonce);
  });

  it("replaces a stuck transaction at the same nonce with higher fees; the replacement is mined once", async () => {
    const plan = await nextPlan();
    const lines: string[] = [];
    const logger = createLogger("debug", {
      pretty: false,
      destination: { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream,
    });
    const stuck = new Executor(options({ maxFeeGwei: 20, logger }));
    await stuck.start();
    const fromBlock = (await head()).number;
    await setAutomine(false);
    try {
      const block = await head();
      const r = await stuck.submit(plan, block.number, block.baseFeePerGas ?? 0n);
      expect(r.kind).toBe("sent");
      if (r.kind !== "sent") return;
      // Blocks with a base fee the transaction cannot pay (anvil keeps it in the pool).
      await rpc(url, "anvil_setNextBlockBaseFeePerGas", [`0x${parseGwei("40").toString(16)}`]);
      await mine();
      // Past txTimeoutBlocks, but a replacement capped at 20 gwei is below the base fee (40 gwei, -12.5% a
      // block): the executor waits, then replaces once the base fee is under the cap.
      const seen: TxOutcome[] = [];
      let replaced: TxOutcome | undefined;
      for (let i = 0; i < 20 && !replaced; i++) {
        const b = await head();
        if (b.baseFeePerGas! > parseGwei("20")) expect(b.transactions).toEqual([]);
        const outcomes = await stuck.onBlock(b.number, b.baseFeePerGas ?? 0n);
        seen.push(...outcomes);
        replaced = outcomes.find((o) => o.kind === "replaced");
        if (replaced) expect(b.baseFeePerGas!).toBeLessThan(parseGwei("20"));
        else await mine();
      }
      expect(seen.map((o) => o.kind)).toEqual(["replaced"]);
      if (replaced?.kind !== "replaced") return;
      expect(replaced.tx.nonce).toBe(r.tx.nonce);
      expect(replaced.tx.hashes).toEqual([r.tx.hash, replaced.hash]);
      expect(replaced.tx.maxFeePerGas).toBe(parseGwei("20"));
      expect(replaced.tx.maxPriorityFeePerGas).toBeGreaterThanOrEqual((r.tx.maxPriorityFeePerGas * 1125n) / 1000n);
      expect(stuck.hasInFlight(plan.user)).toBe(true);

      await mine();
      const mined = await untilOutcome(stuck, "mined", 30);
      if (mined.kind !== "mined") return;
      expect(mined.hash).toBe(replaced.hash);
      expect(mined.tx.nonce).toBe(r.tx.nonce);
      expect(mined.tx.replacements).toBe(1);
      expect(liquidatedItem(mined).debtRepaid).toBeGreaterThan(0n);
      expect(await liquidationsOf(plan.user, fromBlock)).toBe(1);
      expect(await nonceOf("latest")).toBe(r.tx.nonce + 1);
      const messages = lines.map((l) => JSON.parse(l) as { msg: string; module?: string });
      expect(messages.map((m) => m.msg)).toEqual(
        expect.arrayContaining(["tx sent", "stuck tx: the fee cap is below the base fee; waiting", "tx replaced", "tx mined"]),
      );
      expect(messages.every((m) => m.module === "executor")).toBe(true);
      expect(lines.join("\n").toLowerCase()).not.toContain(KEEPER_KEY.slice(2).toLowerCase());
    } finally {
      await setAutomine(true);
    }
  });

  it("reports a nonce taken by another transaction as dropped, and the nonce manager recovers", async () => {
    const plan = await nextPlan();
    const ex = new Executor(options());
    await ex.start();
    const fromBlock = (await head()).number;
    const keeper = privateKeyToAccount(KEEPER_KEY);
    let takenNonce: number;
    await setAutomine(false);
    try {
      const block = await head();
      const r = await ex.submit(plan, block.number, block.baseFeePerGas ?? 0n);
      expect(r.kind).toBe("sent");
      if (r.kind !== "sent") return;
      takenNonce = r.tx.nonce;
      // Another process with the same key replaces it (higher fees, same nonce).
      const raw = await keeper.signTransaction({
        type: "eip1559",
        chainId: sandbox.market.chainId,
        nonce: r.tx.nonce,
        to: KEEPER,
        value: 0n,
        gas: 21_000n,
        maxFeePerGas: r.tx.maxFeePerGas * 2n,
        maxPriorityFeePerGas: r.tx.maxPriorityFeePerGas * 2n,
      });
      await rpc(url, "eth_sendRawTransaction", [raw]);
      await mine();
    } finally {
      await setAutomine(true);
    }
    // Dropped once no receipt shows for its hash over three reads (a node may lag receipts behind state).
    const b = await head();
    const outcomes: TxOutcome[] = [];
    for (let i = 0; i < 3; i++) outcomes.push(...(await ex.onBlock(b.number, b.baseFeePerGas ?? 0n)));
    expect(outcomes.map((o) => o.kind)).toEqual(["dropped"]);
    expect(ex.hasInFlight(plan.user)).toBe(false);
    expect(await liquidationsOf(plan.user, fromBlock)).toBe(0);

    // Yet another transaction from the key, behind the executor's back: its local nonce is now stale.
    const base = (await head()).baseFeePerGas ?? 0n;
    const raw = await keeper.signTransaction({
      type: "eip1559",
      chainId: sandbox.market.chainId,
      nonce: takenNonce + 1,
      to: KEEPER,
      value: 0n,
      gas: 21_000n,
      maxFeePerGas: 2n * base + parseGwei("1"),
      maxPriorityFeePerGas: parseGwei("1"),
    });
    await client.waitForTransactionReceipt({ hash: await rpc<Hex>(url, "eth_sendRawTransaction", [raw]), pollingInterval: 20 });
    expect(await nonceOf("latest")).toBe(takenNonce + 2);

    // The same user again: "nonce too low" → resync from the chain → sent at the right nonce.
    const block = await head();
    const again = await ex.submit(plan, block.number, block.baseFeePerGas ?? 0n);
    expect(again.kind).toBe("sent");
    if (again.kind !== "sent") return;
    expect(again.tx.nonce).toBe(takenNonce + 2);
    const mined = await untilOutcome(ex, "mined", 20, false);
    expect(liquidatedItem(mined).debtRepaid).toBeGreaterThan(0n);
    expect(await liquidationsOf(plan.user, fromBlock)).toBe(1);
  });

  it("sends through the private relay when one is set, never to the public RPC URL", async () => {
    const plan = await nextPlan();
    const relay = await startRpcProxy(url);
    const publicSend = await startRpcProxy(url);
    try {
      const ex = new Executor(options({ connections: endpointsFor(client, publicSend.url, relay.url) }));
      await ex.start();
      const block = await head();
      const r = await ex.submit(plan, block.number, block.baseFeePerGas ?? 0n);
      expect(r.kind).toBe("sent");
      expect(relay.counts.get("eth_sendRawTransaction")).toBe(1);
      expect(publicSend.counts.get("eth_sendRawTransaction") ?? 0).toBe(0);
      const mined = await untilOutcome(ex, "mined", 20, false);
      expect(mined.kind).toBe("mined");
      expect(await ex.drain(1_000, async () => undefined)).toBe(true);
    } finally {
      await relay.close();
      await publicSend.close();
    }
  });

  it("a block's liquidations go out with consecutive nonces; a refused one in the middle is filled with a cancel, no gap", async () => {
    const plans = [await nextPlan(), await nextPlan()];
    // The node refuses the first transaction (the most profitable, alone in the first batch, at the
    // wallet's next nonce; the two batches' sends may reach it in either order); the next one, in the
    // second batch, is accepted at the nonce after it.
    const nonce = await nonceOf();
    let refused = false;
    const proxy = await startRpcProxy(url, {
      refuseSend: (_, raw) => {
        if (refused || parseTransaction(raw as Hex).nonce !== nonce) return undefined;
        refused = true; // the cancel that fills the hole later goes through
        return "transaction rejected by the test";
      },
    });
    try {
      const ex = new Executor(options({ connections: endpointsFor(client, proxy.url) }));
      await ex.start();
      const block = await head();
      const results = await ex.liquidate(plans, block.number, block.baseFeePerGas ?? 0n);
      expect(results.map((r) => r.kind)).toEqual(["skipped", "sent"]);
      expect(results[0]!.kind === "skipped" && results[0]!.reason).toMatch(/send failed: .*rejected by the test/);
      expect(results[1]!.kind === "sent" && results[1]!.tx.nonce).toBe(nonce + 1);
      // The hole at `nonce` holds a 0-value self-transfer, so the liquidation after it is mined.
      for (let i = 0; i < 100 && (await nonceOf("latest")) < nonce + 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await nonceOf("latest")).toBe(nonce + 2);
      const filler = await findTxByNonce(nonce);
      expect(filler?.to?.toLowerCase(), `the keeper's last transactions: ${JSON.stringify(await recentTxs())} (hole at ${nonce})`).toBe(
        KEEPER.toLowerCase(),
      );
      expect(filler?.value).toBe(0n);
      const outcomes: TxOutcome[] = [];
      for (let i = 0; i < 40 && !outcomes.some((o) => o.kind === "mined"); i++) {
        const b = await head();
        outcomes.push(...(await ex.onBlock(b.number, b.baseFeePerGas ?? 0n)));
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(outcomes.map((o) => o.kind)).toEqual(["mined"]);
      expect(ex.inFlight()).toEqual([]);
      expect(await ex.drain(500, async () => undefined)).toBe(true);
      candidates.unshift(plans[0]!.user); // not liquidated: still a candidate
    } finally {
      await proxy.close();
    }
  });

  it("gas limits never decrease along the nonces in flight (a builder must not find a later one fitting where an earlier did not)", async () => {
    const plans = [await nextPlan(), await nextPlan()];
    // The first needs more gas than it simulates with (a plan's gas is a floor); the second would get less.
    plans[0] = { ...plans[0]!, gasUnits: 1_200_000n };
    const ex = new Executor(options()); // its nonce from the chain (other tests sent from this key)
    await ex.start();
    const block = await head();
    const results = await ex.liquidate(plans, block.number, block.baseFeePerGas ?? 0n);
    expect(results.map((r) => r.kind)).toEqual(["sent", "sent"]);
    const sent = results.map((r) => (r.kind === "sent" ? r.tx : undefined)!);
    expect(sent[1]!.nonce).toBe(sent[0]!.nonce + 1);
    const txs = await Promise.all(sent.map((t) => client.getTransaction({ hash: t.hash })));
    expect(txs[0]!.gas).toBe(1_200_000n);
    expect((sent[1]!.simulatedGas * 5n) / 4n).toBeLessThan(1_200_000n); // its own limit would have been lower
    expect(txs[1]!.gas).toBe(1_200_000n);
    const outcomes: TxOutcome[] = [];
    for (let i = 0; i < 40 && outcomes.length < 2; i++) {
      const b = await head();
      outcomes.push(...(await ex.onBlock(b.number, b.baseFeePerGas ?? 0n)));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(outcomes.map((o) => o.kind)).toEqual(["mined", "mined"]);
    expect(ex.inFlight()).toEqual([]);
  });

  it("drain waits for in-flight transactions, calling poll", async () => {
    const plan = await nextPlan();
    await setAutomine(false);
    try {
      const block = await head();
      const r = await executor.submit(plan, block.number, block.baseFeePerGas ?? 0n);
      expect(r.kind).toBe("sent");
      expect(
        await executor.drain(300, async () => {
          const b = await head();
          await executor.onBlock(b.number, b.baseFeePerGas ?? 0n);
        }),
      ).toBe(false);
      let polls = 0;
      const drained = await executor.drain(10_000, async () => {
        polls++;
        await mine();
        const b = await head();
        await executor.onBlock(b.number, b.baseFeePerGas ?? 0n);
      });
      expect(drained).toBe(true);
      expect(polls).toBeGreaterThanOrEqual(1);
    } finally {
      await setAutomine(true);
    }
  });
  it("cancels a stuck liquidation that would now revert with a 0-value self-transfer at the same nonce", async () => {
    const plan = await nextPlan();
    const ex = new Executor(options({ maxFeeGwei: 200 }));
    await ex.start();
    const fromBlock = (await head()).number;
    await setAutomine(false);
    try {
      const block = await head();
      const r = await ex.submit(plan, block.number, block.baseFeePerGas ?? 0n);
      expect(r.kind).toBe("sent");
      if (r.kind !== "sent") return;
      await rpc(url, "anvil_setNextBlockBaseFeePerGas", [`0x${parseGwei("40").toString(16)}`]);
      await mine();
      // The price comes back: the user is healthy again (the feed update is mined; ours is not).
      const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
      const moving = setFeedAnswer(sandbox.market, "WETH", weth.spec.priceUsd);
      let done = false;
      void moving.finally(() => (done = true));
      while (!done) {
        await mine();
        await new Promise((res) => setTimeout(res, 30));
      }
      await moving;
      const cancelled = await untilOutcome(ex, "replaced", 5);
      if (cancelled.kind !== "replaced") return;
      const cancelTx = await client.getTransaction({ hash: cancelled.hash });
      expect(cancelTx.to?.toLowerCase()).toBe(KEEPER.toLowerCase());
      expect(cancelTx.value).toBe(0n);
      expect(cancelTx.nonce).toBe(r.tx.nonce);
      const dropped = await untilOutcome(ex, "dropped", 5);
      expect(dropped.kind === "dropped" && dropped.reason).toBe("cancelled: HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)");
      expect(await liquidationsOf(plan.user, fromBlock)).toBe(0);
      expect(ex.inFlight()).toEqual([]);
    } finally {
      await setAutomine(true);
    }
  });

  it("never puts the private key in an error", () => {
    const bad = `0x${"ff".repeat(32)}` as Hex; // above the curve order
    let message = "";
    try {
      new Executor(options({ privateKey: bad }));
    } catch (err) {
      message = String(err) + JSON.stringify(err) + String((err as Error).cause ?? "");
    }
    expect(message).toMatch(/not a valid/);
    expect(message.toLowerCase()).not.toContain("ff".repeat(32));
    expect(() => new Executor(options({ privateKey: undefined }))).toThrow(/private key is required/);
  });
});

describe("executor fees and revert reasons", () => {
  const gwei = (n: string) => parseGwei(n);
  it("first send: 2 × base + tip under the cap; a cap below the base fee skips", () => {
    expect(initialFees(gwei("10"), gwei("1"), gwei("100"))).toEqual({ maxFeePerGas: gwei("21"), maxPriorityFeePerGas: gwei("1") });
    expect(initialFees(gwei("10"), gwei("1"), gwei("15"))).toEqual({ maxFeePerGas: gwei("15"), maxPriorityFeePerGas: gwei("1") });
    expect(initialFees(gwei("10"), gwei("1"), gwei("9"))).toHaveProperty("skip");
  });
  it("replacement: both fees +12.5% at least, at least the base-fee fee, never above the cap", () => {
    const prev = { maxFeePerGas: gwei("21"), maxPriorityFeePerGas: gwei("1") };
    expect(replacementFees(prev, gwei("10"), gwei("1"), gwei("100"))).toEqual({
      maxFeePerGas: gwei("23.625"),
      maxPriorityFeePerGas: gwei("1.125"),
    });
    expect(replacementFees(prev, gwei("30"), gwei("1"), gwei("100"))).toEqual({
      maxFeePerGas: gwei("61.125"),
      maxPriorityFeePerGas: gwei("1.125"),
    });
    expect(replacementFees(prev, gwei("30"), gwei("1"), gwei("40"))).toEqual({
      maxFeePerGas: gwei("40"),
      maxPriorityFeePerGas: gwei("1.125"),
    });
    expect(replacementFees(prev, gwei("30"), gwei("1"), gwei("23"))).toHaveProperty("skip");
  });
  it("decodes Aave string codes, 3.4+ custom errors and empty reverts", () => {
    const errorString = (s: string) =>
      encodeFunctionData({
        abi: [{ type: "function", name: "Error", inputs: [{ type: "string" }], outputs: [], stateMutability: "pure" }],
        functionName: "Error",
        args: [s],
      });
    expect(decodeRevertData(errorString("27"))).toBe("RESERVE_INACTIVE (27)");
    expect(decodeRevertData(errorString("29"))).toBe("RESERVE_PAUSED (29)");
    expect(decodeRevertData(errorString("46"))).toBe("COLLATERAL_CANNOT_BE_LIQUIDATED (46)");
    expect(decodeRevertData("0x930bb771")).toBe("HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())");
    expect(decodeRevertData("0x")).toBe("REVERTED_WITHOUT_REASON");
  });
});

/** The one liquidation of a mined single-plan transaction. */
function liquidatedItem(outcome: TxOutcome): Extract<ItemOutcome, { kind: "liquidated" }> {
  if (outcome.kind !== "mined") throw new Error(`expected a mined transaction, got ${outcome.kind}`);
  const [item] = outcome.items;
  if (item?.kind !== "liquidated")
    throw new Error(`expected its liquidation, got ${item?.kind}: ${item?.kind === "skipped" ? item.reason : ""}`);
  return item;
}
