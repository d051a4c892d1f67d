// The keeper: watcher → scheduler → executor, block after block. This file only wires the parts: the
// watcher brings the account book to each new head (two passes: the accounts that can have crossed 1
// first); the scheduler plans the block's liquidations over the capital sources (src/capital) and hands
// them to the executor, which owns the wallet's nonce; what happens is told as events (events.ts) that
// the log lines and the stats follow (report.ts); gas and block times are learned (estimator.ts).
import { zeroAddress, type Address } from "viem";
import type { Connections } from "../chain/connections.js";
import { checkLiquidator } from "../chain/liquidatorContract.js";
import { readSymbols } from "../chain/tokens.js";
import { UniswapQuoter } from "../chain/uniswapQuoter.js";
import { FlashLoanSource } from "../capital/flashLoan/flashLoanSource.js";
import type { CapitalSource } from "../capital/source.js";
import { WalletSource } from "../capital/wallet/walletSource.js";
import { WRAPPED_NATIVE_TOKENS } from "../config/chains.js";
import type { Settings } from "../config/settings.js";
import { isRetryable } from "../errors.js";
import { Executor, type TxOutcome } from "../executor/executor.js";
import { gweiToWei } from "../executor/fees.js";
import type { Logger } from "../logging.js";
import { snapshotMarket } from "../risk/marketSnapshot.js";
import type { GasModel } from "../scheduler/profit.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { backoffDelay, sleep } from "../util/time.js";
import type { MarketInfo } from "../watcher/marketReader.js";
import { Watcher } from "../watcher/watcher.js";
import { Estimator } from "./estimator.js";
import { KeeperEventBus } from "./events.js";
import { gasModel, nativeReserveId, weiToBase } from "./gas.js";
import { attachReport } from "./report.js";
import { emptyStats, summarize, type KeeperStats } from "./stats.js";

export type { KeeperStats } from "./stats.js";

export interface KeeperOptions {
  connections: Connections;
  chainId: number;
  addressesProvider: Address;
  startBlock: bigint;
  stateDir?: string;
  logChunkBlocks: number;
  pollIntervalMs: number;
  /** PRIVATE_KEY, DRY_RUN and the fee settings (PRIVATE_TX_URL is in the connections) */
  executor: Omit<Settings["executor"], "privateTxUrl">;
  scheduler: Settings["scheduler"];
  /** LIQUIDATOR_ADDRESS and what the flash path needs: unset = the wallet only */
  flash?: FlashSettings;
  logger: Logger;
  /** gas a liquidationCall is planned with until simulations give real figures */
  plannedGasUnits?: bigint;
}

/** The flash-loan path's settings: the Liquidator (owned by PRIVATE_KEY's address), Uniswap V3, slippage. */
export interface FlashSettings {
  liquidator: Address;
  /** UNISWAP_V3_FACTORY and UNISWAP_V3_QUOTER (resolveUniswap); the router is the contract's own */
  factory: Address;
  quoter: Address;
  routingHubs: readonly Address[];
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
}

export class Keeper {
  readonly watcher: Watcher;
  executor!: Executor;
  readonly events: KeeperEventBus;
  readonly stats: KeeperStats = emptyStats();
  /** When start() reached each step, in ms since the process started (performance.now()). */
  readonly startupMs: { synced?: number; walletRead?: number; firstBlock?: number } = {};
  private readonly log: Logger;
  private readonly estimator: Estimator;
  private readonly symbols = new Map<number, string>();
  private scheduler!: Scheduler;
  private wallet!: WalletSource;
  private flash: FlashLoanSource | undefined;
  private nativeId: number | undefined;
  private blockGasLimit = 30_000_000n;
  /** nonces in flight after the previous round: one gone means something settled */
  private flightNonces = new Set<number>();
  private stopping = false;
  private wake: (() => void) | undefined;
  /** prepare(), started by the watcher's sync once the market is discovered */
  private preparing: Promise<void> | undefined;

  constructor(private readonly options: KeeperOptions) {
    this.log = options.logger.child({ module: "keeper" });
    this.events = new KeeperEventBus((name, err) => this.log.error({ event: name, err: String(err) }, "an event subscriber failed"));
    this.estimator = new Estimator(options.plannedGasUnits);
    this.events.on("sent", ({ tx }) => {
      const added = tx.plans.reduce((sum, p) => sum + (p.flashLoan?.modelAddedGas ?? 0n), 0n);
      this.estimator.observeSimulation(tx.simulatedGas, tx.simulatedNetGas ?? tx.simulatedGas, tx.plans.length, added);
    });
    this.watcher = new Watcher({
      client: options.connections.client,
      addressesProvider: options.addressesProvider,
      startBlock: options.startBlock,
      stateDir: options.stateDir,
      logChunkBlocks: options.logChunkBlocks,
      logger: options.logger,
      onDiscovered: (info, head) => {
        this.preparing = this.prepare(info, head.number);
        this.preparing.catch(() => undefined); // awaited by start(), unless the sync fails first
      },
    });
    attachReport({
      events: this.events,
      logger: options.logger,
      stats: this.stats,
      market: () => this.watcher.market,
      weiToBase: (wei) => weiToBase(wei, this.watcher.market, this.nativeId),
      gasModel: () => (this.watcher.market ? this.gasModel() : undefined),
      symbols: this.symbols,
    });
  }

  /**
   * Syncs the watcher, reads the wallet and liquidates what the head allows; throws what a retry will
   * not fix. What the wallet side needs is requested as soon as the market is discovered (prepare),
   * while the sync goes on; what the first block does not need (approvals, the checkpoint) waits.
   */
  async start(): Promise<void> {
    this.preparing = undefined;
    await this.watcher.sync({ deferCheckpoint: true });
    this.startupMs.synced = sinceProcessStart();
    if (!this.preparing) throw new Error("keeper: the sync did not report the market");
    await this.preparing;
    this.startupMs.walletRead = sinceProcessStart();
    const wrappedNative = this.options.scheduler.wrappedNativeToken ?? WRAPPED_NATIVE_TOKENS[this.options.chainId];
    this.nativeId = nativeReserveId(this.watcher.market, wrappedNative);
    if (this.nativeId === undefined) {
      this.log.warn(
        { wrappedNativeToken: wrappedNative ?? null },
        "the wrapped native token is not a reserve (set WRAPPED_NATIVE_TOKEN): gas is left out of the profit",
      );
    }
    this.estimator.observeBlocks(this.watcher.head.timestamp, 1n);
    await this.round();
    this.startupMs.firstBlock = sinceProcessStart();
    this.flightNonces = this.inFlightNonces();
    this.watcher.checkpoint();
    if (!this.options.executor.dryRun) {
      // Every asset the wallet holds approved, after the first block's liquidations (which use what was approved before).
      const assets = this.reserveAssets().map((a) => a.asset);
      const balances = await this.executor.walletBalances(assets);
      const held = assets.filter((a) => (balances.get(a) ?? 0n) > 0n);
      await this.executor.ensureApprovals(held);
      await this.refreshWallet();
      this.log.info({ wallet: this.executor.address, assetsHeld: held.length }, "wallet ready");
    }
  }

  /** The executor, the capital sources and the scheduler for the discovered pool, and what the first block needs at once. */
  private prepare(info: MarketInfo, head: bigint): Promise<void> {
    const o = this.options;
    const dryRun = o.executor.dryRun;
    const f = o.flash;
    // With a Liquidator every liquidation goes through it (guarded), the wallet's tokens pulled by it.
    this.executor = new Executor({
      connections: o.connections,
      chainId: o.chainId,
      pool: info.addresses.pool,
      ...o.executor,
      logger: o.logger,
      ...(f && { walletSpender: f.liquidator, slippageBps: f.slippageBps }),
    });
    // Who calls the pool (3.4+ refuses self-liquidation); without a liquidator a dry run counts the wallet unlimited.
    this.wallet = new WalletSource({ liquidator: () => f?.liquidator ?? this.executor.address, limited: !dryRun || f !== undefined });
    this.flash =
      f &&
      new FlashLoanSource({
        liquidator: f.liquidator,
        quoter: new UniswapQuoter(o.connections.client, { factory: f.factory, quoter: f.quoter, hubs: f.routingHubs }),
        slippageBps: f.slippageBps,
        logger: o.logger,
      });
    // Two-hop routes through any reserve of the market as well as the chain's usual hubs.
    this.flash?.useHubs(
      info.reservesList.filter((a) => a !== zeroAddress),
      f?.routingHubs ?? [],
    );
    const sources: CapitalSource[] = this.flash ? [this.wallet, this.flash] : [this.wallet];
    this.scheduler = new Scheduler({
      book: this.watcher.book,
      rules: () => this.watcher.rules,
      executor: this.executor,
      sources,
      pack: { pool: info.addresses.pool, ...(f && { liquidator: f.liquidator }), maxItems: o.scheduler.batchMaxItems },
      events: this.events,
      dryRun,
      ...(this.flash && { flash: this.flash }),
    });
    const assets = info.reservesList.flatMap((asset, id) => (asset === zeroAddress ? [] : [{ id, asset }]));
    return Promise.all([
      this.executor.start(),
      o.connections.client.getBlock({ blockNumber: head }).then((block) => {
        this.blockGasLimit = block.gasLimit;
      }),
      readSymbols(
        o.connections.client,
        assets.map((a) => a.asset),
      ).then((symbols) => {
        for (const [i, a] of assets.entries()) this.symbols.set(a.id, symbols[i]!);
      }),
      // The head's nonce: the first block's settle is then no request.
      this.executor.settle(head),
      // A dry run with a liquidator plans with the wallet's real balances (none without a key), so that
      // it shows the choice a live run would make.
      ...(!dryRun || f ? [this.refreshWallet(assets)] : []),
      ...(!dryRun ? [this.executor.checkApprovals(assets.map((a) => a.asset))] : []),
      ...(f ? [this.checkFlash(info, f)] : []),
    ]).then(() => undefined);
  }

  /** A contract of someone else, or on another pool, would make every flash liquidation revert: one line, exit 2. */
  private async checkFlash(info: MarketInfo, f: FlashSettings): Promise<void> {
    await checkLiquidator(this.options.connections.client, f.liquidator, { pool: info.addresses.pool, owner: this.executor.address });
    this.log.info({ liquidator: f.liquidator, quoter: f.quoter }, "flash loans through the Liquidator");
  }

  /**
   * One step: the new block's first pass → its liquidations → the second pass (whatever it finds newly
   * liquidatable gets a second round in the same block) → receipts, replacements, the wallet.
   */
  async tick(): Promise<boolean> {
    // What the last blocks mined (the wallet's nonce at the head) is asked for while the watcher reads.
    const first = await this.watcher.pollFirst((h) => void this.executor.settle(h.number).catch(() => undefined));
    if (!first) return false;
    if (!this.stopping) await this.round();
    const update = await first.complete();
    const head = this.watcher.head;
    this.estimator.observeBlocks(head.timestamp, update.toBlock - update.fromBlock + 1n);
    this.events.emit("blockProcessed", { update, head });
    const seen = new Set(first.liquidatable.map((u) => u.toLowerCase()));
    if (!this.stopping && update.liquidatable.some((u) => !seen.has(u.toLowerCase()))) await this.round();
    await this.afterBlock();
    return true;
  }

  /** Receipts and replacements, and the wallet's balances at once when something settled (or every 20 blocks). */
  private async afterBlock(): Promise<void> {
    const head = this.watcher.head;
    await this.executor.settle(head.number);
    const before = this.flightNonces;
    this.flightNonces = this.inFlightNonces();
    const settled = [...before].some((n) => !this.flightNonces.has(n));
    const walletDue = (settled || head.number % 20n === 0n) && (!this.options.executor.dryRun || this.flash !== undefined);
    const [outcomes] = await Promise.all([this.executor.onBlock(head.number, head.baseFeePerGas), walletDue && this.refreshWallet()]);
    for (const outcome of outcomes) this.emitOutcome(outcome);
  }

  private emitOutcome(outcome: TxOutcome): void {
    const { tx } = outcome;
    if (outcome.kind === "mined") {
      this.events.emit("mined", { outcome });
      for (const item of outcome.items) {
        if (item.kind === "skipped")
          this.events.emit("skipped", { user: item.plan.user, reason: item.reason, stage: "chain", plan: item.plan });
      }
    } else if (outcome.kind === "reverted")
      this.events.emit("reverted", { tx, hash: outcome.hash, blockNumber: outcome.blockNumber, reason: outcome.reason });
    else if (outcome.kind === "replaced") this.events.emit("replaced", { tx, hash: outcome.hash });
    else this.events.emit("dropped", { tx, reason: outcome.reason });
  }

  /** The block's liquidations: every liquidatable account, planned at the next block's timestamp, ranked by debt. */
  private async round(): Promise<void> {
    const head = this.watcher.head;
    this.estimator.observeRound(head.number);
    // What was mined in this block frees its users (and its gas): one request, started first.
    const settling = this.executor.settle(head.number);
    const liquidatable = this.watcher.liquidatable();
    const book = this.watcher.book;
    const candidates = liquidatable.length > 1 ? rankByDebt(liquidatable, (u) => book.debtEstimate(u)) : liquidatable;
    await settling;
    if (candidates.length === 0) return;
    const snapshot = snapshotMarket(this.watcher.market, this.watcher.rules, head.timestamp + this.estimator.blockTime());
    const gasBudget =
      this.estimator.inflightBlocks(this.options.scheduler.maxInflightBlocks) * this.blockGasLimit - this.executor.inFlightGas();
    await this.scheduler.round({
      terms: { snapshot, gas: this.gasModel(), minProfitBase: this.minProfitBase(), blockNumber: head.number, symbols: this.symbols },
      candidates,
      gasBudget,
      gasPerLiquidation: this.estimator.gasPerLiquidation,
      head,
      // A transaction takes at most a quarter of a block: several of them fill it, and one that does
      // not fit the gas left waits less.
      maxUnitGas: this.blockGasLimit / 4n,
    });
  }

  /** Runs until `signal` aborts; transient errors are logged once per incident and retried with backoff, any other is thrown. */
  async run(signal: AbortSignal): Promise<void> {
    const heads = this.options.connections.newHeads;
    let failing = false;
    const unwatch = heads?.watch(
      () => {
        if (failing) this.log.info("WS_URL delivers new heads again");
        failing = false;
        this.wake?.();
      },
      (err) => {
        if (!failing) this.log.warn({ err: firstLine(err) }, "WS_URL subscription failed: polling meanwhile");
        failing = true;
      },
    );
    if (heads) this.log.info({ ws: heads.label }, "following new heads over WS_URL");
    try {
      await this.loop(signal);
    } finally {
      unwatch?.();
    }
  }

  /** Stops taking work, waits up to `timeoutMs` for transactions in flight, writes the checkpoint. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const drained = await this.executor.drain(timeoutMs, async () => {
      await this.tick().catch(() => undefined);
    });
    if (!drained) this.log.warn({ inFlight: this.executor.inFlight().length }, "stopping with transactions still in flight");
    this.watcher.checkpoint();
    this.log.info(this.summary(), "stopped");
  }

  summary() {
    return summarize(this.stats, this.watcher.market.baseCurrencyUnit);
  }

  private gasModel(): GasModel {
    const { priorityFeeGwei, maxFeeGwei } = this.options.executor;
    const { baseFeePerGas } = this.watcher.head;
    return gasModel(
      this.watcher.market,
      this.nativeId,
      baseFeePerGas,
      gweiToWei(priorityFeeGwei),
      gweiToWei(maxFeeGwei),
      this.estimator.liquidationCallGas,
    );
  }

  private minProfitBase(): bigint {
    return (BigInt(Math.round(this.options.scheduler.minProfitUsd * 1e6)) * this.watcher.market.baseCurrencyUnit) / 1_000_000n;
  }

  private reserveAssets(): { id: number; asset: Address }[] {
    return this.watcher.market.reserves.flatMap((r) => (r ? [{ id: r.id, asset: r.asset }] : []));
  }

  /**
   * The wallet's balances, of the assets it may already pay with: a token it holds but has not approved
   * yet (a profit just received) is approved now, off the hot path, and counts from the next round on
   * (a simulation at the plans' block would not see an approval mined after it).
   */
  private async refreshWallet(assets = this.reserveAssets()): Promise<void> {
    const balances = await this.executor.walletBalances(assets.map((a) => a.asset));
    const unapproved = assets.filter((a) => (balances.get(a.asset) ?? 0n) > 0n && !this.executor.approved(a.asset)).map((a) => a.asset);
    if (unapproved.length > 0 && this.startupMs.firstBlock !== undefined) {
      this.executor
        .ensureApprovals(unapproved)
        .catch((err: unknown) => this.log.warn({ err: firstLine(err) }, "approval failed: retried later"));
    }
    this.wallet.inventory.refresh(
      new Map(assets.map((a) => [a.id, this.executor.approved(a.asset) ? (balances.get(a.asset) ?? 0n) : 0n])),
      this.executor.inFlight().flatMap((t) => t.plans),
    );
  }

  private inFlightNonces(): Set<number> {
    return new Set(this.executor.inFlight().map((t) => t.nonce));
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
        if (!isRetryable(err)) {
          // A retry cannot fix it (the pool upgraded to an unsupported version, ...): the daemon stops, and the
          // CLI ends the process with the error's exit code and line (src/cli/exit.ts).
          this.log.error({ err: firstLine(err) }, "stopping: an error a retry cannot fix");
          throw err;
        }
        failures++;
        const delay = backoffDelay(failures, 500, 6) * (0.8 + Math.random() * 0.4);
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
}

/** Users by debt, largest first (the debt computed once per user). */
function rankByDebt(users: readonly Address[], debtOf: (u: Address) => number): Address[] {
  const withDebt = users.map((u) => ({ u, debt: debtOf(u) }));
  withDebt.sort((a, b) => b.debt - a.debt);
  return withDebt.map((x) => x.u);
}

/** Milliseconds since this process started: the clock of the start-up figures. */
function sinceProcessStart(): number {
  return Math.round(performance.now());
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}
