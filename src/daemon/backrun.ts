// Same-block liquidations: a price update is a transaction the node's pool shows before it is mined.
// Each pending transaction to a contract that can move the market's prices (watcher/oracleSources.ts)
// is simulated with the oracle's prices read after it (watcher/pendingPrices.ts); the prices it moves
// go through the exact health-factor path for the accounts that hold the moved assets; the ones it
// puts under water are planned at those prices and sent right behind it (the executor's Backrun: its
// simulations after the update, its fee terms no higher than the update's, through the Liquidator,
// whose batch items skip an account not liquidatable when they run). An update dropped or replaced
// while pending: what was sent behind it is cancelled by nonce. Once mined, the next block's round
// goes on as always (the accounts in flight are not planned twice).
import { formatUnits, type Address, type Hex, type PublicClient } from "viem";
import type { Connections, RpcEndpoint } from "../chain/connections.js";
import type { PendingTransactions, PendingTx } from "../chain/pendingTransactions.js";
import { firstLine } from "../errors.js";
import type { Executor } from "../executor/executor.js";
import type { Logger } from "../logging.js";
import type { AccountBook } from "../risk/accountBook.js";
import { compileAccount, evaluateAccount, isLiquidatable } from "../risk/healthFactor.js";
import { pricedAssets, withPrices } from "../risk/marketSnapshot.js";
import type { ProtocolRules } from "../risk/rules.js";
import type { MarketState } from "../risk/types.js";
import { rankByDebt } from "../scheduler/round.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import { pairOf, capitalOf } from "../executor/poolCall.js";
import { readWatchedOracles } from "../watcher/oracleSources.js";
import { pricesAfter } from "../watcher/pendingPrices.js";
import type { KeeperEventBus } from "./events.js";
import type { RoundInputs } from "./roundInputs.js";
import { emitOutcome } from "./events.js";

/** Blocks between two readings of the contracts watched (a source or an aggregator replaced meanwhile). */
const WATCHED_REFRESH_BLOCKS = 20n;
/** How often an update we sent behind is looked up while pending (dropped? replaced?). */
const STATUS_POLL_MS = 300;
/** Updates remembered (their hashes) so that one seen twice is simulated once. */
const SEEN_KEPT = 10_000;

export interface BackrunnerOptions {
  client: PublicClient;
  node: RpcEndpoint;
  pending: PendingTransactions;
  oracle: Address;
  watcher: {
    readonly head: { number: bigint; timestamp: bigint; baseFeePerGas: bigint };
    readonly market: MarketState;
    readonly rules: ProtocolRules;
    readonly book: AccountBook;
  };
  scheduler: Scheduler;
  executor: Executor;
  inputs: RoundInputs;
  events: KeeperEventBus;
  /** runs a round exclusively of the block's own rounds */
  exclusive: <T>(round: () => Promise<T>) => Promise<T>;
  dryRun: boolean;
  logger: Logger;
}

interface Followed {
  tx: PendingTx;
  /** sent behind it (or, in a dry run, would have been) */
  acted: boolean;
}

/**
 * The backrunner where the connections watch pending transactions (WATCH_PENDING), started; undefined
 * otherwise, or, with a warning, without a Liquidator: a backrun's items must skip what is taken.
 */
export async function startBackrunner(
  o: Omit<BackrunnerOptions, "client" | "node" | "pending" | "oracle"> & {
    connections: Connections;
    flash: boolean;
    watcher: BackrunnerOptions["watcher"] & { readonly info: { addresses: { oracle: Address } } };
  },
): Promise<Backrunner | undefined> {
  const { client, node, pending } = o.connections;
  if (!pending) return undefined;
  if (!o.flash) {
    o.logger.warn("WATCH_PENDING needs LIQUIDATOR_ADDRESS (a backrun's items must skip what is taken): not watching");
    return undefined;
  }
  const backrunner = new Backrunner({ ...o, client, node, pending, oracle: o.watcher.info.addresses.oracle });
  await backrunner.start();
  return backrunner;
}

export class Backrunner {
  private readonly log: Logger;
  private watched = new Set<string>();
  private watchedAt = -1n;
  private readonly seen = new Set<string>();
  /** pending updates we act on, by hash (lower-case) */
  private readonly followed = new Map<string, Followed>();
  /** sender:nonce → the hash followed at it: a new transaction there replaces it */
  private readonly bySlot = new Map<string, string>();
  private stopWatching: (() => void) | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(private readonly o: BackrunnerOptions) {
    this.log = o.logger.child({ module: "backrun" });
  }

  async start(): Promise<void> {
    await this.refreshWatched();
    this.stopWatching = this.o.pending.watch(
      (tx) => this.onPending(tx),
      (err) => this.log.warn({ err: firstLine(err) }, "pending transactions: the source failed; retrying"),
    );
    this.statusTimer = setInterval(() => void this.checkFollowed(), STATUS_POLL_MS);
    this.statusTimer.unref?.();
    this.log.info({ source: this.o.pending.label, contracts: this.watched.size }, "watching pending price updates");
  }

  stop(): void {
    this.stopped = true;
    this.stopWatching?.();
    if (this.statusTimer) clearInterval(this.statusTimer);
  }

  /** Once a block: the contracts watched re-read now and then; updates mined or gone forgotten. */
  async onBlock(head: bigint): Promise<void> {
    if (head >= this.watchedAt + WATCHED_REFRESH_BLOCKS) await this.refreshWatched().catch(() => undefined);
  }

  private async refreshWatched(): Promise<void> {
    const market = this.o.watcher.market;
    const assets = market.reserves.flatMap((r) => (r ? [r.asset] : []));
    this.watched = await readWatchedOracles(this.o.client, this.o.oracle, assets);
    this.watchedAt = this.o.watcher.head.number;
  }

  private onPending(tx: PendingTx): void {
    if (this.stopped || tx.to === null || !this.watched.has(tx.to.toLowerCase())) return;
    const hash = tx.hash.toLowerCase();
    if (this.seen.has(hash)) return;
    this.seen.add(hash);
    if (this.seen.size > SEEN_KEPT) this.seen.delete(this.seen.values().next().value!);
    const slot = `${tx.from.toLowerCase()}:${tx.nonce}`;
    const before = this.bySlot.get(slot);
    this.bySlot.set(slot, hash);
    // What was sent behind a replaced update is cancelled before the new one's plans (its accounts freed).
    const replaced = before !== undefined && before !== hash ? before : undefined;
    void this.o
      .exclusive(async () => {
        if (replaced) await this.forget(replaced, `its update was replaced by ${tx.hash}`);
        await this.backrun(tx);
      })
      .catch((err: unknown) => {
        this.log.warn({ update: tx.hash, err: firstLine(err) }, "backrun failed");
      });
  }

  /** Simulates the update; when it moves prices and puts accounts under water, plans and sends behind it. */
  private async backrun(tx: PendingTx): Promise<void> {
    if (this.stopped || this.bySlot.get(`${tx.from.toLowerCase()}:${tx.nonce}`) !== tx.hash.toLowerCase()) return;
    const w = this.o.watcher;
    const head = w.head;
    const market = w.market;
    const time = head.timestamp + this.o.inputs.blockTime();
    const after = await pricesAfter(this.o.node, tx, this.o.oracle, pricedAssets(market), head.number, time);
    if (!after.ok) {
      this.log.debug({ update: tx.hash, to: tx.to, reason: after.reason }, "pending transaction to a price source: no prices");
      return;
    }
    const moved = withPrices(market, after.prices);
    if (moved.moved.length === 0) {
      this.log.debug({ update: tx.hash, to: tx.to }, "pending transaction to a price source moves no price");
      return;
    }
    const ctx = this.o.inputs.context({ market: moved.market, rules: w.rules, head, inFlightGas: this.o.executor.inFlightGas() }, []);
    const underWater: Address[] = [];
    for (const user of w.book.usersExposedTo(moved.moved)) {
      const position = w.book.get(user);
      if (!position) continue;
      const account = compileAccount(position, w.rules);
      evaluateAccount(account, ctx.terms.snapshot);
      if (isLiquidatable(account)) underWater.push(user);
    }
    const symbols = this.o.inputs.symbols;
    this.log.info(
      {
        update: tx.hash,
        to: tx.to,
        prices: moved.moved.map((id) => {
          const r = market.reserves[id]!;
          const unit = market.baseCurrencyUnit.toString().length - 1;
          return `${symbols.get(id) ?? r.asset} ${formatUnits(r.price, unit)} → ${formatUnits(moved.market.reserves[id]!.price, unit)}`;
        }),
        liquidatable: underWater.length,
      },
      "pending price update",
    );
    if (underWater.length === 0) return;
    const candidates = rankByDebt(underWater, (u) => w.book.debtEstimate(u));
    this.followed.set(tx.hash.toLowerCase(), { tx, acted: true });
    const plans = await this.o.scheduler.round({
      ...ctx,
      candidates,
      backrun: { hash: tx.hash, call: { to: tx.to!, data: tx.input, origin: tx.from, value: tx.value }, fees: tx },
    });
    if (this.o.dryRun && plans.length > 0) {
      this.log.info(
        {
          update: tx.hash,
          plans: plans.map((p) => ({ user: p.user, pair: pairOf(p), capital: capitalOf(p), profitBase: String(p.expectedProfitBase) })),
        },
        "would backrun",
      );
    }
  }

  /** The updates followed: mined ones forgotten, dropped ones forgotten with what was sent behind them. */
  private async checkFollowed(): Promise<void> {
    if (this.followed.size === 0 || this.stopped) return;
    for (const [hash, f] of [...this.followed]) {
      try {
        const tx = await this.o.client.getTransaction({ hash: hash as Hex });
        if (tx.blockNumber !== null) this.followed.delete(hash);
      } catch (err) {
        if ((err as Error).name !== "TransactionNotFoundError") continue;
        if (this.followed.get(hash) !== f) continue;
        // Sent again later (the same signed transaction has the same hash), it is backrun again.
        this.seen.delete(hash);
        await this.forget(hash, "its update was dropped");
      }
    }
  }

  /** An update that will not be mined: what was sent behind it is cancelled. */
  private async forget(hash: string, reason: string): Promise<void> {
    const f = this.followed.get(hash);
    this.followed.delete(hash);
    if (!f?.acted || this.o.dryRun) return;
    this.log.info({ update: hash, reason }, "pending price update gone");
    const outcomes = await this.o.executor.cancelBackruns(f.tx.hash, reason, this.o.watcher.head.baseFeePerGas);
    for (const outcome of outcomes) emitOutcome(this.o.events, outcome);
  }
}
