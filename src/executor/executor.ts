// The executor: the one object that owns the keeper wallet's nonce. It wires the executor's parts:
// approvals (approvals.ts), simulation (simulation.ts), signing and sending (sender.ts), the nonce
// sequence (nonces.ts), tracking and replacement (tracker.ts), receipts (receipts.ts).
//
// A plan names its call (poolCall.ts): Pool.liquidationCall from the wallet's tokens, or, for capital
// "flashLoan", Liquidator.liquidate on the plan's liquidator contract, which needs no token and no
// approval of the wallet. The call is built once per plan; simulation, sending, replacement and the
// revert replay all use that call.
//
// A block's liquidations arrive together, most profitable first: they are simulated in batches
// (a small first batch, so the most valuable one leaves at once), each batch's successes signed with
// consecutive nonces and sent in one request. A failed simulation only drops its own plan; a refused
// send leaves no hole (its nonce is filled with a cancel when a later one was accepted). Nothing that
// would revert is sent; one transaction per user at a time.
import { formatGwei, type Address, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Connections } from "../chain/connections.js";
import { ConfigError } from "../config/index.js";
import type { Logger } from "../logging.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { Approvals, readBalances } from "./approvals.js";
import { backrunFees, gweiToWei, initialFees, type Fees } from "./fees.js";
import { Lock } from "./lock.js";
import { NonceTooLowError, ReplacementUnderpricedError, type SendError } from "./nodeErrors.js";
import { NonceSequence } from "./nonces.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { unitOf } from "../scheduler/batch.js";
import { unitProfit, type TxUnit } from "../scheduler/txUnit.js";
import { callSwaps, capitalOf, pairOf, type PoolCall } from "./poolCall.js";
import { liquidatorOutcomes } from "./receipts.js";
import { guardUnit, unitCall, type Guarded } from "./unitCall.js";
import { Sender, type SignedTx, type TxRequest } from "./sender.js";
import { grossGas, Simulator, type Simulation, type SimulationResult } from "./simulation.js";
import { CANCEL_GAS, copyTx, Tracker, type SentTx, type TxOutcome } from "./tracker.js";
import { sleep } from "../util/time.js";

export { walletDebtAssets } from "./approvals.js";
export { NO_WALLET_REASON, type SimulationResult } from "./simulation.js";
export type { SentTx, TxOutcome } from "./tracker.js";

export interface ExecutorOptions {
  /** reads (the watcher's client), the node (batches, simulations) and where signed transactions go */
  connections: Pick<Connections, "client" | "node" | "send">;
  /** required unless dryRun; never logged, never in an error */
  privateKey?: `0x${string}`;
  chainId: number;
  pool: Address;
  /** cap on maxFeePerGas */
  maxFeeGwei: number;
  /** maxPriorityFeePerGas */
  priorityFeeGwei: number;
  /** replace a transaction not mined after this many blocks */
  txTimeoutBlocks: number;
  dryRun: boolean;
  logger: Logger;
  /** applied to the simulation's gas estimate (default 1.25) */
  gasLimitMultiplier?: number;
  /** SWAP_SLIPPAGE_BPS: a Liquidator swap's minimum output is its simulated rate less this (default 50) */
  slippageBps?: number;
  /** who pulls the wallet's tokens: the pool (default), or the Liquidator when wallet plans go through it */
  walletSpender?: Address;
}

/** What became of one plan: sent (the plan as sent: with what its simulation expects of it), a dry run's simulation, or why not. */
export type SubmitResult =
  | { kind: "sent"; tx: SentTx; plan: LiquidationPlan; call: PoolCall }
  | { kind: "dry-run"; simulation: SimulationResult; plan: LiquidationPlan }
  | { kind: "skipped"; reason: string };

/**
 * A round sent right behind a pending transaction (a price update): its units simulated after it, its
 * fee terms no higher than its (fees.ts backrunFees), through the Liquidator only: a batch item skips
 * an account someone else took first, where a pool call would revert.
 */
export interface Backrun {
  /** the pending transaction's hash */
  hash: Hex;
  /** the pending transaction as a call from its sender */
  call: PoolCall;
  /** its fee terms */
  fees: { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint };
}

const BACKRUN_NEEDS_LIQUIDATOR = "a backrun goes through the Liquidator only (a pool call would revert on an account taken first)";

const DEFAULT_GAS_LIMIT_MULTIPLIER = 1.25;
const DEFAULT_SLIPPAGE_BPS = 50;
/**
 * Simulation batch sizes within a block: the first plan alone (it races other keepers), then growing
 * batches, all requested at once: the small early ones come back first and are signed while the node
 * works through the larger ones.
 */
const BATCH_SIZES = [1, 3, 8, 16, 32, 64];
const MAX_BATCH = 120;

const lower = (a: string) => a.toLowerCase();

export class Executor {
  readonly address: Address | undefined;

  // ES private fields: not enumerable, not in JSON or util.inspect, so logging the executor never shows them.
  readonly #account: PrivateKeyAccount | undefined;
  readonly #scrub: (text: string) => string;
  readonly #sender: Sender | undefined;

  private readonly client: PublicClient;
  private readonly log: Logger;
  private readonly cap: bigint;
  private readonly priority: bigint;
  private readonly gasMultiplierPermille: bigint;
  private readonly simulator: Simulator;
  private readonly nonces: NonceSequence | undefined;
  private readonly tracker: Tracker | undefined;
  private readonly approvals: Approvals | undefined;
  private readonly blockLock = new Lock();
  /** users with a liquidation between the in-flight check and the send */
  private readonly reserved = new Set<string>();
  /** holes: nonces a refused send left empty while a later one was accepted */
  private readonly holes = new Set<number>();
  private settledAt = -1n;
  private settling: { blockNumber: bigint; promise: Promise<void> } | undefined;
  private started = false;
  /** without a wallet: each Liquidator's owner (lower-case address), the sender of its simulations */
  private readonly liquidatorOwners = new Map<string, Address>();
  private starting: Promise<void> | undefined;

  private readonly options: Omit<ExecutorOptions, "privateKey">;

  constructor(options: ExecutorOptions) {
    const { privateKey } = options;
    if (!options.dryRun && !privateKey) throw new Error("executor: a private key is required unless in dry run");
    if (privateKey) {
      try {
        this.#account = privateKeyToAccount(privateKey);
      } catch {
        // No cause: the underlying error may quote the input.
        throw new Error("executor: the private key is not a valid 32-byte hex secp256k1 key");
      }
      const bare = privateKey.replace(/^0x/i, "").toLowerCase();
      this.#scrub = (text) => text.split(new RegExp(bare, "gi")).join("<redacted>");
    } else {
      this.#scrub = (text) => text;
    }
    // Keep nothing that holds the key in a plain field.
    const { privateKey: _key, ...rest } = options;
    this.options = rest;
    this.address = this.#account?.address;
    this.client = options.connections.client;
    this.log = options.logger.child({ module: "executor" });
    this.cap = gweiToWei(options.maxFeeGwei);
    this.priority = gweiToWei(options.priorityFeeGwei);
    const multiplier = options.gasLimitMultiplier ?? DEFAULT_GAS_LIMIT_MULTIPLIER;
    if (!(multiplier >= 1) || !Number.isFinite(multiplier)) throw new Error(`executor: gasLimitMultiplier must be >= 1, got ${multiplier}`);
    this.gasMultiplierPermille = BigInt(Math.ceil(multiplier * 1000));
    if (!Number.isInteger(options.txTimeoutBlocks) || options.txTimeoutBlocks < 1) {
      throw new Error(`executor: txTimeoutBlocks must be a positive integer, got ${options.txTimeoutBlocks}`);
    }
    const { node, send } = options.connections;
    this.simulator = new Simulator(this.client, node, this.address, this.#scrub);
    if (this.#account && this.address) {
      this.#sender = new Sender(this.#account, options.chainId, send.endpoint, !send.relay, this.#scrub);
      this.nonces = new NonceSequence(this.client, this.address);
      this.approvals = new Approvals(this.client, this.address, options.walletSpender ?? options.pool, this.log);
      this.tracker = new Tracker({
        client: this.client,
        pool: options.pool,
        node,
        wallet: this.address,
        timeoutBlocks: options.txTimeoutBlocks,
        priority: this.priority,
        cap: this.cap,
        withMargin: (gas) => this.withMargin(gas),
        simulator: this.simulator,
        sendAt: (txs) => this.sendAt(txs),
        log: this.log,
      });
    }
  }

  /**
   * Checks the chain id (of the read client and of the public send URL) and reads the nonce ("pending")
   * and the wallet's ETH, all at once. Started once: concurrent callers share it; a failure can be retried.
   */
  start(): Promise<void> {
    this.starting ??= this.startOnce().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const { node, send } = this.options.connections;
    const checkSendUrl = !this.options.dryRun && !send.relay;
    const wallet =
      this.address && this.nonces
        ? Promise.all([this.nonces.init(), this.client.getBalance({ address: this.address })]).then(([, balance]) => balance)
        : undefined;
    const [chainId, sendChain, balance] = await Promise.all([
      this.client.getChainId(),
      checkSendUrl ? node.request<Hex>("eth_chainId").then(Number) : undefined,
      wallet,
    ]);
    // A node on another chain is a setting to fix, not an outage to wait out (exit 2, not retried).
    if (chainId !== this.options.chainId) throw new ConfigError("RPC_URL", `is on chain ${chainId}, expected ${this.options.chainId}`);
    if (sendChain !== undefined && sendChain !== chainId) {
      throw new ConfigError("RPC_URL", `${node.label} (where transactions are sent) is on chain ${sendChain}, expected ${chainId}`);
    }
    if (balance === 0n && !this.options.dryRun) this.log.warn({ address: this.address }, "keeper wallet has no ETH for gas");
    this.started = true;
    this.log.info(
      {
        address: this.address ?? null,
        nonce: this.nonces?.next ?? null,
        chainId,
        dryRun: this.options.dryRun,
        relay: send.relay ? send.endpoint.label : null,
      },
      "executor started",
    );
  }

  /** The wallet's balance of each asset, in one multicall (zero for every asset without a wallet). */
  walletBalances(assets: readonly Address[]): Promise<Map<Address, bigint>> {
    return readBalances(this.client, this.address, assets);
  }

  /** Whether the wallet's `asset` may be pulled (approved for good; a dry run needs no approval). */
  approved(asset: Address): boolean {
    return this.options.dryRun || (this.approvals?.has(asset) ?? false);
  }

  /** Reads which assets the pool may already pull from the wallet (remembered), sending nothing: before the first block. */
  async checkApprovals(assets: readonly Address[]): Promise<void> {
    if (!this.options.dryRun && this.approvals) await this.approvals.check(assets);
  }

  /**
   * Approves the pool for good on each asset the wallet holds (once; remembered). Only wallet plans'
   * debt assets need it: a flash-loan plan pulls nothing from the wallet (pass walletDebtAssets(plans)).
   */
  async ensureApprovals(assets: readonly Address[]): Promise<void> {
    if (this.options.dryRun || !this.approvals) return;
    await this.ensureStarted();
    const fees = async (): Promise<Fees> => {
      const block = await this.client.getBlock({ blockTag: "latest" });
      const f = initialFees(block.baseFeePerGas ?? 0n, this.priority, this.cap);
      if ("skip" in f) throw new Error(`executor: cannot send approvals: ${f.skip}`);
      return f;
    };
    await this.approvals.ensure(
      assets,
      fees,
      (gas) => this.withMargin(gas),
      async (request) => {
        const [r] = await this.sendNew([request]);
        if (!r || "error" in r) throw new Error(`executor: approve of ${request.to} failed: ${r?.error.message ?? "not sent"}`);
        return r;
      },
    );
  }

  /** eth_createAccessList (else eth_call + eth_estimateGas) of the plan's call from the wallet at "latest". */
  async simulate(plan: LiquidationPlan): Promise<SimulationResult> {
    const unit = unitOf(plan, this.options.pool);
    await this.learnOwners([unit]);
    const sim = await this.simulator.one(this.callOf(unit, false));
    return sim.ok ? sim : { ok: false, reason: sim.reason };
  }

  /** One liquidation: see liquidate. */
  async submit(plan: LiquidationPlan, blockNumber: bigint, baseFeePerGas: bigint): Promise<SubmitResult> {
    const [result] = await this.liquidate([plan], blockNumber, baseFeePerGas);
    return result!;
  }

  /** Each plan as a transaction of its own (submitUnits): a result per plan. */
  async liquidate(
    plans: readonly LiquidationPlan[],
    blockNumber: bigint,
    baseFeePerGas: bigint,
    sentBefore: readonly PoolCall[] = [],
  ): Promise<SubmitResult[]> {
    const results = await this.submitUnits(
      plans.map((p) => unitOf(p, this.options.pool)),
      blockNumber,
      baseFeePerGas,
      sentBefore,
    );
    return results.map((r) => r[0]!);
  }

  /**
   * A block's transactions, in the order given (most profitable first): simulated in batches (a
   * Liquidator unit with loose guards, its guards then set from what the simulation got), the ones
   * with something left signed with consecutive nonces and sent batch after batch. A result per plan
   * of each unit, in its order. `sentBefore`: the calls of this block sent just before (an earlier
   * call), which will run first.
   */
  async submitUnits(
    units: readonly TxUnit[],
    blockNumber: bigint,
    baseFeePerGas: bigint,
    sentBefore: readonly PoolCall[] = [],
    backrun?: Backrun,
  ): Promise<SubmitResult[][]> {
    const results: SubmitResult[][] = units.map((u) => new Array(u.plans.length));
    const todo: number[] = [];
    const reservedHere: string[] = [];
    units.forEach((unit, u) => {
      if (backrun && unit.via === "pool") {
        unit.plans.forEach((_, i) => {
          results[u]![i] = { kind: "skipped", reason: BACKRUN_NEEDS_LIQUIDATOR };
        });
        return;
      }
      // A user already in flight (or being submitted) is taken out of the unit.
      const busy = unit.plans.map((plan) => {
        const flight = this.tracker?.get(plan.user);
        if (!flight && !this.reserved.has(lower(plan.user))) return undefined;
        return flight
          ? `a liquidation of this user is already in flight (nonce ${flight.tx.nonce}, ${flight.tx.hash})`
          : "a liquidation of this user is being submitted";
      });
      busy.forEach((reason, i) => {
        if (reason === undefined) return;
        this.log.debug({ user: unit.plans[i]!.user, reason }, "submit refused");
        results[u]![i] = { kind: "skipped", reason };
      });
      if (busy.some((r) => r === undefined)) todo.push(u);
      for (const [i, plan] of unit.plans.entries()) {
        if (busy[i] !== undefined) continue;
        this.reserved.add(lower(plan.user));
        reservedHere.push(lower(plan.user));
      }
    });
    const live = todo.map((u) => withoutPlans(units[u]!, results[u]!));
    try {
      const fees = backrun ? backrunFees(backrun.fees, baseFeePerGas, this.cap) : initialFees(baseFeePerGas, this.priority, this.cap);
      if ("skip" in fees) {
        for (const [k, u] of todo.entries()) {
          for (const plan of live[k]!.unit.plans) {
            this.log.warn(
              { user: plan.user, pair: pairOf(plan), baseFee: formatGwei(baseFeePerGas), maxFeeGwei: this.options.maxFeeGwei },
              "tx skipped: fee cap below base fee",
            );
          }
          for (const i of live[k]!.index) results[u]![i] = { kind: "skipped", reason: fees.skip };
        }
        return results;
      }
      await this.ensureStarted();
      await this.learnOwners(live.map((l) => l.unit));
      await this.simulateAndSend(
        live,
        fees,
        blockNumber,
        sentBefore,
        (k, i, result) => {
          results[todo[k]!]![live[k]!.index[i]!] = result;
        },
        backrun,
      );
      return results;
    } finally {
      for (const user of reservedHere) this.reserved.delete(user);
    }
  }

  /**
   * Brings the in-flight set to `blockNumber`: everything under the wallet's nonce at that block is
   * mined, its user free for a new liquidation. Cheap (one request): the hot path calls it first.
   */
  settle(blockNumber: bigint): Promise<void> {
    // One request per block, however many callers ask (the keeper asks as soon as the head is known).
    if (this.settling?.blockNumber !== blockNumber) {
      const promise = this.settleAt(blockNumber);
      this.settling = { blockNumber, promise };
      promise.catch(() => {
        if (this.settling?.promise === promise) this.settling = undefined;
      });
    }
    return this.settling.promise;
  }

  private async settleAt(blockNumber: bigint): Promise<void> {
    if (!this.tracker || !this.address || this.settledAt >= blockNumber) return;
    const chainNonce = await this.client.getTransactionCount({ address: this.address, blockNumber });
    if (this.settledAt >= blockNumber) return;
    this.settledAt = blockNumber;
    this.tracker.settle(chainNonce, blockNumber);
    this.nonces?.atLeast(chainNonce);
    for (const n of this.holes) if (n < chainNonce) this.holes.delete(n);
  }

  /**
   * Follows every transaction in flight one block further: mined or reverted (a receipt for any of its
   * hashes), dropped (the nonce was used by something else), replaced (stuck: higher fees, or a cancel
   * when it would now revert); and fills any nonce hole with a cancel.
   */
  onBlock(blockNumber: bigint, baseFeePerGas: bigint): Promise<TxOutcome[]> {
    return this.blockLock.run(async () => {
      if (!this.tracker || (this.tracker.size === 0 && this.holes.size === 0)) return [];
      await this.settle(blockNumber);
      const outcomes = await this.tracker.resolve();
      outcomes.push(...(await this.tracker.replaceStuck(blockNumber, baseFeePerGas)));
      if (this.holes.size > 0) await this.fillHoles(blockNumber, baseFeePerGas);
      return outcomes;
    });
  }

  /** Cancels what was sent behind `update` (dropped or replaced); see Tracker.cancelBackruns. */
  cancelBackruns(update: Hex, reason: string, baseFeePerGas: bigint): Promise<TxOutcome[]> {
    const tracker = this.tracker;
    if (!tracker) return Promise.resolve([]);
    return this.blockLock.run(() => tracker.cancelBackruns(update, reason, baseFeePerGas));
  }

  inFlight(): SentTx[] {
    return this.tracker?.list() ?? [];
  }

  hasInFlight(user: Address): boolean {
    return this.reserved.has(lower(user)) || (this.tracker?.has(user) ?? false);
  }

  /** The Liquidator calls in flight, in nonce order: a new simulation runs after them (their swaps move the pools). */
  /** The liquidations in flight that will run (not those being cancelled). */
  inFlightPlans(): LiquidationPlan[] {
    return this.tracker?.plans() ?? [];
  }

  inFlightCalls(): PoolCall[] {
    return (this.tracker?.calls() ?? []).filter((c) => c.flash);
  }

  /** Gas the liquidations in flight will take of the coming blocks (their simulated gas). */
  inFlightGas(): bigint {
    return this.tracker?.pendingGas() ?? 0n;
  }

  /** Calls `poll` (which should drive onBlock) until nothing is in flight or `timeoutMs` passes; true when empty. */
  async drain(timeoutMs: number, poll: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const busy = () => (this.tracker?.size ?? 0) > 0;
    while (busy()) {
      if (Date.now() >= deadline) return false;
      await poll();
      if (!busy()) break;
      await sleep(Math.max(0, Math.min(100, deadline - Date.now())));
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------------

  private async ensureStarted(): Promise<void> {
    if (!this.started) await this.start();
  }

  private withMargin(gas: bigint): bigint {
    return (gas * this.gasMultiplierPermille + 999n) / 1000n;
  }

  /** The unit's call (unitCall.ts; `loose`: the measurement); without a wallet a Liquidator call is simulated from its owner. */
  private callOf(unit: TxUnit, loose: boolean): PoolCall {
    const call = unitCall(unit, loose);
    if (this.address || unit.via === "pool") return call;
    const owner = this.liquidatorOwners.get(call.to.toLowerCase());
    return owner ? { ...call, from: owner } : call;
  }

  /**
   * Without a wallet (dry run, no key), reads the owner of each Liquidator the plans call (once each):
   * their simulations run from it, so a dry run checks the whole flash liquidation, swap and profit.
   */
  private async learnOwners(units: readonly TxUnit[]): Promise<void> {
    if (this.address) return;
    const unknown = new Set<Address>();
    for (const u of units) if (u.via === "liquidator" && !this.liquidatorOwners.has(u.liquidator.toLowerCase())) unknown.add(u.liquidator);
    await Promise.all(
      [...unknown].map(async (liquidator) => {
        try {
          const owner = await this.client.readContract({ address: liquidator, abi: liquidatorAbi, functionName: "owner" });
          this.liquidatorOwners.set(liquidator.toLowerCase(), owner);
        } catch (err) {
          const error = (err as Error).message.split("\n", 1)[0];
          this.log.warn({ liquidator, err: error }, "cannot read the Liquidator's owner: simulating from no wallet");
        }
      }),
    );
  }

  /**
   * Simulation batches of units, all requested at once, each after the earlier ones (eth_simulateV1:
   * one block, in send order); each batch's units guarded from their simulation, signed at the next
   * consecutive nonces as it comes back and sent (to a public node the sends overlap; to a relay they
   * go one after the other). Then the answers: a refused nonce below an accepted one is a hole, filled
   * with a cancel; refused nonces at the end are given back; a nonce the node calls taken (another
   * sender of this key) is resynced and those transactions are signed again once.
   */
  private async simulateAndSend(
    units: readonly { unit: TxUnit; index: number[] }[],
    fees: Fees,
    blockNumber: bigint,
    before: readonly PoolCall[],
    report: (unit: number, plan: number, result: SubmitResult) => void,
    backrun?: Backrun,
  ) {
    const batches = batchesOf(units.map((_, k) => k));
    // What is simulated: a Liquidator unit with loose guards (the simulation is its quote), a pool call as it is sent.
    const measured = units.map((u) => this.callOf(u.unit, true));
    // Simulated in a block at the timestamp the plans were made for (the next block's), where every
    // reserve accrues: the gas the block will see (a plan made by hand may carry none). Simulations
    // at "latest" with that timestamp met a newer block when the node had mined one meanwhile: the
    // keeper's own liquidations of it made plans fail (HEALTH_FACTOR_NOT_BELOW_THRESHOLD,
    // COLLATERAL_CANNOT_BE_LIQUIDATED, SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER) and a timestamp
    // before the reserves' last update underflowed (PANIC(0x11)).
    const time = units.reduce((t, u) => u.unit.plans.reduce((m, p) => (p.timestamp > m ? p.timestamp : m), t), 0n);
    // A batch with a swap runs after the swaps in flight and the round's earlier ones (they move its
    // pools); the rest depends on none of them (other accounts, the wallet's tokens reserved), and
    // re-running a cascade's calls in flight before each batch made every round slow.
    const swapping = measured.map(callSwaps);
    const swapsBefore = before.filter(callSwaps);
    const simulations = batches.map(() => undefined as Promise<Simulation[]> | undefined);
    const simulateBatch = (b: number) =>
      (simulations[b] ??= this.simulator.many(
        batches[b]!.map((k) => measured[k]!),
        // At the block the plans were made from: "latest" may already hold a newer block (our own
        // liquidations in it, reserves updated after the plans' timestamp).
        blockNumber > 0n ? blockNumber : "latest",
        [
          // A backrun runs after the pending transaction it follows, every batch of it.
          ...(backrun ? [backrun.call] : []),
          ...(batches[b]!.some((k) => swapping[k])
            ? [
                ...swapsBefore,
                ...batches
                  .slice(0, b)
                  .flat()
                  .filter((k) => swapping[k])
                  .map((k) => measured[k]!),
              ]
            : []),
        ],
        time > 0n ? time : undefined,
      ));
    const nonces = this.nonces;
    const sender = this.#sender;
    const send = async () => {
      const items: Outgoing[] = [];
      const answers: Promise<void>[] = [];
      // Gas limits never decrease along the wallet's nonces in flight. A block builder that finds a
      // transaction too large for the gas left must then find every later one too large as well: anvil
      // executes a later one that fits, calls it invalid (its nonce is ahead) and drops it from its pool
      // with every one after it, a hundred liquidations lost until replaced. A limit is only a cap: the
      // fee is paid on the gas used.
      let gasFloor = this.tracker?.maxGasLimit() ?? 0n;
      // Every batch simulates at once, the first requested first; each is signed when it is back.
      for (let b = 0; b < batches.length; b++) void simulateBatch(b).catch(() => undefined);
      for (let b = 0; b < batches.length; b++) {
        const sims = await simulateBatch(b);
        const ready = this.simulated(units, batches[b]!, sims, fees, report);
        if (ready.length === 0 || !nonces || !sender) continue;
        const first = nonces.next;
        const batch: Outgoing[] = [];
        for (const [j, r] of ready.entries()) {
          const gas = r.gas > gasFloor ? r.gas : gasFloor;
          gasFloor = gas;
          const request: TxRequest = { to: r.call.to, data: r.call.data, value: 0n, gas, fees };
          batch.push({ ...r, gas, signed: await sender.sign(first + j, request) });
        }
        nonces.advance(first, batch.length);
        items.push(...batch);
        const answered = sender.sendAll(batch.map((o) => o.signed)).then((errors) => {
          errors.forEach((e, j) => {
            batch[j]!.error = e;
          });
        });
        if (this.options.connections.send.relay) await answered;
        else answers.push(answered);
      }
      await Promise.all(answers);
      if (items.length === 0) return;
      const retry = await this.afterSends(items, fees, blockNumber);
      const accepted = items.filter((o) => !o.error);
      if (retry.length > 0) {
        const { before: nonceBefore, after } = await nonces!.resync(this.tracker?.ownedNonces() ?? []);
        this.log.warn({ reason: retry[0]!.error?.message, nonceBefore, nonceAfter: after }, "nonce resynced from chain");
        const again = await this.sendNewLocked(
          retry.map((o) => o.signed.request),
          blockNumber,
        );
        retry.forEach((o, k) => {
          const r = again[k]!;
          if ("error" in r) o.error = r.error;
          else {
            o.error = undefined;
            o.signed = { ...o.signed, hash: r.hash, nonce: r.nonce };
            accepted.push(o);
          }
        });
      }
      for (const o of items) {
        if (!o.error) continue;
        for (const [i, plan] of o.unit.plans.entries()) {
          this.log.warn({ user: plan.user, pair: pairOf(plan), error: o.error.message }, "tx send failed");
          report(o.k, o.planIndex[i]!, { kind: "skipped", reason: `send failed: ${o.error.message}` });
        }
      }
      for (const o of accepted.sort((a, b) => a.signed.nonce - b.signed.nonce)) this.track(o, fees, blockNumber, report, backrun?.hash);
    };
    if (this.options.dryRun || !nonces) await send();
    else await nonces.exclusive(send);
  }

  /**
   * A batch's simulations: a Liquidator unit is guarded from its simulated events (guardUnit: what
   * was skipped is out, the swaps' minimums from what they got); dry run logs them; failures are
   * results; the rest is ready to send.
   */
  private simulated(
    units: readonly { unit: TxUnit; index: number[] }[],
    batch: number[],
    sims: Simulation[],
    fees: Fees,
    report: (unit: number, plan: number, result: SubmitResult) => void,
  ) {
    const ready: Omit<Outgoing, "signed">[] = [];
    batch.forEach((k, j) => {
      const measured = units[k]!.unit;
      const sim = sims[j]!;
      if (!sim.ok) {
        for (const [i, plan] of measured.plans.entries()) {
          if (this.options.dryRun) this.logDryRun(plan, this.callOf(measured, true), sim, fees);
          else this.log.info({ user: plan.user, pair: pairOf(plan), capital: capitalOf(plan), reason: sim.reason }, "simulation failed");
          report(
            k,
            i,
            this.options.dryRun
              ? { kind: "dry-run", simulation: { ok: false, reason: sim.reason }, plan }
              : { kind: "skipped", reason: `simulation failed: ${sim.reason}` },
          );
        }
        return;
      }
      const guarded = this.guard(measured, sim);
      const sendable = guarded.unit;
      const keptAt = new Map<LiquidationPlan, number>();
      for (const [i, m] of guarded.plans.entries()) {
        if (m.kept) {
          keptAt.set(m.plan, i);
          continue;
        }
        if (this.options.dryRun) this.logDryRun(m.plan, this.callOf(measured, true), { ok: false, reason: m.reason, reverted: true }, fees);
        else this.log.info({ user: m.plan.user, pair: pairOf(m.plan), capital: capitalOf(m.plan), reason: m.reason }, "simulation failed");
        report(
          k,
          i,
          this.options.dryRun
            ? { kind: "dry-run", simulation: { ok: false, reason: m.reason }, plan: m.plan }
            : { kind: "skipped", reason: `simulation failed: ${m.reason}` },
        );
      }
      if (!sendable) return;
      const call = this.callOf(sendable, false);
      const planIndex = sendable.plans.map((p) => keptAt.get(p)!);
      if (this.options.dryRun) {
        for (const [i, plan] of sendable.plans.entries()) {
          this.logDryRun(plan, call, sim, fees);
          report(k, planIndex[i]!, { kind: "dry-run", simulation: { ok: true, gas: sim.gas }, plan });
        }
        return;
      }
      // The gas limit is the simulation's with a margin, for either call (a Liquidator call's grossed
      // up for its refunds, grossGas). A pool call's planned gas (bad-debt burns of other reserves) is
      // a floor: the state it is mined in may add them.
      const simulated = this.withMargin(grossGas(call, sim.gas));
      const floor = sendable.via === "pool" ? sendable.plans[0].gasUnits : undefined;
      const gas = floor !== undefined && floor > simulated ? floor : simulated;
      ready.push({ k, unit: sendable, planIndex, call, gas, gasUsed: sim.gas, ...(sim.netGas !== undefined && { netGas: sim.netGas }) });
    });
    return ready;
  }

  /** A Liquidator unit's guards from its simulation (a pool call is sent as simulated). */
  private guard(unit: TxUnit, sim: Extract<Simulation, { ok: true }>): Guarded {
    if (unit.via === "pool") return { unit, plans: unit.plans.map((plan) => ({ kept: true, plan })) };
    if (sim.logs === undefined) {
      // A node without eth_simulateV1 gives no events: the plans' own guards (their quotes) stand.
      return { unit, plans: unit.plans.map((plan) => ({ kept: true, plan })) };
    }
    return guardUnit(unit, liquidatorOutcomes(sim.logs, unit.liquidator), {
      slippageBps: this.options.slippageBps ?? DEFAULT_SLIPPAGE_BPS,
    });
  }

  private logDryRun(plan: LiquidationPlan, call: PoolCall, sim: Simulation, fees: Fees): void {
    this.log.info(
      {
        user: plan.user,
        pair: pairOf(plan),
        capital: capitalOf(plan),
        to: call.to,
        simulation: sim.ok ? "ok" : sim.reason,
        gas: sim.ok ? String(sim.gas) : undefined,
        maxFeePerGas: formatGwei(fees.maxFeePerGas),
        expectedProfitBase: String(plan.expectedProfitBase),
      },
      "dry run: not sent",
    );
  }

  /**
   * The node's answers to a run of consecutive nonces: holes (refused below an accepted one) filled
   * with cancels, a refused tail given back to the sequence; the ones to sign again returned.
   */
  private async afterSends(items: Outgoing[], fees: Fees, blockNumber: bigint): Promise<Outgoing[]> {
    const nonces = this.nonces!;
    let lastAccepted = -1;
    for (const o of items) if (!o.error && o.signed.nonce > lastAccepted) lastAccepted = o.signed.nonce;
    const retry: Outgoing[] = [];
    for (const o of items) {
      if (!o.error) continue;
      // Too low / underpriced: the nonce is taken (mined, or in the pool), so it is no hole.
      if (o.error instanceof NonceTooLowError || o.error instanceof ReplacementUnderpricedError) retry.push(o);
      else if (o.signed.nonce < lastAccepted) this.holes.add(o.signed.nonce);
    }
    const firstNonce = items[0]!.signed.nonce;
    nonces.rewind(lastAccepted >= 0 ? lastAccepted + 1 : firstNonce);
    if (this.holes.size > 0) await this.fillHolesLocked(blockNumber, fees);
    return retry;
  }

  private track(
    o: Outgoing,
    fees: Fees,
    blockNumber: bigint,
    report: (unit: number, plan: number, result: SubmitResult) => void,
    backrunOf?: Hex,
  ): void {
    const { hash, nonce } = o.signed;
    const tx: SentTx = {
      ...(backrunOf !== undefined && { backrunOf }),
      hash,
      nonce,
      plans: [...o.unit.plans],
      sentAtBlock: blockNumber,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      replacements: 0,
      hashes: [hash],
      simulatedGas: o.gasUsed,
      ...(o.netGas !== undefined && { simulatedNetGas: o.netGas }),
    };
    this.tracker!.add({ tx, call: o.call, gas: o.gas, cancelHashes: new Set(), capWarned: false, receiptMisses: 0 });
    const [first] = o.unit.plans;
    this.log.info(
      {
        user: first!.user,
        ...(o.unit.plans.length > 1 && { users: o.unit.plans.map((p) => p.user), batch: o.unit.plans.length }),
        pair: pairOf(first!),
        capital: capitalOf(first!),
        to: o.call.to,
        nonce,
        hash,
        gas: String(o.gas),
        maxFeePerGas: formatGwei(tx.maxFeePerGas),
        maxPriorityFeePerGas: formatGwei(tx.maxPriorityFeePerGas),
        expectedProfitBase: String(unitProfit(o.unit)),
        relay: this.options.connections.send.relay,
        ...(backrunOf !== undefined && { backrunOf }),
      },
      "tx sent",
    );
    for (const [i, plan] of o.unit.plans.entries()) report(o.k, o.planIndex[i]!, { kind: "sent", tx: copyTx(tx), plan, call: o.call });
  }

  /**
   * New transactions at the next consecutive nonces. A nonce the node calls too low (another sender of
   * this key) resyncs the sequence and those are signed again once; a refused one followed by an
   * accepted one leaves a hole, filled at once with a cancel.
   */
  private sendNew(requests: TxRequest[], blockNumber = 0n): Promise<({ hash: Hex; nonce: number } | { error: SendError })[]> {
    if (!this.nonces) throw new Error("executor: no wallet to send from");
    return this.nonces.exclusive(() => this.sendNewLocked(requests, blockNumber));
  }

  private async sendNewLocked(
    requests: TxRequest[],
    blockNumber: bigint,
  ): Promise<({ hash: Hex; nonce: number } | { error: SendError })[]> {
    const nonces = this.nonces;
    const sender = this.#sender;
    if (!nonces || !sender) throw new Error("executor: no wallet to send from");
    {
      const out: ({ hash: Hex; nonce: number } | { error: SendError })[] = new Array(requests.length);
      let pending = requests.map((_, i) => i);
      for (let attempt = 0; pending.length > 0; attempt++) {
        const first = nonces.next;
        const signed: SignedTx[] = [];
        for (let j = 0; j < pending.length; j++) signed.push(await sender.sign(first + j, requests[pending[j]!]!));
        const errors = await sender.sendAll(signed);
        let used = 0;
        errors.forEach((e, j) => {
          if (!e) used = j + 1;
        });
        const retry: number[] = [];
        const emptied: number[] = [];
        errors.forEach((error, j) => {
          const i = pending[j]!;
          if (!error) {
            out[i] = { hash: signed[j]!.hash, nonce: signed[j]!.nonce };
            return;
          }
          // Too low / underpriced: the nonce is taken (mined, or in the pool), so it is no hole.
          const taken = error instanceof NonceTooLowError || error instanceof ReplacementUnderpricedError;
          if (taken && attempt === 0) retry.push(i);
          else out[i] = { error };
          if (!taken && j < used) emptied.push(signed[j]!.nonce);
        });
        nonces.advance(first, used);
        if (emptied.length > 0) {
          for (const n of emptied) this.holes.add(n);
          await this.fillHolesLocked(blockNumber, requests[0]!.fees);
        }
        if (retry.length === 0) break;
        const { before, after } = await nonces.resync(this.tracker?.ownedNonces() ?? []);
        this.log.warn({ reason: errors.find((e) => e)?.message, nonceBefore: before, nonceAfter: after }, "nonce resynced from chain");
        pending = retry;
      }
      return out;
    }
  }

  /** Signs and sends each request at its own nonce (replacements), under the sequence's lock. */
  private sendAt(txs: { nonce: number; request: TxRequest }[]): Promise<({ hash: Hex } | { error: string })[]> {
    const nonces = this.nonces;
    const sender = this.#sender;
    if (!nonces || !sender) return Promise.resolve(txs.map(() => ({ error: "no wallet" })));
    return nonces.exclusive(async () => {
      const signed: SignedTx[] = [];
      for (const t of txs) signed.push(await sender.sign(t.nonce, t.request));
      const errors = await sender.sendAll(signed);
      return signed.map((s, i) => (errors[i] ? { error: errors[i]!.message } : { hash: s.hash }));
    });
  }

  private async fillHoles(blockNumber: bigint, baseFeePerGas: bigint): Promise<void> {
    const fees = initialFees(baseFeePerGas, this.priority, this.cap);
    if ("skip" in fees || !this.nonces) return;
    await this.nonces.exclusive(() => this.fillHolesLocked(blockNumber, fees));
  }

  /** A cancel (0-value self-transfer) at each hole, so the accepted nonces after it can be mined. */
  private async fillHolesLocked(blockNumber: bigint, fees: Fees): Promise<void> {
    const sender = this.#sender;
    if (!sender || !this.address || !this.tracker) return;
    const holes = [...this.holes].filter((n) => !this.tracker!.ownsNonce(n)).sort((a, b) => a - b);
    if (holes.length === 0) return;
    const signed: SignedTx[] = [];
    for (const n of holes) signed.push(await sender.sign(n, { to: this.address, data: "0x", value: 0n, gas: CANCEL_GAS, fees }));
    const errors = await sender.sendAll(signed);
    signed.forEach((s, i) => {
      const error = errors[i];
      if (error && !(error instanceof NonceTooLowError)) {
        this.log.warn({ nonce: s.nonce, error: error.message }, "nonce hole: the filler was refused; retrying next block");
        return;
      }
      this.holes.delete(s.nonce);
      if (!error) {
        this.tracker!.addFiller(s.nonce, s.hash, fees, blockNumber);
        this.log.info({ nonce: s.nonce, hash: s.hash }, "nonce hole filled with a cancel");
      }
    });
  }
}

/** A simulated transaction, signed, and what the node said (undefined: accepted). */
interface Outgoing {
  /** the unit's place among those submitted */
  k: number;
  /** the unit as sent (guarded) */
  unit: TxUnit;
  /** per plan sent, its index in the unit as submitted */
  planIndex: number[];
  call: PoolCall;
  gas: bigint;
  gasUsed: bigint;
  netGas?: bigint;
  signed: SignedTx;
  error?: SendError;
}

/** A unit without the plans already given a result (users in flight), and where the rest were in it. */
function withoutPlans(unit: TxUnit, results: readonly (SubmitResult | undefined)[]): { unit: TxUnit; index: number[] } {
  const index = unit.plans.flatMap((_, i) => (results[i] === undefined ? [i] : []));
  if (index.length === unit.plans.length) return { unit, index };
  if (unit.via === "pool") return { unit, index };
  const at = new Map(index.map((i, k) => [i, k]));
  const loans = unit.loans.flatMap((l) => {
    const items = l.items.filter((i) => at.has(i)).map((i) => at.get(i)!);
    return items.length === 0 ? [] : [{ ...l, items }];
  });
  return { unit: { ...unit, plans: index.map((i) => unit.plans[i]!), loans }, index };
}

/** Unit indices cut into simulation batches: 1, 3, 8, 16, 32, 64, then 120 at a time. */
function batchesOf(indices: number[]): number[][] {
  const out: number[][] = [];
  let at = 0;
  for (let b = 0; at < indices.length; b++) {
    const size = BATCH_SIZES[b] ?? MAX_BATCH;
    out.push(indices.slice(at, at + size));
    at += size;
  }
  return out;
}
