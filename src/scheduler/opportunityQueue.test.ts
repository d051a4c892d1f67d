import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { OpportunityQueue } from "./opportunityQueue.js";
import type { LiquidationPlan } from "./plan.js";

const user = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;
const plan = (n: number, profitUsd: number, debtToCover = 1n): LiquidationPlan => ({
  user: user(n), collateralAsset: user(1000), collateralReserveId: 0, debtAsset: user(1001), debtReserveId: 1,
  debtToCover, expectedDebtRepaid: debtToCover, expectedCollateralSeized: 0n, expectedProtocolFee: 0n, receiveAToken: false,
  debtValueBase: 0n, collateralValueBase: 0n, gasCostBase: 0n, swapCostBase: 0n,
  expectedProfitBase: BigInt(Math.round(profitUsd * 1e8)), healthFactor: 0n, timestamp: 0n, blockNumber: 0n,
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("OpportunityQueue", () => {
  it("runs the most profitable first, one account at a time, re-planned when its turn comes", async () => {
    const started: string[] = [];
    const g = gate();
    const replanned: bigint[] = [];
    const q = new OpportunityQueue({
      concurrency: 1,
      replan: (_u, stale) => {
        replanned.push(stale.debtToCover);
        return stale;
      },
      execute: async (p) => {
        started.push(p.user);
        if (p.user === user(1)) await g.opened; // hold the first so the rest queue up
      },
      onError: (err) => { throw err; },
    });
    expect(q.offer(plan(1, 5))).toBe("queued");
    await new Promise((r) => setTimeout(r, 5));
    expect(q.offer(plan(1, 50))).toBe("busy"); // being executed: not queued again
    expect(q.offer(plan(2, 10))).toBe("queued");
    expect(q.offer(plan(3, 300))).toBe("queued");
    expect(q.offer(plan(4, 20))).toBe("queued");
    expect(q.offer(plan(2, 1000, 7n))).toBe("updated"); // the newer plan replaces the old, and its priority
    expect(q.size).toBe(4);
    g.open();
    await q.onIdle();
    expect(started).toEqual([user(1), user(2), user(3), user(4)]);
    expect(replanned).toEqual([1n, 7n, 1n, 1n]);
    expect(q.size).toBe(0);
  });

  it("skips an account that is no longer worth it, reports errors and keeps going, drops waiting work on close", async () => {
    const executed: string[] = [];
    const errors: string[] = [];
    const g = gate();
    const q = new OpportunityQueue({
      concurrency: 1,
      replan: (u, stale) => (u === user(2) ? undefined : stale),
      execute: async (p) => {
        if (p.user === user(1)) await g.opened;
        if (p.user === user(3)) throw new Error("boom");
        executed.push(p.user);
      },
      onError: (err, p) => errors.push(`${p.user}: ${(err as Error).message}`),
    });
    q.offer(plan(1, 1));
    await new Promise((r) => setTimeout(r, 5));
    q.offer(plan(2, 3));
    q.offer(plan(3, 2));
    g.open();
    await q.onIdle();
    expect(executed).toEqual([user(1)]);
    expect(errors).toEqual([`${user(3)}: boom`]);

    const h = gate();
    const q2 = new OpportunityQueue({ concurrency: 1, replan: (_u, s) => s, execute: async () => h.opened, onError: () => {} });
    q2.offer(plan(5, 1));
    q2.offer(plan(6, 1));
    q2.close();
    expect(q2.has(user(6))).toBe(false);
    h.open();
  });
});
