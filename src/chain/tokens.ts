// ERC-20 metadata read once (not on the hot path): symbols for logs and tables.
import type { Address, PublicClient } from "viem";
import { mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import { multicallOptions } from "./multicall.js";

/** Each token's symbol, or the start of its address when it has none (or answers garbage). */
export async function readSymbols(client: PublicClient, assets: readonly Address[]): Promise<string[]> {
  const symbols = await client.multicall({
    ...multicallOptions,
    contracts: assets.map((address) => ({ address, abi: mintableErc20Abi, functionName: "symbol" }) as const),
  });
  return symbols.map((s, i) => (s.status === "success" && typeof s.result === "string" ? s.result : assets[i]!.slice(0, 8)));
}
