// Tracking and replacement: every transaction in flight, followed block by block. A nonce below the
// chain's is settled: its receipt says mined or reverted (or a cancel won), no receipt says another
// transaction took the nonce. A transaction still waiting after TX_TIMEOUT_BLOCKS while the wallet's
// queue stands still is replaced at the same nonce with higher fees, or cancelled when it would now
// revert. Nonces the executor skipped after a refused send are filled with cancels (see Executor).
import { formatGwei, type Address, type Hex, type PublicClient } from "viem";
import type { RpcEndpoint } from "../chain/connections.js";
import type { Logger } from "../logging.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { replacementFees, type Fees } from "./fees.js";
import { capitalOf, pairOf, type PoolCall } from "./poolCall.js";
import { fetchReceipts, itemOutcomes, liquidatorOutcomes, revertReason } from "./receipts.js";
import type { TxRequest } from "./sender.js";
import { grossGas, type Simulator } from "./simulation.js";

export interface SentTx {
  hash: Hex;
  nonce: number;
  /** the liquidations it carries, in the order they run (one for a Pool.liquidationCall) */
  plans: LiquidationPlan[];
  /** the head block when this hash (the latest replacement) was sent */
  sentAtBlock: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  replacements: number;
  /** all hashes sent for this nonce, oldest first */
  hashes: Hex[];
  /** the gas the simulation found it uses (the gas limit sent has a margin on top) */
  simulatedGas: bigint;
  /** the gas the simulation found it uses net of refunds, when the node said (what the receipt will show) */
  simulatedNetGas?: bigint;
  /** sent right behind this pending transaction (a price update): cancelled if it is dropped or replaced */
  backrunOf?: Hex;
}

/** What became of one liquidation of a mined transaction. */
export type ItemOutcome =
  | {
      kind: "liquidated";
      plan: LiquidationPlan;
      /** from the pool's LiquidationCall event (for a flash liquidation, the collateral went to the contract and was swapped) */
      debtRepaid: bigint;
      collateralReceived: bigint;
      /** flash liquidations only: its share of the debt-asset units the Liquidator sent its owner for its loan */
      ownerProfit?: bigint;
    }
  /** the contract skipped it (taken by someone else first, healthy again), or its loan failed */
  | { kind: "skipped"; plan: LiquidationPlan; reason: string };

export type TxOutcome =
  | { kind: "mined"; tx: SentTx; hash: Hex; blockNumber: bigint; gasUsed: bigint; effectiveGasPrice: bigint; items: ItemOutcome[] }
  | { kind: "reverted"; tx: SentTx; hash: Hex; blockNumber: bigint; reason: string }
  | { kind: "replaced"; tx: SentTx; hash: Hex }
  | { kind: "dropped"; tx: SentTx; reason: string };

export interface Flight {
  tx: SentTx;
  call: PoolCall;
  /** the gas limit sent */
  gas: bigint;
  /** hashes of 0-value self-transfers sent to cancel the liquidation */
  cancelHashes: Set<Hex>;
  cancelReason?: string;
  /** the "cannot bump under the cap" warning was logged (once per incident) */
  capWarned: boolean;
  /** blocks its nonce was mined without a receipt for any of its hashes (see resolve) */
  receiptMisses: number;
}

/** A 0-value self-transfer holding a nonce a refused liquidation left empty. */
interface Filler {
  nonce: number;
  hashes: Hex[];
  fees: Fees;
  sentAtBlock: bigint;
}

export interface TrackerOptions {
  client: PublicClient;
  /** the Aave pool, whose LiquidationCall events say what a mined liquidation moved */
  pool: Address;
  /** the node, for batched receipt reads */
  node: RpcEndpoint;
  wallet: Address;
  timeoutBlocks: number;
  priority: bigint;
  cap: bigint;
  withMargin: (gas: bigint) => bigint;
  simulator: Simulator;
  /** signs and sends each request at its nonce (the nonce sequence's lock held); the hash or why not */
  sendAt: (txs: { nonce: number; request: TxRequest }[]) => Promise<({ hash: Hex } | { error: string })[]>;
  log: Logger;
}

export const CANCEL_GAS = 21_000n;
/** Blocks a mined nonce may show no receipt for our hashes before the transaction counts as dropped. */
const RECEIPT_MISSES = 2;
const lower = (a: string) => a.toLowerCase();

export function copyTx(tx: SentTx): SentTx {
  return { ...tx, plans: [...tx.plans], hashes: [...tx.hashes] };
}

/** The users a transaction liquidates, for log lines: one, or the first and how many more. */
function usersOf(tx: SentTx): string {
  const [first, ...rest] = tx.plans;
  return rest.length === 0 ? (first?.user ?? "") : `${first?.user} (+${rest.length})`;
}

export class Tracker {
  /** by nonce */
  private readonly flights = new Map<number, Flight>();
  /** user (lower-case) -> the nonce of the transaction that liquidates it */
  private readonly byUser = new Map<string, number>();
  private readonly fillers = new Map<number, Filler>();
  /** mined (nonce below the chain's) and waiting for their receipts */
  private settled: Flight[] = [];
  private chainNonce = -1;
  /** the last block in which the chain's nonce of the wallet moved */
  private progressBlock = 0n;

  constructor(private readonly o: TrackerOptions) {}

  add(flight: Flight): void {
    this.flights.set(flight.tx.nonce, flight);
    for (const p of flight.tx.plans) this.byUser.set(lower(p.user), flight.tx.nonce);
  }

  private remove(flight: Flight): void {
    this.flights.delete(flight.tx.nonce);
    for (const p of flight.tx.plans) if (this.byUser.get(lower(p.user)) === flight.tx.nonce) this.byUser.delete(lower(p.user));
  }

  addFiller(nonce: number, hash: Hex, fees: Fees, blockNumber: bigint): void {
    this.fillers.set(nonce, { nonce, hashes: [hash], fees, sentAtBlock: blockNumber });
  }

  has(user: Address): boolean {
    return this.byUser.has(lower(user));
  }

  get(user: Address): Flight | undefined {
    const nonce = this.byUser.get(lower(user));
    return nonce === undefined ? undefined : this.flights.get(nonce);
  }

  /** transactions not yet resolved: in flight, mined awaiting their receipt, nonce fillers */
  get size(): number {
    return this.flights.size + this.settled.length + this.fillers.size;
  }

  list(): SentTx[] {
    return [...this.flights.values()].map((f) => copyTx(f.tx));
  }

  /** The calls of the transactions not yet mined and not being cancelled, in nonce order (the order the chain will run them). */
  calls(): PoolCall[] {
    return this.running().map((f) => f.call);
  }

  /** The plans of the transactions in flight that are not being cancelled (those will not run). */
  plans(): LiquidationPlan[] {
    return this.running().flatMap((f) => f.tx.plans);
  }

  private running(): Flight[] {
    return [...this.flights.values()].filter((f) => f.cancelHashes.size === 0).sort((a, b) => a.tx.nonce - b.tx.nonce);
  }

  /** Gas the transactions not yet mined will take of the coming blocks. */
  pendingGas(): bigint {
    let gas = 0n;
    for (const f of this.flights.values()) gas += f.tx.simulatedGas;
    return gas;
  }

  /** The largest gas limit among the transactions not yet mined (0 when none). */
  maxGasLimit(): bigint {
    let max = 0n;
    for (const f of this.flights.values()) if (f.gas > max) max = f.gas;
    return max;
  }

  ownsNonce(nonce: number): boolean {
    if (this.fillers.has(nonce)) return true;
    return this.flights.has(nonce);
  }

  ownedNonces(): number[] {
    return [...this.flights.keys(), ...this.fillers.keys()];
  }

  /** Everything below the chain's nonce is mined (or replaced by someone else): its users are free again. */
  settle(chainNonce: number, blockNumber: bigint): void {
    if (chainNonce > this.chainNonce) {
      if (this.chainNonce >= 0) this.progressBlock = blockNumber;
      this.chainNonce = chainNonce;
    }
    for (const f of [...this.flights.values()]) {
      if (f.tx.nonce < chainNonce) {
        this.remove(f);
        this.settled.push(f);
      }
    }
    for (const n of this.fillers.keys()) if (n < chainNonce) this.fillers.delete(n);
  }

  /** Outcomes of the settled transactions, from one batch of receipts. */
  async resolve(): Promise<TxOutcome[]> {
    if (this.settled.length === 0) return [];
    const settled = this.settled;
    const receipts = await fetchReceipts(
      this.o.client,
      this.o.node,
      settled.flatMap((f) => f.tx.hashes),
    );
    this.settled = [];
    const outcomes: TxOutcome[] = [];
    for (const flight of settled) {
      const { tx } = flight;
      const receipt = tx.hashes.map((h) => receipts.get(h)).find((r) => r !== undefined);
      if (!receipt && flight.receiptMisses < RECEIPT_MISSES) {
        // The nonce moved but no receipt yet: a node may serve the new state a moment before its
        // receipts (anvil under load; a load-balanced provider). Asked again next block before
        // calling it dropped.
        flight.receiptMisses++;
        this.settled.push(flight);
        continue;
      }
      if (!receipt) {
        const reason = `nonce ${tx.nonce} was used by another transaction (none of ${tx.hashes.length} hash(es) mined)`;
        this.o.log.warn({ user: usersOf(tx), nonce: tx.nonce, hashes: tx.hashes, reason }, "tx dropped");
        outcomes.push({ kind: "dropped", tx: copyTx(tx), reason });
        continue;
      }
      const hash = receipt.transactionHash;
      if (flight.cancelHashes.has(hash)) {
        this.o.log.info({ user: usersOf(tx), nonce: tx.nonce, hash, block: receipt.blockNumber }, "tx dropped (cancel mined)");
        outcomes.push({ kind: "dropped", tx: copyTx(tx), reason: `cancelled: ${flight.cancelReason ?? "would revert"}` });
        continue;
      }
      if (receipt.status === "success") {
        const items = itemOutcomes(receipt, flight.call, this.o.pool, tx.plans);
        for (const item of items) {
          const plan = item.plan;
          this.o.log.info(
            {
              user: plan.user,
              pair: pairOf(plan),
              capital: capitalOf(plan),
              hash,
              nonce: tx.nonce,
              block: receipt.blockNumber,
              gasUsed: String(receipt.gasUsed),
              effectiveGasPrice: formatGwei(receipt.effectiveGasPrice),
              batch: tx.plans.length,
              ...(item.kind === "liquidated"
                ? {
                    debtRepaid: String(item.debtRepaid),
                    collateralReceived: String(item.collateralReceived),
                    expectedDebtRepaid: String(plan.expectedDebtRepaid),
                    expectedCollateral: String(plan.expectedCollateralSeized),
                    ownerProfit: item.ownerProfit === undefined ? undefined : String(item.ownerProfit),
                    expectedOwnerProfit: plan.flashLoan ? String(plan.flashLoan.expectedProfit) : undefined,
                  }
                : { skipped: item.reason }),
              replacements: tx.replacements,
            },
            item.kind === "liquidated" ? "tx mined" : "tx mined: item skipped",
          );
        }
        outcomes.push({
          kind: "mined",
          tx: copyTx(tx),
          hash,
          blockNumber: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
          effectiveGasPrice: receipt.effectiveGasPrice,
          items,
        });
        continue;
      }
      const reason = await revertReason(this.o.client, receipt, flight.call, flight.gas, this.o.wallet);
      this.o.log.warn(
        {
          user: usersOf(tx),
          pair: pairOf(tx.plans[0]!),
          hash,
          nonce: tx.nonce,
          block: receipt.blockNumber,
          gasUsed: String(receipt.gasUsed),
          reason,
        },
        "tx reverted",
      );
      outcomes.push({ kind: "reverted", tx: copyTx(tx), hash, blockNumber: receipt.blockNumber, reason });
    }
    return outcomes;
  }

  /**
   * Transactions not mined TX_TIMEOUT_BLOCKS after they were sent and after the wallet's queue last
   * moved (one waiting behind the wallet's earlier transactions is not stuck): re-simulated at "latest"
   * (the pending state holds our own transaction, whose effect would look like a revert), then the same
   * call with higher fees, or a cancel (a 0-value self-transfer, 21k gas instead of a ~400k-gas revert)
   * when it would now revert.
   */
  async replaceStuck(blockNumber: bigint, baseFeePerGas: bigint): Promise<TxOutcome[]> {
    const waitedFrom = (sentAt: bigint) => (sentAt > this.progressBlock ? sentAt : this.progressBlock);
    const due = (sentAt: bigint) => blockNumber >= waitedFrom(sentAt) + BigInt(this.o.timeoutBlocks);
    const stuck = [...this.flights.values()].filter((f) => due(f.tx.sentAtBlock)).sort((a, b) => a.tx.nonce - b.tx.nonce);
    const fillers = [...this.fillers.values()].filter((f) => due(f.sentAtBlock));
    if (stuck.length === 0 && fillers.length === 0) return [];

    const toCheck = stuck.filter((f) => f.cancelHashes.size === 0);
    const sims = await this.o.simulator.many(
      toCheck.map((f) => f.call),
      "latest",
    );
    const cancel = new Set<Flight>(stuck.filter((f) => f.cancelHashes.size > 0));
    const keep = new Set<Flight>();
    toCheck.forEach((f, i) => {
      const sim = sims[i]!;
      const nothingLeft =
        sim.ok && f.call.flash && sim.logs !== undefined && !liquidatorOutcomes(sim.logs, f.call.to).some((o) => o.settled);
      if (nothingLeft) {
        // The Liquidator does not revert when every account was taken meanwhile: nothing of it would happen.
        cancel.add(f);
        f.cancelReason = "none of its liquidations would go through now";
      } else if (sim.ok) {
        const gas = this.o.withMargin(grossGas(f.call, sim.gas));
        if (gas > f.gas) f.gas = gas;
      } else if (sim.reverted) {
        cancel.add(f);
        f.cancelReason = sim.reason;
      } else {
        this.o.log.warn({ user: usersOf(f.tx), nonce: f.tx.nonce, reason: sim.reason }, "stuck tx: re-simulation failed; keeping it");
        keep.add(f);
      }
    });

    const sends: { nonce: number; request: TxRequest; flight?: Flight; filler?: Filler }[] = [];
    for (const flight of stuck) {
      if (keep.has(flight)) continue;
      const { tx } = flight;
      const previous = { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas };
      const fees = this.bumped(previous, baseFeePerGas, flight, usersOf(tx), tx.nonce);
      if (!fees) continue;
      const request: TxRequest = cancel.has(flight)
        ? { to: this.o.wallet, data: "0x", value: 0n, gas: CANCEL_GAS, fees }
        : { to: flight.call.to, data: flight.call.data, value: 0n, gas: flight.gas, fees };
      sends.push({ nonce: tx.nonce, request, flight });
    }
    for (const filler of fillers) {
      const fees = this.bumped(filler.fees, baseFeePerGas, undefined, undefined, filler.nonce);
      if (fees) sends.push({ nonce: filler.nonce, request: { to: this.o.wallet, data: "0x", value: 0n, gas: CANCEL_GAS, fees }, filler });
    }
    if (sends.length === 0) return [];

    const results = await this.o.sendAt(sends.map((s) => ({ nonce: s.nonce, request: s.request })));
    const outcomes: TxOutcome[] = [];
    sends.forEach((s, i) => {
      const r = results[i]!;
      if ("error" in r) {
        // underpriced: the node wants a larger bump; nonce too low: it was just mined (settled next block).
        this.o.log.warn(
          { user: s.flight ? usersOf(s.flight.tx) : undefined, nonce: s.nonce, error: r.error },
          "replacement not accepted; waiting",
        );
        return;
      }
      if (s.filler) {
        s.filler.hashes.push(r.hash);
        s.filler.fees = s.request.fees;
        s.filler.sentAtBlock = blockNumber;
        this.o.log.info({ nonce: s.nonce, hash: r.hash }, "nonce filler replaced");
        return;
      }
      const flight = s.flight!;
      const { tx } = flight;
      const isCancel = s.request.to === this.o.wallet && s.request.data === "0x";
      flight.capWarned = false;
      if (isCancel) flight.cancelHashes.add(r.hash);
      tx.hashes.push(r.hash);
      tx.hash = r.hash;
      tx.replacements += 1;
      tx.sentAtBlock = blockNumber;
      tx.maxFeePerGas = s.request.fees.maxFeePerGas;
      tx.maxPriorityFeePerGas = s.request.fees.maxPriorityFeePerGas;
      this.o.log.info(
        {
          user: usersOf(tx),
          pair: pairOf(tx.plans[0]!),
          nonce: tx.nonce,
          hash: r.hash,
          replaces: tx.hashes[tx.hashes.length - 2],
          replacements: tx.replacements,
          maxFeePerGas: formatGwei(tx.maxFeePerGas),
          maxPriorityFeePerGas: formatGwei(tx.maxPriorityFeePerGas),
          cancel: isCancel,
          reason: isCancel ? flight.cancelReason : undefined,
        },
        isCancel ? "tx replaced by a cancel" : "tx replaced",
      );
      outcomes.push({ kind: "replaced", tx: copyTx(tx), hash: r.hash });
    });
    return outcomes;
  }

  /**
   * The transactions sent behind a pending transaction that will not be mined (dropped, or replaced by
   * another at its nonce): each replaced by a cancel at once, its accounts free to be planned again
   * (a new update's backrun). A batch of them mined without the update would only have skipped items.
   */
  async cancelBackruns(update: Hex, reason: string, baseFeePerGas: bigint): Promise<TxOutcome[]> {
    const flights = [...this.flights.values()].filter((f) => f.tx.backrunOf === update && f.cancelHashes.size === 0);
    if (flights.length === 0) return [];
    const sends: { flight: Flight; request: TxRequest }[] = [];
    for (const flight of flights) {
      flight.cancelReason = reason;
      const previous = { maxFeePerGas: flight.tx.maxFeePerGas, maxPriorityFeePerGas: flight.tx.maxPriorityFeePerGas };
      const fees = this.bumped(previous, baseFeePerGas, flight, usersOf(flight.tx), flight.tx.nonce);
      if (fees) sends.push({ flight, request: { to: this.o.wallet, data: "0x", value: 0n, gas: CANCEL_GAS, fees } });
    }
    const results = await this.o.sendAt(sends.map((s) => ({ nonce: s.flight.tx.nonce, request: s.request })));
    const outcomes: TxOutcome[] = [];
    sends.forEach(({ flight, request }, i) => {
      const r = results[i]!;
      const { tx } = flight;
      if ("error" in r) {
        this.o.log.warn(
          { user: usersOf(tx), nonce: tx.nonce, error: r.error },
          "backrun cancel not accepted; its items skip what is not liquidatable",
        );
        return;
      }
      flight.cancelHashes.add(r.hash);
      tx.hashes.push(r.hash);
      tx.hash = r.hash;
      tx.replacements += 1;
      tx.maxFeePerGas = request.fees.maxFeePerGas;
      tx.maxPriorityFeePerGas = request.fees.maxPriorityFeePerGas;
      for (const p of tx.plans) if (this.byUser.get(lower(p.user)) === tx.nonce) this.byUser.delete(lower(p.user));
      this.o.log.info({ user: usersOf(tx), nonce: tx.nonce, hash: r.hash, update, reason }, "backrun replaced by a cancel");
      outcomes.push({ kind: "replaced", tx: copyTx(tx), hash: r.hash });
    });
    return outcomes;
  }

  /** Replacement fees, or undefined (logged once per incident) when none can be sent now. */
  private bumped(
    previous: Fees,
    baseFeePerGas: bigint,
    flight: Flight | undefined,
    user: string | undefined,
    nonce: number,
  ): Fees | undefined {
    const fees = replacementFees(previous, baseFeePerGas, this.o.priority, this.o.cap);
    if ("skip" in fees) {
      if (!flight?.capWarned) this.o.log.warn({ user, nonce, reason: fees.skip }, "stuck tx: cannot bump under the fee cap; waiting");
      if (flight) flight.capWarned = true;
      return undefined;
    }
    if (fees.maxFeePerGas < baseFeePerGas) {
      // Under the current base fee it cannot be included, and some nodes (anvil, reth) refuse it outright;
      // send it once the base fee is back under the cap.
      if (!flight?.capWarned) {
        this.o.log.warn(
          { user, nonce, maxFeePerGas: formatGwei(fees.maxFeePerGas), baseFee: formatGwei(baseFeePerGas) },
          "stuck tx: the fee cap is below the base fee; waiting",
        );
      }
      if (flight) flight.capWarned = true;
      return undefined;
    }
    return fees;
  }
}
