// The watcher: knows every borrower and keeps the account book's health factors current.
//  sync():  load the checkpoint, backfill eth_getLogs from START_BLOCK (or catch up from the
//           checkpoint), read every known user's position at the head, compute every HF.
//  poll():  per new block, a constant number of requests whatever the number of borrowers:
//           the head's header, one eth_getLogs, one eth_call for the whole market, and, only if
//           events touched users, their positions in batched multicalls. Recomputes the HF of
//           touched users and of users exposed to a reserve whose price/index/rate moved.
import { BlockNotFoundError, getAddress, type Address, type Hex, type PublicClient } from "viem";
import type { Logger } from "../logging.js";
import { AccountBook } from "../risk/accountBook.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { rulesForRevision, type ProtocolRules } from "../risk/rules.js";
import type { AccountPosition, MarketState } from "../risk/types.js";
import { CheckpointError, loadCheckpoint, saveCheckpoint, type Checkpoint, type RecentBlock } from "./checkpoint.js";
import { interpretLog, WATCHED_TOPICS } from "./events.js";
import { chunkSizer, fetchLogsInChunks, type ChunkSizer, type LogFilter } from "./logFetcher.js";
import { changedEModes, changedReserves, discoverMarket, MarketReader, type MarketInfo } from "./marketReader.js";
import { readPositions } from "./positionReader.js";
import { sleep } from "../util/time.js";

export interface WatcherOptions {
  client: PublicClient;
  addressesProvider: Address;
  startBlock: bigint;
  /** where the checkpoint lives; undefined = no persistence */
  stateDir?: string;
  logChunkBlocks: number;
  logger: Logger;
  /** live-mode checkpoint cadence (default 10 s); backfill saves at most once a second */
  checkpointIntervalMs?: number;
  /**
   * Called by sync() once the market's addresses and the head it syncs to are known, before the
   * rest of the sync (market, catch-up logs, positions): what does not need the book can start then.
   */
  onDiscovered?: (info: MarketInfo, head: BlockHead) => void;
}

export interface BlockHead {
  number: bigint;
  hash: Hex;
  timestamp: bigint;
  /** 0 on chains without EIP-1559 */
  baseFeePerGas: bigint;
}

export interface BlockUpdate {
  fromBlock: bigint;
  toBlock: bigint;
  timestamp: bigint;
  reorgDepth: number;
  logs: number;
  dirtyUsers: number;
  newUsers: number;
  changedReserves: number[];
  recomputed: number;
  /** of those, evaluated in the first pass (the accounts that could have crossed 1) */
  firstPassRecomputed: number;
  liquidatable: Address[];
  /** firstPass: from the poll's start to the first pass's liquidatable set; positions: the second pass's wait for them */
  ms: { fetch: number; firstPass: number; positions: number; compute: number; total: number };
}

/** A new block's first pass (Watcher.pollFirst). */
export interface FirstPass {
  toBlock: bigint;
  /** liquidatable now, less the accounts whose positions are being read */
  liquidatable: Address[];
  /** the second pass: those positions, and the book exact at the new block */
  complete(): Promise<BlockUpdate>;
}

/** How many recent blocks are kept (with the users they touched) to undo a reorg. */
const REORG_DEPTH = 64;

export class Watcher {
  readonly book: AccountBook;
  rules!: ProtocolRules;
  info!: MarketInfo;
  market!: MarketState;
  snapshot!: MarketSnapshot;
  head!: BlockHead;
  /** every address ever seen in a position-changing event */
  readonly users = new Set<string>();
  /** users (lowercase) whose positions a block's logs touched and are not read yet */
  private unread = new Set<string>();

  private reader!: MarketReader;
  private filter!: LogFilter;
  private aTokens = new Set<string>();
  private recent: RecentBlock[] = [];
  private readonly sizer: ChunkSizer;
  private lastCheckpointAt = 0;
  private chainId = 0;
  private genesisHash: Hex = "0x";
  private readonly log: Logger;

  constructor(private readonly options: WatcherOptions) {
    this.log = options.logger.child({ module: "watcher" });
    this.sizer = chunkSizer(options.logChunkBlocks);
    // The book is created once the rules are known (sync); a placeholder keeps the field readonly.
    this.book = undefined as unknown as AccountBook;
  }

  private get client(): PublicClient {
    return this.options.client;
  }

  /**
   * Brings the book to the current head: from the checkpoint if there is one, else from START_BLOCK.
   * `deferCheckpoint`: the caller writes the checkpoint (checkpoint()) when it has time; a crash before
   * only means catching up from the previous one again.
   */
  async sync(options: { deferCheckpoint?: boolean } = {}): Promise<void> {
    const started = performance.now();
    // What depends on nothing else, requested at once (a restart's first liquidation waits for all of
    // it): the chain's identity, the market's addresses and version, the head, and the checkpoint's
    // block (to tell a reorg while we were down); the checkpoint is parsed while they are on the way.
    const identity = Promise.all([
      this.client.getChainId(),
      this.client.getBlock({ blockNumber: 0n }),
      discoverMarket(this.client, this.options.addressesProvider),
      this.latestHead(),
    ]);
    identity.catch(() => undefined); // awaited below; a bad checkpoint file may throw first
    const checkpoint = this.options.stateDir ? loadCheckpoint(this.options.stateDir) : undefined;
    // A block the chain no longer has (a shorter chain) counts as a reorg, like a different hash.
    const checkpointBlock = checkpoint
      ? this.client.getBlock({ blockNumber: checkpoint.block }).catch((err: unknown) => {
          if (err instanceof BlockNotFoundError) return undefined;
          throw err;
        })
      : undefined;
    const [[chainId, genesis, info, head], onChain] = await Promise.all([identity, checkpointBlock]);
    // Where the sync's time goes (ms since it began), in the "synced" line.
    const steps: Record<string, number> = { identity: Math.round(performance.now() - started) };
    this.chainId = chainId;
    this.genesisHash = genesis.hash;
    this.useMarketInfo(info);
    (this as { book: AccountBook }).book = new AccountBook(this.rules);

    let last = this.options.startBlock - 1n;
    let lastHash: Hex | undefined;
    let phase: Checkpoint["phase"] = "backfill";
    const dirty = new Set<string>();
    if (checkpoint) {
      if (
        checkpoint.chainId !== chainId ||
        checkpoint.genesisHash !== this.genesisHash ||
        checkpoint.addressesProvider.toLowerCase() !== this.options.addressesProvider.toLowerCase()
      ) {
        throw new CheckpointError(
          `STATE_DIR: ${this.options.stateDir} holds the checkpoint of another chain or market (chain ${checkpoint.chainId}, ` +
            `genesis ${checkpoint.genesisHash.slice(0, 10)}, market ${checkpoint.addressesProvider}); this keeper watches chain ${chainId}, ` +
            `genesis ${this.genesisHash.slice(0, 10)}, market ${this.options.addressesProvider}. Use another STATE_DIR or move it away`,
        );
      }
      this.options.onDiscovered?.(info, head);
      for (const u of checkpoint.users) this.users.add(u.toLowerCase());
      // Before the market is read: their eMode categories are read with it.
      for (const p of checkpoint.positions) this.upsert(p);
      this.recent = checkpoint.recent;
      last = checkpoint.block;
      lastHash = checkpoint.blockHash;
      phase = checkpoint.phase;
      this.log.info({ block: last, phase, users: this.users.size }, "resuming from checkpoint");
      // A reorg while we were down: undo the blocks that are no longer on the chain.
      if (onChain?.hash !== lastHash) {
        const ancestor = await this.findCommonAncestor();
        for (const u of this.undoRecentAfter(ancestor.number)) dirty.add(u);
        last = ancestor.number;
        lastHash = ancestor.hash;
      }
    } else {
      this.options.onDiscovered?.(info, head);
      this.log.info({ fromBlock: this.options.startBlock }, "no checkpoint: backfilling from START_BLOCK");
    }

    const target = head;
    // The market at the target block: its reserves name the aTokens whose logs are fetched, and it is
    // the market the book is computed with (read again only if the logs add a reserve).
    let marketAtTarget: MarketState | undefined = await this.readMarketConsistent(target.number, target.timestamp);
    this.watchReserves(marketAtTarget);
    steps.market = Math.round(performance.now() - started);
    if (target.number > last) {
      let lastSave = performance.now();
      for await (const chunk of fetchLogsInChunks(this.client, this.filter, last + 1n, target.number, this.sizer)) {
        let shapeChanged = false;
        for (const log of chunk.logs) {
          const meaning = interpretLog(log, this.aTokens);
          if (!meaning) continue;
          for (const u of meaning.users) {
            this.users.add(u.toLowerCase());
            dirty.add(u.toLowerCase());
          }
          shapeChanged ||= meaning.marketShapeChanged;
        }
        // New reserves bring new aTokens to watch: reload once per chunk, not once per event.
        if (shapeChanged) {
          marketAtTarget = undefined;
          // At the latest block: mid-backfill, the market may not be fully wired at the chunk's end.
          for (const u of await this.reloadMarketAndRescan(chunk.fromBlock, chunk.toBlock, undefined)) {
            this.users.add(u);
            dirty.add(u);
          }
        }
        last = chunk.toBlock;
        if (this.options.stateDir && phase === "backfill" && performance.now() - lastSave >= 1_000) {
          const hash = (await this.client.getBlock({ blockNumber: last })).hash;
          this.writeCheckpoint({ phase: "backfill", block: last, blockHash: hash });
          lastSave = performance.now();
          this.log.info({ block: last, target: target.number, users: this.users.size, chunk: this.sizer.size }, "backfill progress");
        }
      }
    }

    steps.logs = Math.round(performance.now() - started);
    this.head = target;
    this.market = marketAtTarget ?? (await this.readMarketConsistent(target.number, target.timestamp));
    // In backfill every known user is read; when resuming a live checkpoint only those touched since.
    const toRead = (phase === "backfill" ? [...this.users] : [...dirty]).map((u) => getAddress(u));
    const positions = await readPositions(this.client, this.info.addresses.pool, this.market, this.rules, toRead, target.number);
    for (const p of positions) this.upsert(p);
    // Every account's eMode category must be in the market: those restored from the checkpoint were
    // read with it; a category met only now is read once more.
    if (positions.some((p) => p.userConfig !== 0n && p.eModeCategory !== 0 && !this.market.eModes.has(p.eModeCategory))) {
      this.market = await this.reader.read(target.number, this.market);
    }
    steps.positions = Math.round(performance.now() - started);
    this.snapshot = snapshotMarket(this.market, this.rules, target.timestamp);
    this.book.recomputeAll(this.snapshot);
    this.remember({ number: target.number, hash: target.hash, users: [...dirty] as Address[] });
    steps.computed = Math.round(performance.now() - started);
    if (!options.deferCheckpoint) this.writeCheckpoint({ phase: "live", block: target.number, blockHash: target.hash });
    this.log.info(
      {
        block: target.number,
        users: this.users.size,
        accounts: this.book.size,
        liquidatable: this.book.liquidatable().length,
        ms: Math.round(performance.now() - started),
        steps,
      },
      "synced",
    );
  }

  /** Processes every block since the last one (both passes); undefined when there is none. */
  async poll(): Promise<BlockUpdate | undefined> {
    const first = await this.pollFirst();
    return first?.complete();
  }

  /** The liquidatable accounts, less those whose positions a new block's logs touched and are not read yet. */
  liquidatable(): Address[] {
    const all = this.book.liquidatable();
    return this.unread.size === 0 ? all : all.filter((u) => !this.unread.has(u.toLowerCase()));
  }

  /**
   * A new block in two passes, so that its first liquidations wait for as little as possible. The
   * first: the head, its logs and the market (requested at once), then every account that can have
   * crossed 1 since the last block re-evaluated (AccountBook.recomputeAtRisk); the accounts the logs
   * touched are left out of `liquidatable()` until their positions are read.
   * `complete()` is the second: those positions, and every other account evaluated at the new block,
   * so the book is exact at every block again; call it before the next poll. A reorg, or a block that
   * changes the market's shape, is done whole in the first pass. Undefined when there is no new block.
   * `onHead`: called as soon as the new head is known, before its logs and market are read.
   */
  async pollFirst(onHead?: (head: BlockHead) => void): Promise<FirstPass | undefined> {
    const began = performance.now();
    const latest = await this.client.getBlock({ blockTag: "latest" });
    if (latest.number === null || latest.hash === null) return undefined;
    if (latest.number <= this.head.number) {
      if (latest.number === this.head.number && latest.hash === this.head.hash) {
        // A second pass that failed (an RPC error) left positions unread: read them at this head.
        if (this.unread.size > 0) await this.readUnread(this.head.number);
        return undefined;
      }
    }
    const next =
      latest.number === this.head.number + 1n
        ? latest
        : await this.client.getBlock({ blockNumber: this.head.number + 1n }).catch(() => undefined);
    const dirty = new Set<string>(this.unread);
    let reorgDepth = 0;
    if (!next || next.parentHash !== this.head.hash) {
      const ancestor = await this.findCommonAncestor();
      reorgDepth = Number(this.head.number - ancestor.number);
      for (const u of this.undoRecentAfter(ancestor.number)) dirty.add(u);
      this.log.warn({ from: this.head.number, to: ancestor.number, depth: reorgDepth }, "reorg: rolled back");
      this.head = { ...this.head, ...ancestor };
    }
    const fromBlock = this.head.number + 1n;
    const toBlock = latest.number;
    const head: BlockHead = {
      number: latest.number,
      hash: latest.hash,
      timestamp: latest.timestamp,
      baseFeePerGas: latest.baseFeePerGas ?? 0n,
    };
    onHead?.(head);

    // The market at the new head does not depend on its logs (unless they add a reserve: read again
    // below): read it meanwhile, one round trip less before the block's first liquidation.
    const previous = this.market;
    const marketRead = this.readMarketConsistent(toBlock, head.timestamp, previous);
    marketRead.catch(() => undefined); // awaited below, or dropped when a reserve was added
    let logCount = 0;
    let newUsers = 0;
    let shapeChanged = false;
    if (toBlock >= fromBlock) {
      for await (const chunk of fetchLogsInChunks(this.client, this.filter, fromBlock, toBlock, this.sizer)) {
        logCount += chunk.logs.length;
        for (const log of chunk.logs) {
          const meaning = interpretLog(log, this.aTokens);
          if (!meaning) continue;
          shapeChanged ||= meaning.marketShapeChanged;
          for (const u of meaning.users) {
            const key = u.toLowerCase();
            if (!this.users.has(key)) newUsers++;
            this.users.add(key);
            dirty.add(key);
          }
        }
      }
    }
    if (shapeChanged) {
      for (const u of await this.reloadMarketAndRescan(fromBlock, toBlock, toBlock)) {
        if (!this.users.has(u)) newUsers++;
        this.users.add(u);
        dirty.add(u);
      }
    }
    const dirtyUsers = [...dirty].map((u) => getAddress(u));
    this.market = shapeChanged ? await this.readMarketConsistent(toBlock, head.timestamp, previous) : await marketRead;
    const fetched = performance.now();
    const previousSnapshot = this.snapshot;
    this.unread = new Set(dirty);
    this.head = head;
    this.remember({ number: head.number, hash: head.hash, users: dirtyUsers });

    const whole = shapeChanged || reorgDepth > 0;
    let firstRecomputed = 0;
    if (!whole) {
      this.snapshot = snapshotMarket(this.market, this.rules, head.timestamp);
      firstRecomputed = this.book.recomputeAtRisk(previousSnapshot, this.snapshot);
    }
    const firstDone = performance.now();

    const complete = async (): Promise<BlockUpdate> => {
      const secondBegan = performance.now();
      // Read only now: sent with the first pass, this read competed with the block's first simulation
      // at the node (first transaction at 20,000 accounts p99 51 ms then, 37-40 ms since).
      const positions =
        dirtyUsers.length === 0
          ? []
          : await readPositions(this.client, this.info.addresses.pool, this.market, this.rules, dirtyUsers, toBlock);
      for (const p of positions) this.upsert(p);
      const newCategories = positions.map((p) => p.eModeCategory).filter((id) => id !== 0 && !this.market.eModes.has(id));
      if (newCategories.length > 0) {
        this.reader.addEModeCategories(newCategories);
        this.market = await this.reader.read(toBlock, this.market);
      }
      const positionsDone = performance.now();
      let recomputed = firstRecomputed;
      if (whole || newCategories.length > 0) {
        this.snapshot = snapshotMarket(this.market, this.rules, head.timestamp);
        recomputed = this.book.recomputeAll(this.snapshot);
      } else {
        recomputed += this.book.recomputeStale(this.snapshot);
      }
      // A reserve "moved" when its price or configuration changed, or when its indexes accrued to the
      // new block's timestamp differ (time alone moves every reserve with a non-zero rate).
      const changed = movedReserves(previousSnapshot, this.snapshot, previous, this.market);
      for (const u of dirty) this.unread.delete(u);
      const intervalMs = this.options.checkpointIntervalMs ?? 10_000;
      if (performance.now() - this.lastCheckpointAt >= intervalMs) {
        this.writeCheckpoint({ phase: "live", block: head.number, blockHash: head.hash });
      }
      const done = performance.now();
      return {
        fromBlock,
        toBlock,
        timestamp: head.timestamp,
        reorgDepth,
        logs: logCount,
        dirtyUsers: dirty.size,
        newUsers,
        changedReserves: changed,
        recomputed,
        firstPassRecomputed: firstRecomputed,
        liquidatable: this.book.liquidatable(),
        ms: {
          fetch: fetched - began,
          firstPass: firstDone - began,
          positions: positionsDone - secondBegan,
          compute: firstDone - fetched + (done - positionsDone),
          total: firstDone - began + (done - secondBegan),
        },
      };
    };
    if (whole) {
      // Done whole here: the first pass's answer is the complete one.
      const update = await complete();
      return { toBlock, liquidatable: update.liquidatable, complete: async () => update };
    }
    return { toBlock, liquidatable: this.liquidatable(), complete };
  }

  /** Positions left unread by a failed second pass, read at `blockNumber` and evaluated. */
  private async readUnread(blockNumber: bigint): Promise<void> {
    const users = [...this.unread].map((u) => getAddress(u));
    const positions = await readPositions(this.client, this.info.addresses.pool, this.market, this.rules, users, blockNumber);
    for (const p of positions) this.upsert(p);
    this.book.recomputeStale(this.snapshot);
    this.unread.clear();
  }

  /**
   * The market at `blockNumber`, checked against that block's timestamp: a reserve updated after it
   * means the node answered from a later state (anvil does so, rarely, while it mines the next block).
   * Such an answer is read again; a node that keeps doing it fails this block (the caller retries).
   */
  private async readMarketConsistent(blockNumber: bigint, timestamp: bigint, previous?: MarketState): Promise<MarketState> {
    for (let attempt = 0; ; attempt++) {
      const market = await this.reader.read(blockNumber, previous);
      const newer = market.reserves.find((r) => r !== undefined && r.lastUpdateTimestamp > timestamp);
      if (!newer) return market;
      if (attempt >= 3) {
        throw new Error(
          `the node answered block ${blockNumber} with state from after it (reserve ${newer.asset} updated at ${newer.lastUpdateTimestamp} > ${timestamp})`,
        );
      }
      this.log.debug({ block: blockNumber, attempt }, "node answered with a later state: reading again");
      await sleep(50 * (attempt + 1));
    }
  }

  /** Writes the checkpoint now (on shutdown). */
  checkpoint(): void {
    // Not while a block's touched positions are unread (its second pass failed): the checkpoint would
    // name the block with their old positions. The previous one stands; a restart re-reads from there.
    if (this.head && this.unread.size === 0) this.writeCheckpoint({ phase: "live", block: this.head.number, blockHash: this.head.hash });
  }

  private async loadMarket(blockNumber?: bigint): Promise<void> {
    this.useMarketInfo(await discoverMarket(this.client, this.options.addressesProvider, blockNumber));
    this.watchReserves(await this.reader.read(blockNumber ?? (await this.client.getBlockNumber({ cacheTime: 0 }))));
  }

  private useMarketInfo(info: MarketInfo): void {
    this.info = info;
    if (!this.rules) {
      this.rules = rulesForRevision(info.poolRevision);
      this.log.info(
        { pool: info.addresses.pool, revision: info.poolRevision, rules: this.rules.version, reserves: info.reservesList.length },
        "market discovered",
      );
    }
    if (this.reader) this.reader.reload(info);
    else this.reader = new MarketReader(this.client, info);
  }

  /** The logs watched: the market's contracts and every reserve's aToken (known from a read of the reserves). */
  private watchReserves(state: MarketState): void {
    this.aTokens = new Set(state.reserves.filter((r) => r !== undefined).map((r) => r!.aToken.toLowerCase()));
    const { pool, poolConfigurator, oracle, addressesProvider } = this.info.addresses;
    this.filter = {
      addresses: [
        pool,
        poolConfigurator,
        oracle,
        addressesProvider,
        ...state.reserves.filter((r) => r !== undefined).map((r) => r!.aToken),
      ],
      topics: WATCHED_TOPICS,
    };
  }

  /**
   * Reloads the market after a reserve was added (or contracts moved) and fetches, for the range
   * just processed, the logs of the aTokens that were not watched yet: transfers of a new aToken in
   * the same range as its listing would otherwise be missed. Returns the users they touch.
   */
  private async reloadMarketAndRescan(fromBlock: bigint, toBlock: bigint, at: bigint | undefined): Promise<string[]> {
    const watched = new Set(this.filter.addresses.map((a) => a.toLowerCase()));
    await this.loadMarket(at);
    const added = this.filter.addresses.filter((a) => !watched.has(a.toLowerCase()));
    if (added.length === 0) return [];
    const users: string[] = [];
    for await (const chunk of fetchLogsInChunks(
      this.client,
      { addresses: added, topics: WATCHED_TOPICS },
      fromBlock,
      toBlock,
      this.sizer,
    )) {
      for (const log of chunk.logs) for (const u of interpretLog(log, this.aTokens)?.users ?? []) users.push(u.toLowerCase());
    }
    return users;
  }

  private upsert(position: AccountPosition): void {
    // Accounts with nothing supplied or borrowed have no health factor to watch.
    if (position.userConfig === 0n) this.book.remove(position.user);
    else {
      this.book.upsert(position);
      // On 3.2+ a category is only met through its users: every account's category must be read.
      this.reader.addEModeCategories([position.eModeCategory]);
    }
  }

  private async latestHead(): Promise<BlockHead> {
    const block = await this.client.getBlock({ blockTag: "latest" });
    if (block.number === null || block.hash === null) throw new Error("the node returned a pending block as latest");
    return { number: block.number, hash: block.hash, timestamp: block.timestamp, baseFeePerGas: block.baseFeePerGas ?? 0n };
  }

  private remember(block: RecentBlock): void {
    this.recent.push(block);
    if (this.recent.length > REORG_DEPTH) this.recent.splice(0, this.recent.length - REORG_DEPTH);
  }

  /** Deepest remembered block still on the chain. */
  private async findCommonAncestor(): Promise<{ number: bigint; hash: Hex }> {
    for (let i = this.recent.length - 1; i >= 0; i--) {
      const remembered = this.recent[i]!;
      const block = await this.client.getBlock({ blockNumber: remembered.number }).catch(() => undefined);
      if (block?.hash === remembered.hash) return { number: remembered.number, hash: remembered.hash };
    }
    throw new Error(`reorg deeper than the ${REORG_DEPTH} remembered blocks; delete STATE_DIR's checkpoint to rebuild`);
  }

  /** Forgets the blocks after `ancestor` and returns the users they touched (to be re-read). */
  private undoRecentAfter(ancestor: bigint): string[] {
    const undone = this.recent.filter((r) => r.number > ancestor);
    this.recent = this.recent.filter((r) => r.number <= ancestor);
    return undone.flatMap((r) => r.users.map((u) => u.toLowerCase()));
  }

  private writeCheckpoint(at: { phase: Checkpoint["phase"]; block: bigint; blockHash: Hex }): void {
    if (!this.options.stateDir) return;
    const positions: AccountPosition[] = [];
    if (at.phase === "live") for (const u of this.book.users()) positions.push(this.book.get(u)!);
    saveCheckpoint(this.options.stateDir, {
      chainId: this.chainId,
      genesisHash: this.genesisHash,
      addressesProvider: this.options.addressesProvider,
      ...at,
      recent: this.recent,
      users: [...this.users] as Address[],
      positions,
    });
    this.lastCheckpointAt = performance.now();
  }
}

/** Reserve ids whose accrued indexes, price or configuration differ between two blocks' snapshots. */
export function movedReserves(
  before: MarketSnapshot,
  after: MarketSnapshot,
  beforeMarket: MarketState,
  afterMarket: MarketState,
): number[] {
  const moved = new Set(changedReserves(beforeMarket, afterMarket));
  // A category whose parameters or members changed moves its members, before and after (the version's rule).
  const rules = after.rules;
  for (const category of changedEModes(beforeMarket, afterMarket)) {
    const was = beforeMarket.eModes.get(category);
    const is = afterMarket.eModes.get(category);
    for (const r of afterMarket.reserves) if (r && (rules.inEMode(r, category, was) || rules.inEMode(r, category, is))) moved.add(r.id);
  }
  after.reserves.forEach((r, id) => {
    const b = before.reserves[id];
    if (!r || !b || r.normalizedIncome !== b.normalizedIncome || r.normalizedDebt !== b.normalizedDebt) moved.add(id);
  });
  return [...moved].sort((a, b) => a - b);
}
