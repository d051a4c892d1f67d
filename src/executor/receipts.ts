// Receipts: which of the sent hashes were mined (one batched request for all of a block's), what a
// mined liquidation moved (the pool's LiquidationCall event; for a flash liquidation also the
// Liquidator's Liquidated event: the profit its owner received) and why a mined one reverted.
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
import type { PoolCall } from "./poolCall.js";
import { revertOf } from "./revertReason.js";

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

/**
 * The profit (debt-asset units) the Liquidator at `liquidator` sent its owner for liquidating `user`:
 * its Liquidated events in the receipt (one per liquidation of the user in the call).
 */
export function liquidatorProfit(receipt: TransactionReceipt, liquidator: Address, user: Address): bigint {
  let profit = 0n;
  for (const log of receipt.logs) {
    if (lower(log.address) !== lower(liquidator)) continue;
    try {
      const event = decodeEventLog({ abi: liquidatorAbi, eventName: "Liquidated", data: log.data, topics: log.topics });
      if (lower(event.args.user) === lower(user)) profit += event.args.profit;
    } catch {
      // not a Liquidated event
    }
  }
  return profit;
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
