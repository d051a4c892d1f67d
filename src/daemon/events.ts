// What the keeper does, as typed events: the stages emit them, and the log lines (report.ts), the
// stats (stats.ts), the sandbox's summary and the metrics subscribe. A subscriber that throws is
// logged by the bus, never breaks the emitter.
import type { Address, Hex } from "viem";
import type { SimulationResult } from "../executor/simulation.js";
import type { SentTx, TxOutcome } from "../executor/tracker.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import type { TxUnit } from "../scheduler/txUnit.js";
import type { BlockUpdate } from "../watcher/watcher.js";

/** A plan's fate at one stage: why it goes no further. */
export type SkipStage = "plan" | "simulation" | "send" | "chain";

export interface KeeperEvents {
  /** a block's book is current (both passes) */
  blockProcessed: { update: BlockUpdate; head: { number: bigint; timestamp: bigint; baseFeePerGas: bigint } };
  /** a liquidatable account's best plan this round, before it is sent (dry run: with its simulation) */
  opportunity: { plan: LiquidationPlan; dryRun: boolean; simulation?: SimulationResult; flashAlternative?: LiquidationPlan | string };
  /** an account under water that no capital source can liquidate, or whose plan went no further */
  skipped: { user: Address; reason: string; stage: SkipStage; plan?: LiquidationPlan };
  /** a round's transactions, as planned, before simulation */
  planned: { units: readonly TxUnit[]; blockNumber: bigint };
  /** a transaction handed to the node (the head's base fee then: the fee it is expected to pay) */
  sent: { tx: SentTx; baseFeePerGas: bigint };
  /** a mined transaction: what each of its liquidations moved (an item skipped on chain is also a `skipped` event) */
  mined: { outcome: Extract<TxOutcome, { kind: "mined" }> };
  /** a transaction that reverted on chain */
  reverted: { tx: SentTx; hash: Hex; blockNumber: bigint; reason: string };
  /** a transaction replaced at its nonce (higher fees, or a cancel) */
  replaced: { tx: SentTx; hash: Hex };
  /** a transaction whose nonce another took (a cancel, or a send the node dropped) */
  dropped: { tx: SentTx; reason: string };
}

export type KeeperEventName = keyof KeeperEvents;
type Listener<K extends KeeperEventName> = (event: KeeperEvents[K]) => void;

export class KeeperEventBus {
  private readonly listeners = new Map<KeeperEventName, Listener<never>[]>();

  constructor(private readonly onListenerError: (name: KeeperEventName, err: unknown) => void = () => undefined) {}

  on<K extends KeeperEventName>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(name, list);
    return () => {
      const at = list.indexOf(listener as Listener<never>);
      if (at >= 0) list.splice(at, 1);
    };
  }

  emit<K extends KeeperEventName>(name: K, event: KeeperEvents[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as Listener<K>)(event);
      } catch (err) {
        this.onListenerError(name, err);
      }
    }
  }
}

/** A transaction's outcome as events: mined (and each item skipped on chain), reverted, replaced, dropped. */
export function emitOutcome(events: KeeperEventBus, outcome: TxOutcome): void {
  const { tx } = outcome;
  if (outcome.kind === "mined") {
    events.emit("mined", { outcome });
    for (const item of outcome.items) {
      if (item.kind === "skipped") events.emit("skipped", { user: item.plan.user, reason: item.reason, stage: "chain", plan: item.plan });
    }
  } else if (outcome.kind === "reverted") {
    events.emit("reverted", { tx, hash: outcome.hash, blockNumber: outcome.blockNumber, reason: outcome.reason });
  } else if (outcome.kind === "replaced") events.emit("replaced", { tx, hash: outcome.hash });
  else events.emit("dropped", { tx, reason: outcome.reason });
}
