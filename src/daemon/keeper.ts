// The keeper: watcher → scheduler → executor, block after block. This file only wires the parts: the
// watcher brings the account book to each new head (two passes: the accounts that can have crossed 1
// first); the scheduler plans the block's liquidations over the capital sources and hands them to the
// executor, which owns the wallet's nonce (assemble.ts builds them once the pool is discovered); what
// happens is told as events (events.ts) that the log lines and the stats follow (report.ts); gas and
// block times are learned (estimator.ts) and priced into each round (roundInputs.ts); loop.ts runs it.
import { zeroAddress, type Address } from "viem";
import type { FlashLoanSource } from "../capital/flashLoan/flashLoanSource.js";
import type { WalletSource } from "../capital/wallet/walletSource.js";
import type { Connections } from "../chain/connections.js";
import { checkLiquidator } from "../chain/liquidatorContract.js";
import { WRAPPED_NATIVE_TOKENS } from "../config/chains.js";
import type { Settings } from "../config/settings.js";
import type { Executor } from "../executor/executor.js";
import type { Logger } from "../logging.js";
import { rankByDebt } from "../scheduler/round.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { MarketInfo } from "../watcher/marketReader.js";
import { Watcher } from "../watcher/watcher.js";
import { Lock } from "../executor/lock.js";
import { assembleParts, type FlashSettings } from "./assemble.js";
import { startBackrunner, type Backrunner } from "./backrun.js";
import { Estimator } from "./estimator.js";
import { emitOutcome, KeeperEventBus } from "./events.js";
import { weiToBase } from "./gas.js";
import { runLoop } from "./loop.js";
import { attachReport } from "./report.js";
import { RoundInputs } from "./roundInputs.js";
import { emptyStats, summarize, type KeeperStats } from "./stats.js";

export type { FlashSettings } from "./assemble.js";
export type { KeeperStats } from "./stats.js";

export interface KeeperOptions {
  connections: Connections;
  chainId: number;
  /** POOL_ADDRESSES_PROVIDER, START_BLOCK, STATE_DIR, LOG_CHUNK_BLOCKS */
  market: { addressesProvider: Address; startBlock: bigint; stateDir?: string; logChunkBlocks: number };
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

export class Keeper {
  readonly watcher: Watcher;
  executor!: Executor;
  readonly events: KeeperEventBus;
  readonly stats: KeeperStats = emptyStats();
  /** When start() reached each step, in ms since the process started (performance.now()). */
  readonly startupMs: { synced?: number; walletRead?: number; firstBlock?: number } = {};
  private readonly log: Logger;
  private readonly estimator: Estimator;
  private readonly inputs: RoundInputs;
  private scheduler!: Scheduler;
  private wallet!: WalletSource;
  private flash: FlashLoanSource | undefined;
  /** nonces in flight after the previous round: one gone means something settled */
  private flightNonces = new Set<number>();
  private stopping = false;
  /** prepare(), started by the watcher's sync once the market is discovered */
  private preparing: Promise<void> | undefined;
  /** the block's rounds and the backruns of pending updates, one at a time */
  private readonly rounds = new Lock();
  private backrunner: Backrunner | undefined;

  constructor(private readonly options: KeeperOptions) {
    this.log = options.logger.child({ module: "keeper" });
    this.events = new KeeperEventBus((name, err) => this.log.error({ event: name, err: String(err) }, "an event subscriber failed"));
    this.estimator = new Estimator(options.plannedGasUnits);
    this.inputs = new RoundInputs(this.estimator, options);
    this.events.on("sent", ({ tx }) => this.estimator.observeSent(tx));
    this.watcher = new Watcher({
      client: options.connections.client,
      ...options.market,
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
      weiToBase: (wei) => weiToBase(wei, this.watcher.market, this.inputs.nativeId),
      gasModel: () => (this.watcher.market ? this.inputs.gasModel(this.watcher.market, this.watcher.head.baseFeePerGas) : undefined),
      symbols: this.inputs.symbols,
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
    this.inputs.useNativeToken(this.watcher.market, wrappedNative, this.log);
    this.estimator.observeBlocks(this.watcher.head.timestamp, 1n);
    await this.round();
    // WATCH_PENDING: backruns of pending price updates, exclusive of the block's rounds.
    const { watcher, scheduler, executor, inputs, events } = this;
    const exclusive = <T>(round: () => Promise<T>) => this.rounds.run(round);
    const [flash, dryRun] = [!!this.flash, this.options.executor.dryRun];
    this.backrunner = await startBackrunner({ ...this.options, watcher, scheduler, executor, inputs, events, exclusive, flash, dryRun });
    this.startupMs.firstBlock = sinceProcessStart();
    this.flightNonces = this.inFlightNonces();
    this.watcher.checkpoint();
    if (!dryRun) {
      // Every asset the wallet holds approved, after the first block's liquidations (which use what was approved before).
      const held = await this.wallet.approveHeld(this.executor, this.reserveAssets(), this.log);
      this.log.info({ wallet: this.executor.address, assetsHeld: held }, "wallet ready");
    }
  }

  /** The parts for the discovered pool, and what the first block needs of them, at once. */
  private prepare(info: MarketInfo, head: bigint): Promise<void> {
    const o = this.options;
    ({
      executor: this.executor,
      wallet: this.wallet,
      flash: this.flash,
      scheduler: this.scheduler,
    } = assembleParts({ ...o, book: this.watcher.book, rules: () => this.watcher.rules, events: this.events }, info));
    const f = o.flash;
    const assets = info.reservesList.flatMap((asset, id) => (asset === zeroAddress ? [] : [{ id, asset }]));
    return Promise.all([
      this.executor.start(),
      this.inputs.read(o.connections.client, head, assets),
      // The head's nonce: the first block's settle is then no request.
      this.executor.settle(head),
      // A dry run with a liquidator plans with the wallet's real balances (none without a key), so that
      // it shows the choice a live run would make.
      ...(!o.executor.dryRun || f ? [this.refreshWallet(assets)] : []),
      ...(!o.executor.dryRun ? [this.executor.checkApprovals(assets.map((a) => a.asset))] : []),
      // A contract of someone else, or on another pool, would make every flash liquidation revert: one line, exit 2.
      ...(f ? [checkLiquidator(o.connections.client, f.liquidator, { pool: info.addresses.pool, owner: this.executor.address })] : []),
    ]).then(() => {
      if (f) this.log.info({ liquidator: f.liquidator, quoter: f.quoter }, "flash loans through the Liquidator");
    });
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
    const [outcomes] = await Promise.all([
      this.executor.onBlock(head.number, head.baseFeePerGas),
      walletDue && this.refreshWallet(),
      this.backrunner?.onBlock(head.number),
    ]);
    for (const outcome of outcomes) emitOutcome(this.events, outcome);
  }

  /** The block's liquidations: every liquidatable account, planned at the next block's timestamp, ranked by debt. */
  private round(): Promise<void> {
    return this.rounds.run(() => this.roundNow());
  }

  private async roundNow(): Promise<void> {
    const head = this.watcher.head;
    this.estimator.observeRound(head.number);
    // What was mined in this block frees its users (and its gas): one request, started first.
    const settling = this.executor.settle(head.number);
    const candidates = rankByDebt(this.watcher.liquidatable(), (u) => this.watcher.book.debtEstimate(u));
    await settling;
    if (candidates.length === 0) return;
    const state = { market: this.watcher.market, rules: this.watcher.rules, head, inFlightGas: this.executor.inFlightGas() };
    await this.scheduler.round(this.inputs.context(state, candidates));
  }

  /** Runs until `signal` aborts; transient errors are logged once per incident and retried with backoff, any other is thrown. */
  run(signal: AbortSignal): Promise<void> {
    const { pollIntervalMs, connections } = this.options;
    return runLoop({ tick: () => this.tick(), pollIntervalMs, newHeads: connections.newHeads, log: this.log }, signal);
  }

  /** Stops taking work, waits up to `timeoutMs` for transactions in flight, writes the checkpoint. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.backrunner?.stop();
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

  private reserveAssets(): { id: number; asset: Address }[] {
    return this.watcher.market.reserves.flatMap((r) => (r ? [{ id: r.id, asset: r.asset }] : []));
  }

  /** The wallet's balances; a token received since is approved (off the hot path) once the first block is done. */
  private refreshWallet(assets = this.reserveAssets()): Promise<void> {
    return this.wallet.refresh(this.executor, assets, this.startupMs.firstBlock !== undefined, this.log);
  }

  private inFlightNonces(): Set<number> {
    return new Set(this.executor.inFlight().map((t) => t.nonce));
  }
}

/** Milliseconds since this process started: the clock of the start-up figures. */
function sinceProcessStart(): number {
  return Math.round(performance.now());
}
