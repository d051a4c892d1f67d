// What a pending transaction would do to the market's prices, known by running it, not by decoding
// it: one eth_simulateV1 at the head, the pending transaction first (from its own sender, unvalidated),
// then AaveOracle.getAssetsPrices of every reserve and eMode price source. Whatever the transaction
// is (a Chainlink transmit, a source replacement, a CAPO update, something unrelated to prices), the
// answer is the prices the next block would read if it were mined first.
import { decodeFunctionResult, encodeFunctionData, type Address, type Hex } from "viem";
import { aaveOracleAbi } from "../../contracts-abi/aave/index.js";
import type { RpcEndpoint } from "../chain/connections.js";
import type { PendingTx } from "../chain/pendingTransactions.js";
import { firstLine } from "../errors.js";

export type PendingPrices = { ok: true; prices: bigint[] } | { ok: false; reason: string };

/** The prices of `assets` after `tx`, simulated on top of block `at` at timestamp `time`. */
export async function pricesAfter(
  node: RpcEndpoint,
  tx: PendingTx,
  oracle: Address,
  assets: readonly Address[],
  at: bigint,
  time: bigint,
): Promise<PendingPrices> {
  if (tx.to === null) return { ok: false, reason: "a contract creation" };
  const read = encodeFunctionData({ abi: aaveOracleAbi, functionName: "getAssetsPrices", args: [[...assets]] });
  const payload = {
    blockStateCalls: [
      {
        blockOverrides: { time: `0x${time.toString(16)}` },
        calls: [
          { from: tx.from, to: tx.to, data: tx.input, value: `0x${tx.value.toString(16)}`, gas: `0x${tx.gas.toString(16)}` },
          { to: oracle, data: read },
        ],
      },
    ],
    validation: false,
  };
  type Answer = { calls: { status: Hex; returnData: Hex; error?: { message?: string } }[] }[];
  let answer: Answer;
  try {
    answer = await node.request<Answer>("eth_simulateV1", [payload, `0x${at.toString(16)}`], { timeoutMs: 10_000 });
  } catch (err) {
    return { ok: false, reason: `eth_simulateV1 failed: ${firstLine(err)}` };
  }
  const calls = answer?.[0]?.calls;
  if (!Array.isArray(calls) || calls.length !== 2) return { ok: false, reason: "eth_simulateV1 answered no result for the two calls" };
  if (calls[0]!.status !== "0x1")
    return { ok: false, reason: `the pending transaction reverts (${calls[0]!.error?.message ?? "no reason"})` };
  if (calls[1]!.status !== "0x1") return { ok: false, reason: "getAssetsPrices reverts after it" };
  try {
    const prices = decodeFunctionResult({ abi: aaveOracleAbi, functionName: "getAssetsPrices", data: calls[1]!.returnData });
    if (prices.length !== assets.length)
      return { ok: false, reason: `getAssetsPrices answered ${prices.length} prices for ${assets.length} assets` };
    return { ok: true, prices: [...prices] };
  } catch (err) {
    return { ok: false, reason: `getAssetsPrices answered garbage: ${firstLine(err)}` };
  }
}
