// Options for viem's multicall through Multicall3 at its canonical address (the same on every
// chain; the sandbox installs it there).
import type { Address } from "viem";

export const MULTICALL3_ADDRESS: Address = "0xcA11bde05977b3631167028862bE2a173976CA11";

/**
 * Calldata bytes per aggregate3 call. Nodes cap eth_call gas (geth: 50M, anvil: the block gas limit,
 * 30M), and a getUserAccountData costs up to ~100k gas with many reserves; 8 KiB of calldata is
 * about 80-100 such calls, well under the cap. viem sends the chunks in parallel.
 */
export const MULTICALL_BATCH_BYTES = 8_192;

export const multicallOptions = {
  multicallAddress: MULTICALL3_ADDRESS,
  batchSize: MULTICALL_BATCH_BYTES,
} as const;

/**
 * For calls that cost a few thousand gas each (balances, configuration bitmaps): 64 KiB is ~700
 * calls, ~4M gas, still far below the caps, and ten times fewer round trips than the default.
 */
export const cheapMulticallOptions = {
  multicallAddress: MULTICALL3_ADDRESS,
  batchSize: 65_536,
} as const;
