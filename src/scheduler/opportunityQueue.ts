// The work queue between the scheduler and the executor: p-queue ordered by expected profit,
// bounded concurrency, and at most one entry per account. A newer plan for an account that is still
// waiting replaces the old one (and its priority); an account whose liquidation is being executed
// is not queued again. When its turn comes, the account is re-planned from the latest state, so a
// stale opportunity (the account changed while it waited) is never executed as planned.
import PQueue from "p-queue";
import type { Address } from "viem";
import type { LiquidationPlan } from "./plan.js";

export interface OpportunityQueueOptions {
  concurrency: number;
  /** plan again from the latest state; undefined = no longer worth liquidating */
  replan: (user: Address, stale: LiquidationPlan) => LiquidationPlan | undefined;
  execute: (plan: LiquidationPlan) => Promise<void>;
  /** called when a task throws (the queue keeps going) */
  onError: (err: unknown, plan: LiquidationPlan) => void;
}

export type OfferResult = "queued" | "updated" | "busy";

/** p-queue priorities are numbers: cents of expected profit, clamped to a safe integer. */
function priorityOf(plan: LiquidationPlan): number {
  const cents = plan.expectedProfitBase / 1_000_000n; // base currency has 8 decimals
  return Number(cents > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : cents);
}

export class OpportunityQueue {
  private readonly queue: PQueue;
  private readonly waiting = new Map<string, LiquidationPlan>();
  private readonly running = new Set<string>();

  constructor(private readonly options: OpportunityQueueOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency });
  }

  offer(plan: LiquidationPlan): OfferResult {
    const key = plan.user.toLowerCase();
    if (this.running.has(key)) return "busy";
    if (this.waiting.has(key)) {
      this.waiting.set(key, plan);
      this.queue.setPriority(key, priorityOf(plan));
      return "updated";
    }
    this.waiting.set(key, plan);
    void this.queue.add(() => this.run(key), { priority: priorityOf(plan), id: key });
    return "queued";
  }

  /** accounts waiting or being executed */
  has(user: Address): boolean {
    const key = user.toLowerCase();
    return this.waiting.has(key) || this.running.has(key);
  }

  get size(): number {
    return this.waiting.size + this.running.size;
  }

  /** Stops taking work: drops what waits, lets what runs finish. */
  close(): void {
    this.queue.pause();
    this.queue.clear();
    this.waiting.clear();
  }

  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  private async run(key: string): Promise<void> {
    const stale = this.waiting.get(key);
    if (!stale) return;
    this.waiting.delete(key);
    this.running.add(key);
    try {
      const fresh = this.options.replan(stale.user, stale);
      if (fresh) await this.options.execute(fresh);
    } catch (err) {
      this.options.onError(err, stale);
    } finally {
      this.running.delete(key);
    }
  }
}
