// eth_getLogs over a block range in adaptive chunks: halve the range when the node refuses it (too
// many results, range too large, timeout), grow it again while answers come back fast.
import type { Address, Hex, Log, PublicClient } from "viem";

export interface LogFilter {
  addresses: Address[];
  topics: Hex[];
}

export interface ChunkSizer {
  size: bigint;
  readonly min: bigint;
  /** grows down to below the smallest range the node refused: its limit is stable, so don't probe it again */
  max: bigint;
}

export function chunkSizer(initial: number, max = 100_000): ChunkSizer {
  return { size: BigInt(Math.max(1, initial)), min: 1n, max: BigInt(max) };
}

/** A chunk answered faster than this (and not near the node's result cap) doubles the next one. */
const FAST_MS = 1_000;
const GROW_BELOW_LOGS = 5_000;

/** Messages nodes and providers use when a range is too big (geth, erigon, alchemy, infura, quicknode, anvil). */
const RANGE_REFUSED = /range|too many|limit|exceed|too large|query returned more than|response size|timeout|timed out|block range/i;

export function isRangeRefusal(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const message = (e as { details?: string; message?: string }).details ?? (e as Error).message ?? "";
    if (RANGE_REFUSED.test(message)) return true;
  }
  return false;
}

/**
 * Yields the logs of [fromBlock, toBlock] chunk by chunk, in order; each chunk says where it ends so
 * the caller can checkpoint after it. Errors that are not range refusals are thrown to the caller
 * (its retry policy decides); a refusal at a single block is thrown too.
 */
export async function* fetchLogsInChunks(
  client: PublicClient,
  filter: LogFilter,
  fromBlock: bigint,
  toBlock: bigint,
  sizer: ChunkSizer,
): AsyncGenerator<{ fromBlock: bigint; toBlock: bigint; logs: Log[] }> {
  let start = fromBlock;
  while (start <= toBlock) {
    const end = start + sizer.size - 1n < toBlock ? start + sizer.size - 1n : toBlock;
    const began = performance.now();
    let logs: Log[];
    try {
      logs = await getLogs(client, filter, start, end);
    } catch (err) {
      if (isRangeRefusal(err) && end > start) {
        const half = (end - start + 1n) / 2n;
        sizer.size = half > sizer.min ? half : sizer.min;
        if (sizer.size < sizer.max) sizer.max = sizer.size;
        continue;
      }
      throw err;
    }
    if (performance.now() - began < FAST_MS && logs.length < GROW_BELOW_LOGS && sizer.size < sizer.max) {
      sizer.size = sizer.size * 2n > sizer.max ? sizer.max : sizer.size * 2n;
    }
    yield { fromBlock: start, toBlock: end, logs };
    start = end + 1n;
  }
}

export async function getLogs(client: PublicClient, filter: LogFilter, fromBlock: bigint, toBlock: bigint): Promise<Log[]> {
  // Raw request: viem's getLogs wants a single event ABI for typed topics; one topic0 list is what we need.
  const logs = await client.request({
    method: "eth_getLogs",
    params: [
      {
        address: filter.addresses,
        topics: [filter.topics],
        fromBlock: `0x${fromBlock.toString(16)}`,
        toBlock: `0x${toBlock.toString(16)}`,
      },
    ],
  });
  return (logs as unknown as RawLog[]).map(formatLog);
}

interface RawLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  transactionIndex: Hex;
  logIndex: Hex;
  removed?: boolean;
}

function formatLog(raw: RawLog): Log {
  return {
    address: raw.address,
    topics: raw.topics as [Hex, ...Hex[]],
    data: raw.data,
    blockNumber: BigInt(raw.blockNumber),
    blockHash: raw.blockHash,
    transactionHash: raw.transactionHash,
    transactionIndex: Number(raw.transactionIndex),
    logIndex: Number(raw.logIndex),
    removed: raw.removed ?? false,
  };
}
