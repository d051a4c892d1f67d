// Receipts: which of the sent hashes were mined (one batched request for all of a block's), what a
// mined liquidation moved (the pool's LiquidationCall event; for a Liquidator call also the
// contract's events: each item liquidated or skipped, each loan settled with the owner's profit or
// failed) and why a mined one reverted.
import {
  decodeEventLog,
  formatTransactionReceipt,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type PublicClient,
  type RpcTransactionReceipt,
  type TransactionReceipt,
} from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import type { RpcEndpoint } from "../chain/connections.js";
import type { RpcOutcome } from "../chain/rpcBatch.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { decodeLiquidatorCall, type LiquidatorLoan, type PoolCall } from "./poolCall.js";
import type { ItemOutcome } from "./tracker.js";
import { decodeRevertData, revertOf } from "./revertReason.js";

const lower = (a: string) => a.toLowerCase();

/** The receipts that exist among `hashes` (a missing one is not mined, or not known to the node). */
export async function fetchReceipts(
  client: PublicClient,
  node: RpcEndpoint,
  hashes: readonly Hex[],
): Promise<Map<Hex, TransactionReceipt>> {
  const out = new Map<Hex, TransactionReceipt>();
  if (hashes.length === 0) return out;
  let answers: RpcOutcome<RpcTransactionReceipt | null>[] | undefined;
  if (hashes.length > 1) {
    const calls = hashes.map((h) => ({ method: "eth_getTransactionReceipt", params: [h] }));
    answers = await node.batch<RpcTransactionReceipt | null>(calls).catch(() => undefined);
  }
  if (answers?.every((a) => a.ok)) {
    answers.forEach((a, i) => {
      if (a.ok && a.result) out.set(hashes[i]!, formatTransactionReceipt(a.result));
    });
    return out;
  }
  // One request per hash: an endpoint that refuses batches, or a batch with a failed call.
  const receipts = await Promise.all(
    hashes.map((hash) =>
      client.getTransactionReceipt({ hash }).catch((err: unknown) => {
        if (err instanceof TransactionReceiptNotFoundError) return undefined;
        throw err;
      }),
    ),
  );
  receipts.forEach((r, i) => {
    if (r) out.set(hashes[i]!, r);
  });
  return out;
}

/** What a mined liquidation of `user` moved, from the pool's LiquidationCall events in the receipt. */
export function liquidationAmounts(
  receipt: TransactionReceipt,
  pool: Address,
  user: Address,
): { debtRepaid: bigint; collateralReceived: bigint } {
  let debtRepaid = 0n;
  let collateralReceived = 0n;
  for (const log of receipt.logs) {
    if (lower(log.address) !== lower(pool)) continue;
    try {
      const event = decodeEventLog({ abi: poolAbi, eventName: "LiquidationCall", data: log.data, topics: log.topics });
      if (lower(event.args.user) !== lower(user)) continue;
      debtRepaid += event.args.debtToCover;
      collateralReceived += event.args.liquidatedCollateralAmount;
    } catch {
      // another Pool event
    }
  }
  return { debtRepaid, collateralReceived };
}

/** A log as a receipt or a simulation (eth_simulateV1) gives it. */
export interface LogLike {
  address: string;
  topics: readonly Hex[];
  data: Hex;
}

/** An item of a loan that settled: the Liquidator's Liquidated or Skipped event. */
export type LiquidatorItemEvent =
  | { kind: "liquidated"; user: Address; collateralAsset: Address; debtAsset: Address; debtRepaid: bigint; collateralSeized: bigint }
  /** reason: the revert named (decodeRevertData, e.g. "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)"); reasonData: its bytes */
  | { kind: "skipped"; user: Address; debtAsset: Address; reason: string; reasonData: Hex };

/** A swap of a loan that settled: what it sold and what it got (the Liquidator's Swapped event). */
export interface LiquidatorSwapEvent {
  tokenIn: Address;
  amountIn: bigint;
  amountOut: bigint;
}

/**
 * A loan of a Liquidator call, from its events: settled (LoanSettled: the owner's profit, and its items'
 * events in order) or failed (LoanFailed: why; its items' events were reverted with it).
 */
export type LiquidatorLoanOutcome =
  | { loan: number; debtAsset: Address; settled: true; profit: bigint; items: LiquidatorItemEvent[]; swaps: LiquidatorSwapEvent[] }
  | { loan: number; debtAsset: Address; settled: false; reason: string; reasonData: Hex };

/**
 * The loans' outcomes in the logs of the Liquidator at `liquidator` (a receipt's, a simulation's, or
 * several calls' in order: a loan's item events come before its LoanSettled, so each is the loan's
 * that closes next). Logs of other contracts are ignored.
 */
export function liquidatorOutcomes(logs: readonly LogLike[], liquidator: Address): LiquidatorLoanOutcome[] {
  const outcomes: LiquidatorLoanOutcome[] = [];
  let items: LiquidatorItemEvent[] = [];
  let swaps: LiquidatorSwapEvent[] = [];
  for (const log of logs) {
    if (lower(log.address) !== lower(liquidator)) continue;
    let event: ReturnType<typeof decodeEventLog<typeof liquidatorAbi>>;
    try {
      event = decodeEventLog({ abi: liquidatorAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] });
    } catch {
      continue; // not one of its events
    }
    switch (event.eventName) {
      case "Liquidated":
        items.push({ kind: "liquidated", ...event.args });
        break;
      case "Skipped": {
        const { user, debtAsset, reason } = event.args;
        items.push({ kind: "skipped", user, debtAsset, reason: decodeRevertData(reason), reasonData: reason });
        break;
      }
      case "Swapped":
        swaps.push({ tokenIn: event.args.tokenIn, amountIn: event.args.amountIn, amountOut: event.args.amountOut });
        break;
      case "LoanSettled":
        outcomes.push({
          loan: Number(event.args.loan),
          debtAsset: event.args.debtAsset,
          settled: true,
          profit: event.args.profit,
          items,
          swaps,
        });
        items = [];
        swaps = [];
        break;
      case "LoanFailed": {
        const { loan, debtAsset, reason } = event.args;
        outcomes.push({ loan: Number(loan), debtAsset, settled: false, reason: decodeRevertData(reason), reasonData: reason });
        items = [];
        swaps = [];
        break;
      }
    }
  }
  return outcomes;
}

/** What became of one item a Liquidator call sent: its event, or its loan's failure. */
export type LiquidatorItemOutcome = { loan: number; item: number } & (
  | LiquidatorItemEvent
  | { kind: "loanFailed"; user: Address; collateralAsset: Address; debtAsset: Address; reason: string; reasonData: Hex }
  /** no event for it: the call reverted, or its logs were not among those given */
  | { kind: "unknown"; user: Address; collateralAsset: Address; debtAsset: Address }
);

/**
 * Every item of `loans` (the call's, e.g. decodeLiquidatorCall(call.data).loans) with its outcome
 * from the call's logs: a settled loan's events are its items' in order; a failed loan's items carry
 * its reason.
 */
export function liquidatorItemOutcomes(
  logs: readonly LogLike[],
  liquidator: Address,
  loans: readonly LiquidatorLoan[],
): LiquidatorItemOutcome[] {
  const byLoan = new Map(liquidatorOutcomes(logs, liquidator).map((o) => [o.loan, o]));
  return loans.flatMap((l, loan) =>
    l.items.map((it, item): LiquidatorItemOutcome => {
      const o = byLoan.get(loan);
      const sent = { loan, item, user: it.user, collateralAsset: it.collateralAsset, debtAsset: l.debtAsset };
      if (o === undefined) return { ...sent, kind: "unknown" };
      if (!o.settled) return { ...sent, kind: "loanFailed", reason: o.reason, reasonData: o.reasonData };
      const event = o.items[item];
      if (event === undefined || lower(event.user) !== lower(it.user)) return { ...sent, kind: "unknown" };
      return { loan, item, ...event };
    }),
  );
}

/**
 * What became of each plan a mined transaction carried: for a Pool.liquidationCall the pool's
 * LiquidationCall event; for a Liquidator call its events per item (liquidated, skipped, or its loan
 * failed), with each liquidated flash item's share of its loan's profit (its swap's output in
 * proportion to what it seized, less what it repaid; the shares add up to the loan's profit).
 */
export function itemOutcomes(receipt: TransactionReceipt, call: PoolCall, pool: Address, plans: readonly LiquidationPlan[]): ItemOutcome[] {
  if (!call.flash) {
    return plans.map((plan) => ({ kind: "liquidated" as const, plan, ...liquidationAmounts(receipt, pool, plan.user) }));
  }
  const { loans } = decodeLiquidatorCall(call.data);
  const byUser = new Map(plans.map((p) => [lower(p.user), p]));
  const settled = new Map(liquidatorOutcomes(receipt.logs, call.to).flatMap((o) => (o.settled ? [[o.loan, o] as const] : [])));
  const outcomes = liquidatorItemOutcomes(receipt.logs, call.to, loans);
  const shares = new Map<string, bigint>();
  for (const [loan, o] of settled) {
    const debt = loans[loan]!.debtAsset;
    const withSwap = o.swaps.length > 0 || loans[loan]!.funding === "flashLoan";
    if (!withSwap) continue;
    const liquidated = o.items.flatMap((i) => (i.kind === "liquidated" ? [i] : []));
    const gross = liquidated.map((i) => {
      if (lower(i.collateralAsset) === lower(debt)) return i.collateralSeized - i.debtRepaid;
      const swap = o.swaps.find((s) => lower(s.tokenIn) === lower(i.collateralAsset));
      const total = liquidated
        .filter((x) => lower(x.collateralAsset) === lower(i.collateralAsset))
        .reduce((t, x) => t + x.collateralSeized, 0n);
      return (swap && total > 0n ? (swap.amountOut * i.collateralSeized) / total : 0n) - i.debtRepaid;
    });
    const sum = gross.reduce((t, g) => t + (g > 0n ? g : 0n), 0n);
    let left = o.profit;
    liquidated.forEach((i, k) => {
      const share = k === liquidated.length - 1 ? left : sum > 0n && gross[k]! > 0n ? (o.profit * gross[k]!) / sum : 0n;
      left -= share;
      shares.set(lower(i.user), share);
    });
  }
  return outcomes.flatMap((o): ItemOutcome[] => {
    const plan = byUser.get(lower(o.user));
    if (!plan) return [];
    if (o.kind === "liquidated") {
      const ownerProfit = shares.get(lower(o.user));
      return [
        {
          kind: "liquidated",
          plan,
          debtRepaid: o.debtRepaid,
          collateralReceived: o.collateralSeized,
          ...(ownerProfit !== undefined && { ownerProfit }),
        },
      ];
    }
    const reason = o.kind === "unknown" ? "no event for it in the receipt" : o.reason;
    return [{ kind: "skipped", plan, reason }];
  });
}

/** Why a mined liquidation reverted: replayed at the end of its block (what changed under it). */
export async function revertReason(
  client: PublicClient,
  receipt: TransactionReceipt,
  call: PoolCall,
  gasLimit: bigint,
  from: Address | undefined,
): Promise<string> {
  if (receipt.gasUsed >= gasLimit) return "OUT_OF_GAS";
  try {
    await client.call({ account: from, to: call.to, data: call.data, blockNumber: receipt.blockNumber });
    return "reverted on chain (a replay at the end of its block succeeds)";
  } catch (err) {
    return revertOf(err).reason;
  }
}
