// The keeper: watcher → scheduler → executor, block after block.
// Per block: the watcher brings the account book to the new head; every liquidatable account is
// planned at the timestamp the next block will have (best pair, close factor, bonus, fee, gas,
// wallet inventory); plans go through the profit-ordered queue to the executor, which simulates,
// signs and sends (or, in dry run, logs the opportunity), and tracks what it sent.
import { createPublicClient, webSocket, type Address, type PublicClient } from "viem";
import { redactUrl } from "../chain/rpc.js";
import type { Logger } from "../logging.js";
import { readSymbols } from "../chain/tokens.js";
import { Executor, NO_WALLET_REASON, type SimulationResult, type TxOutcome } from "../executor/executor.js";
import { compileAccount, evaluateAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { OpportunityQueue } from "../scheduler/opportunityQueue.js";
import { debtReservation, type LiquidationPlan } from "../scheduler/plan.js";
import { LEFTOVER_MARGIN_DIVISOR, planLiquidation, type GasModel } from "../scheduler/profit.js";
import { Watcher } from "../watcher/watcher.js";

export interface KeeperOptions {
  client: PublicClient;
  rpcUrl: string;
  chainId: number;
  addressesProvider: Address;
  startBlock: bigint;
  stateDir?: string;
  logChunkBlocks: number;
  pollIntervalMs: number;
  /** when set, new blocks are announced over this WebSocket (eth_subscribe newHeads); polling stays as the fallback */
  wsUrl?: string;
  privateKey?: `0x${string}`;
  dryRun: boolean;
  minProfitUsd: number;
  maxFeeGwei: number;
  priorityFeeGwei: number;
  txTimeoutBlocks: number;
  privateTxUrl?: string;
  logger: Logger;
  /** liquidations simulated and sent at once (default 4; the executor serialises the nonces) */
  concurrency?: number;
  /** gas a 3.0 liquidationCall is planned with before simulation gives the real figure */
  plannedGasUnits?: bigint;
}

export interface KeeperStats {
  opportunities: number;
  sent: number;
  liquidations: number;
  reverted: number;
  accountsLiquidated: Set<string>;
  debtRepaidBase: bigint;
  collateralReceivedBase: bigint;
  gasCostBase: bigint;
  /** collateral received − debt repaid − gas, at the oracle prices of the block it was mined in */
  realizedProfitBase: bigint;
}

const DEFAULT_GAS_UNITS = 450_000n;
const BASE_UNIT = 10n ** 8n;
/** wrapped native tokens, to price gas in the oracle's base currency */
const NATIVE_SYMBOLS = ["WETH", "WMATIC", "WPOL", "WAVAX", "WBNB", "WXDAI", "WFTM", "WS"];

export class Keeper {
  readonly watcher: Watcher;
  executor!: Executor;
  readonly stats: KeeperStats = {
    opportunities: 0, sent: 0, liquidations: 0, reverted: 0, accountsLiquidated: new Set(),
    debtRepaidBase: 0n, collateralReceivedBase: 0n, gasCostBase: 0n, realizedProfitBase: 0n,
  };
  private readonly queue: OpportunityQueue;
  private readonly log: Logger;
  private nativeReserveId: number | undefined;
  private wallet: Map<number, bigint> | undefined;
  private readonly loggedOpportunities = new Map<string, string>();
  private blockTimes: bigint[] = [];
  private lastTimestamp: bigint | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly symbols = new Map<number, string>();

  constructor(private readonly options: KeeperOptions) {
    this.log = options.logger.child({ module: "keeper" });
    this.watcher = new Watcher({
      client: options.client, addressesProvider: options.addressesProvider, startBlock: options.startBlock,
      stateDir: options.stateDir, logChunkBlocks: options.logChunkBlocks, logger: options.logger,
    });
    this.queue = new OpportunityQueue({
      concurrency: options.concurrency ?? 4,
      replan: (user) => this.plan(user, this.predictedSnapshot()),
      execute: (plan) => this.execute(plan),
      onError: (err, plan) => this.log.error({ user: plan.user, err: (err as Error).message }, "liquidation failed"),
    });
  }

  /** Syncs the watcher and prepares the wallet (approvals); throws what a retry will not fix. */
  async start(): Promise<void> {
    await this.watcher.sync();
    const options = this.options;
    // The pool is known once the market is discovered.
    this.executor = new Executor({
      publicClient: options.client, rpcUrl: options.rpcUrl, privateTxUrl: options.privateTxUrl, privateKey: options.privateKey,
      chainId: options.chainId, pool: this.watcher.info.addresses.pool, maxFeeGwei: options.maxFeeGwei,
      priorityFeeGwei: options.priorityFeeGwei, txTimeoutBlocks: options.txTimeoutBlocks, dryRun: options.dryRun, logger: options.logger,
    });
    await this.executor.start();
    const assets = this.reserveAssets();
    const symbols = await readSymbols(options.client, assets.map((a) => a.asset));
    assets.forEach((a, i) => this.symbols.set(a.id, symbols[i]!));
    const native = assets.find((_, i) => NATIVE_SYMBOLS.includes(symbols[i]!.toUpperCase()));
    this.nativeReserveId = native?.id;
    if (native === undefined) this.log.warn("no wrapped native token among the reserves: gas costs are left out of the profit");
    if (!this.options.dryRun) {
      await this.refreshWallet();
      const held = assets.filter((a) => (this.wallet?.get(a.id) ?? 0n) > 0n).map((a) => a.asset);
      await this.executor.ensureApprovals(held);
      this.log.info({ wallet: this.executor.address, assetsHeld: held.length }, "wallet ready");
    }
    this.lastTimestamp = this.watcher.head.timestamp;
    this.planAndQueue();
  }

  /** One step: new blocks → book → plans → queue; and the executor's receipts and replacements. */
  async tick(): Promise<boolean> {
    const update = await this.watcher.poll();
    if (!update) return false;
    const head = this.watcher.head;
    if (this.lastTimestamp !== undefined && head.timestamp > this.lastTimestamp) {
      const blocks = update.toBlock - update.fromBlock + 1n;
      this.blockTimes = [...this.blockTimes, (head.timestamp - this.lastTimestamp) / (blocks > 0n ? blocks : 1n)].slice(-8);
    }
    this.lastTimestamp = head.timestamp;
    this.log.debug({ block: update.toBlock, logs: update.logs, dirty: update.dirtyUsers, recomputed: update.recomputed, liquidatable: update.liquidatable.length, ms: update.ms }, "block processed");
    // Liquidations first: they race other keepers for this block. Receipts, replacements and the
    // wallet's balances come after, off the hot path (in-flight amounts stay reserved meanwhile).
    if (!this.stopping) this.planAndQueue();
    let settled = false;
    for (const outcome of await this.executor.onBlock(head.number, head.baseFeePerGas)) {
      this.record(outcome);
      settled = true;
    }
    // Tokens sent to the wallet from outside are seen at the latest 20 blocks later.
    if ((settled || head.number % 20n === 0n) && !this.options.dryRun) await this.refreshWallet();
    return true;
  }

  /** Resolves when every queued liquidation has been handed to the executor (for tests and benchmarks). */
  queueIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Runs until `signal` aborts; transient errors are logged once per incident and retried with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.options.wsUrl ? this.subscribeNewHeads(this.options.wsUrl) : undefined;
    try {
      await this.loop(signal);
    } finally {
      unsubscribe?.();
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.tick();
        if (failures > 0) this.log.info({ after: failures }, "RPC answers again: resumed");
        failures = 0;
        await this.nap(this.options.pollIntervalMs, signal);
      } catch (err) {
        failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6)) * (0.8 + Math.random() * 0.4);
        if (failures === 1) this.log.warn({ err: firstLine(err) }, "RPC error: backing off and retrying");
        else this.log.debug({ err: firstLine(err), failures }, "still failing");
        await sleep(delay, signal);
      }
    }
  }

  /** Waits for the poll interval, or less when a new head is announced over the WebSocket. */
  private nap(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  }

  private subscribeNewHeads(wsUrl: string): () => void {
    const ws = createPublicClient({ transport: webSocket(wsUrl, { reconnect: true }) });
    let failing = false;
    const unwatch = ws.watchBlockNumber({
      emitOnBegin: false,
      onBlockNumber: () => {
        if (failing) this.log.info("WS_URL delivers new heads again");
        failing = false;
        this.wake?.();
      },
      onError: (err) => {
        if (!failing) this.log.warn({ err: firstLine(err) }, "WS_URL subscription failed: polling meanwhile");
        failing = true;
      },
    });
    this.log.info({ ws: redactUrl(wsUrl) }, "following new heads over WS_URL");
    return () => {
      unwatch();
      void (ws.transport as { getRpcClient?: () => Promise<{ close: () => void }> }).getRpcClient?.().then((c) => c.close()).catch(() => undefined);
    };
  }

  /** Stops taking work, waits up to `timeoutMs` for transactions in flight, writes the checkpoint. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.queue.close();
    await this.queue.onIdle();
    const drained = await this.executor.drain(timeoutMs, async () => {
      await this.tick().catch(() => undefined);
    });
    if (!drained) this.log.warn({ inFlight: this.executor.inFlight().length }, "stopping with transactions still in flight");
    this.watcher.checkpoint();
    this.log.info(this.summary(), "stopped");
  }

  summary() {
    const s = this.stats;
    return {
      opportunities: s.opportunities, sent: s.sent, liquidations: s.liquidations, reverted: s.reverted,
      accountsLiquidated: s.accountsLiquidated.size, debtRepaidUsd: usd(s.debtRepaidBase),
      collateralReceivedUsd: usd(s.collateralReceivedBase), gasCostUsd: usd(s.gasCostBase), realizedProfitUsd: usd(s.realizedProfitBase),
    };
  }

  private planAndQueue(): void {
    const candidates = this.watcher.book.liquidatable();
    for (const user of this.loggedOpportunities.keys()) {
      if (!candidates.some((c) => c.toLowerCase() === user)) this.loggedOpportunities.delete(user);
    }
    if (candidates.length === 0) return;
    const snapshot = this.predictedSnapshot();
    for (const user of candidates) {
      if (this.executor.hasInFlight(user) || this.queue.has(user)) continue;
      const plan = this.plan(user, snapshot);
      if (!plan) continue;
      if (this.options.dryRun && this.loggedOpportunities.get(user.toLowerCase()) === opportunityKey(plan)) continue;
      this.stats.opportunities++;
      this.queue.offer(plan);
    }
  }

  /** The best liquidation of `user` at the next block's predicted timestamp, or undefined (logged). */
  private plan(user: Address, snapshot: MarketSnapshot): LiquidationPlan | undefined {
    const position = this.watcher.book.get(user);
    if (!position) return undefined;
    const account = compileAccount(position, this.watcher.rules);
    evaluateAccount(account, snapshot);
    const result = planLiquidation(account, snapshot, {
      gas: this.gasModel(snapshot),
      walletBalances: this.options.dryRun ? undefined : this.wallet,
      minProfitBase: BigInt(Math.round(this.options.minProfitUsd * 1e8)),
      blockNumber: this.watcher.head.number,
      symbols: this.symbols,
      liquidator: this.executor.address,
      leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR,
    });
    if (!result.best) {
      this.log.debug({ user, reason: result.skip }, "not liquidating");
      return undefined;
    }
    return result.best;
  }

  private async execute(plan: LiquidationPlan): Promise<void> {
    const head = this.watcher.head;
    // Reserve the debt tokens before the first await: liquidations run concurrently, and two plans
    // must never count on the same balance (the second would revert on the token transfer).
    const debtId = plan.debtReserveId;
    const reserve = (sign: bigint) => this.wallet?.set(debtId, (this.wallet.get(debtId) ?? 0n) - sign * debtReservation(plan));
    reserve(1n);
    let sent = false;
    try {
      if (!this.options.dryRun) await this.executor.ensureApprovals([plan.debtAsset]);
      sent = await this.submit(plan, head.number, head.baseFeePerGas);
    } finally {
      if (!sent) reserve(-1n);
    }
  }

  /** Hands the plan to the executor and logs what became of it; true when a transaction went out. */
  private async submit(plan: LiquidationPlan, blockNumber: bigint, baseFeePerGas: bigint): Promise<boolean> {
    const result = await this.executor.submit(plan, blockNumber, baseFeePerGas);
    if (result.kind === "dry-run") {
      this.loggedOpportunities.set(plan.user.toLowerCase(), opportunityKey(plan));
      this.log.info({
        dryRun: true, user: plan.user, collateral: plan.collateralSymbol ?? plan.collateralAsset, debt: plan.debtSymbol ?? plan.debtAsset,
        debtToCover: plan.debtToCover.toString(), expectedDebtRepaid: plan.expectedDebtRepaid.toString(),
        expectedCollateralSeized: plan.expectedCollateralSeized.toString(),
        expectedProfitUsd: usd(plan.expectedProfitBase), healthFactor: formatWad(plan.healthFactor),
        simulation: describeSimulation(result.simulation),
      }, "opportunity");
      return false;
    }
    if (result.kind === "skipped") {
      this.log.info({ user: plan.user, reason: result.reason }, "liquidation skipped");
      return false;
    }
    this.stats.sent++;
    return true;
  }

  private record(outcome: TxOutcome): void {
    if (outcome.kind === "mined") {
      const plan = outcome.tx.plan;
      const market = this.watcher.market;
      const c = market.reserves[plan.collateralReserveId]!;
      const d = market.reserves[plan.debtReserveId]!;
      const collateralBase = (outcome.collateralReceived * c.price) / c.unit;
      const debtBase = (outcome.debtRepaid * d.price) / d.unit;
      const gasBase = this.gasToBase(outcome.gasUsed * outcome.effectiveGasPrice);
      this.stats.liquidations++;
      this.stats.accountsLiquidated.add(plan.user.toLowerCase());
      this.stats.debtRepaidBase += debtBase;
      this.stats.collateralReceivedBase += collateralBase;
      this.stats.gasCostBase += gasBase;
      this.stats.realizedProfitBase += collateralBase - debtBase - gasBase;
      this.log.info({ user: plan.user, hash: outcome.hash, block: outcome.blockNumber, debtRepaidUsd: usd(debtBase), realizedProfitUsd: usd(collateralBase - debtBase - gasBase) }, "liquidated");
    } else if (outcome.kind === "reverted") {
      this.stats.reverted++;
    }
  }

  private predictedSnapshot(): MarketSnapshot {
    const head = this.watcher.head;
    return snapshotMarket(this.watcher.market, this.watcher.rules, head.timestamp + this.blockTime());
  }

  /** Median of the recent block intervals; 12 s (Ethereum) until there are some. */
  private blockTime(): bigint {
    if (this.blockTimes.length === 0) return 12n;
    const sorted = [...this.blockTimes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  private gasModel(snapshot: MarketSnapshot): GasModel {
    const head = this.watcher.head;
    const cap = BigInt(Math.round(this.options.maxFeeGwei * 1e9));
    const priority = BigInt(Math.round(this.options.priorityFeeGwei * 1e9));
    const fee = 2n * head.baseFeePerGas + priority;
    const native = this.nativeReserveId === undefined ? undefined : snapshot.market.reserves[this.nativeReserveId];
    return {
      gasUnits: this.options.plannedGasUnits ?? DEFAULT_GAS_UNITS,
      maxFeePerGas: fee < cap ? fee : cap,
      nativePriceBase: native?.price ?? 0n,
    };
  }

  private gasToBase(wei: bigint): bigint {
    const native = this.nativeReserveId === undefined ? undefined : this.watcher.market.reserves[this.nativeReserveId];
    return native ? (wei * native.price) / 10n ** 18n : 0n;
  }

  private reserveAssets(): { id: number; asset: Address }[] {
    return this.watcher.market.reserves.filter((r) => r !== undefined).map((r) => ({ id: r!.id, asset: r!.asset }));
  }

  private async refreshWallet(): Promise<void> {
    const assets = this.reserveAssets();
    const balances = await this.executor.walletBalances(assets.map((a) => a.asset));
    this.wallet = new Map(assets.map((a) => [a.id, balances.get(a.asset) ?? 0n]));
    // What in-flight liquidations will pull is not available for new ones.
    for (const tx of this.executor.inFlight()) {
      const id = tx.plan.debtReserveId;
      this.wallet.set(id, (this.wallet.get(id) ?? 0n) - debtReservation(tx.plan));
    }
  }

}

/** For the dry-run line: without a wallet only the pool's checks can be simulated, and they passed. */
function describeSimulation(simulation: SimulationResult) {
  if (simulation.ok) return { ok: true, gas: simulation.gas.toString() };
  if (simulation.reason === NO_WALLET_REASON) return { ok: true, scope: "pool checks only: no wallet to pull the debt from" };
  return { ok: false, reason: simulation.reason };
}

function opportunityKey(plan: LiquidationPlan): string {
  return `${plan.collateralAsset}:${plan.debtAsset}`;
}

function usd(base: bigint): string {
  const negative = base < 0n;
  const abs = negative ? -base : base;
  return `${negative ? "-" : ""}${abs / BASE_UNIT}.${(abs % BASE_UNIT).toString().padStart(8, "0").slice(0, 2)}`;
}

function formatWad(wad: bigint): string {
  return (Number(wad) / 1e18).toFixed(6);
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // The listener is removed when the timer fires: a long-running loop must not pile them up.
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
