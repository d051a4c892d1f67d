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
import { fetchReceipts, liquidationAmounts, liquidatorProfit, revertReason } from "./receipts.js";
import type { TxRequest } from "./sender.js";
import { grossGas, type Simulator } from "./simulation.js";

export interface SentTx {
  hash: Hex;
  nonce: number;
  plan: LiquidationPlan;
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
}

export type TxOutcome =
  | {
      kind: "mined";
      tx: SentTx;
      hash: Hex;
      blockNumber: bigint;
      gasUsed: bigint;
      effectiveGasPrice: bigint;
      /** from the pool's LiquidationCall event (for a flash liquidation, the collateral went to the contract and was swapped) */
      debtRepaid: bigint;
      collateralReceived: bigint;
      /** flash liquidations only: the debt-asset units the Liquidator sent its owner (its Liquidated event) */
      ownerProfit?: bigint;
    }
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
  return { ...tx, hashes: [...tx.hashes] };
}

export class Tracker {
  private readonly flights = new Map<string, Flight>();
  private readonly fillers = new Map<number, Filler>();
  /** mined (nonce below the chain's) and waiting for their receipts */
  private settled: Flight[] = [];
  private chainNonce = -1;
  /** the last block in which the chain's nonce of the wallet moved */
  private progressBlock = 0n;

  constructor(private readonly o: TrackerOptions) {}

  add(flight: Flight): void {
    this.flights.set(lower(flight.tx.plan.user), flight);
  }

  addFiller(nonce: number, hash: Hex, fees: Fees, blockNumber: bigint): void {
    this.fillers.set(nonce, { nonce, hashes: [hash], fees, sentAtBlock: blockNumber });
  }

  has(user: Address): boolean {
    return this.flights.has(lower(user));
  }

  get(user: Address): Flight | undefined {
    return this.flights.get(lower(user));
  }

  /** transactions not yet resolved: in flight, mined awaiting their receipt, nonce fillers */
  get size(): number {
    return this.flights.size + this.settled.length + this.fillers.size;
  }

  list(): SentTx[] {
    return [...this.flights.values()].map((f) => copyTx(f.tx));
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
    for (const f of this.flights.values()) if (f.tx.nonce === nonce) return true;
    return false;
  }

  ownedNonces(): number[] {
    return [...[...this.flights.values()].map((f) => f.tx.nonce), ...this.fillers.keys()];
  }

  /** Everything below the chain's nonce is mined (or replaced by someone else): its users are free again. */
  settle(chainNonce: number, blockNumber: bigint): void {
    if (chainNonce > this.chainNonce) {
      if (this.chainNonce >= 0) this.progressBlock = blockNumber;
      this.chainNonce = chainNonce;
    }
    for (const [key, f] of this.flights) {
      if (f.tx.nonce < chainNonce) {
        this.flights.delete(key);
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
        this.o.log.warn({ user: tx.plan.user, nonce: tx.nonce, hashes: tx.hashes, reason }, "tx dropped");
        outcomes.push({ kind: "dropped", tx: copyTx(tx), reason });
        continue;
      }
      const hash = receipt.transactionHash;
      if (flight.cancelHashes.has(hash)) {
        this.o.log.info({ user: tx.plan.user, nonce: tx.nonce, hash, block: receipt.blockNumber }, "tx dropped (cancel mined)");
        outcomes.push({ kind: "dropped", tx: copyTx(tx), reason: `cancelled: ${flight.cancelReason ?? "would revert"}` });
        continue;
      }
      if (receipt.status === "success") {
        const { debtRepaid, collateralReceived } = liquidationAmounts(receipt, this.o.pool, tx.plan.user);
        // A flash liquidation's call goes to the Liquidator, which emits the owner's profit.
        const flash = capitalOf(tx.plan) === "flashLoan";
        const ownerProfit = flash ? liquidatorProfit(receipt, flight.call.to, tx.plan.user) : undefined;
        this.o.log.info(
          {
            user: tx.plan.user,
            pair: pairOf(tx.plan),
            capital: capitalOf(tx.plan),
            hash,
            nonce: tx.nonce,
            block: receipt.blockNumber,
            gasUsed: String(receipt.gasUsed),
            effectiveGasPrice: formatGwei(receipt.effectiveGasPrice),
            debtRepaid: String(debtRepaid),
            collateralReceived: String(collateralReceived),
            expectedDebtRepaid: String(tx.plan.expectedDebtRepaid),
            expectedCollateral: String(tx.plan.expectedCollateralSeized),
            ownerProfit: ownerProfit === undefined ? undefined : String(ownerProfit),
            expectedOwnerProfit: flash ? String(tx.plan.flashLoan?.expectedProfit) : undefined,
            replacements: tx.replacements,
          },
          "tx mined",
        );
        outcomes.push({
          kind: "mined",
          tx: copyTx(tx),
          hash,
          blockNumber: receipt.blockNumber,
          gasUsed: receipt.gasUsed,
          effectiveGasPrice: receipt.effectiveGasPrice,
          debtRepaid,
          collateralReceived,
          ...(flash ? { ownerProfit } : {}),
        });
        continue;
      }
      const reason = await revertReason(this.o.client, receipt, flight.call, flight.gas, this.o.wallet);
      this.o.log.warn(
        {
          user: tx.plan.user,
          pair: pairOf(tx.plan),
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
      if (sim.ok) {
        const gas = this.o.withMargin(grossGas(f.call, sim.gas));
        if (gas > f.gas) f.gas = gas;
      } else if (sim.reverted) {
        cancel.add(f);
        f.cancelReason = sim.reason;
      } else {
        this.o.log.warn({ user: f.tx.plan.user, nonce: f.tx.nonce, reason: sim.reason }, "stuck tx: re-simulation failed; keeping it");
        keep.add(f);
      }
    });

    const sends: { nonce: number; request: TxRequest; flight?: Flight; filler?: Filler }[] = [];
    for (const flight of stuck) {
      if (keep.has(flight)) continue;
      const { tx } = flight;
      const previous = { maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas };
      const fees = this.bumped(previous, baseFeePerGas, flight, tx.plan.user, tx.nonce);
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
        this.o.log.warn({ user: s.flight?.tx.plan.user, nonce: s.nonce, error: r.error }, "replacement not accepted; waiting");
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
          user: tx.plan.user,
          pair: pairOf(tx.plan),
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

  /** Replacement fees, or undefined (logged once per incident) when none can be sent now. */
  private bumped(
    previous: Fees,
    baseFeePerGas: bigint,
    flight: Flight | undefined,
    user: Address | undefined,
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
