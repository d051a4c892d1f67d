// The contracts a price update of the market is sent to: the AaveOracle (setAssetSources), each
// reserve's source (getSourceOfAsset) and what stands behind it, two levels deep: a Chainlink proxy's
// aggregator (where the report's `transmit` goes), a CAPO adapter's feeds and ratio provider, and
// their aggregators. A pending transaction to one of them may move a price; which ones do is found by
// simulation (watcher/pendingPrices.ts), not from this list.
import { zeroAddress, type Address, type PublicClient } from "viem";
import { aaveOracleAbi } from "../../contracts-abi/aave/index.js";
import { capoAdapterAbi, feedProxyAbi } from "../../contracts-abi/chainlink/index.js";
import { cheapMulticallOptions } from "../chain/multicall.js";

const BEHIND = [
  { abi: feedProxyAbi, functionName: "aggregator" },
  { abi: capoAdapterAbi, functionName: "BASE_TO_USD_AGGREGATOR" },
  { abi: capoAdapterAbi, functionName: "ASSET_TO_USD_AGGREGATOR" },
  { abi: capoAdapterAbi, functionName: "RATIO_PROVIDER" },
] as const;

/** Lower-case addresses a price update may be sent to: the oracle, the sources, what stands behind them. */
export async function readWatchedOracles(
  client: PublicClient,
  oracle: Address,
  assets: readonly Address[],
  blockNumber?: bigint,
): Promise<Set<string>> {
  const at = blockNumber === undefined ? {} : { blockNumber };
  const sources = await client.multicall({
    ...cheapMulticallOptions,
    ...at,
    allowFailure: true,
    contracts: assets.map((asset) => ({ address: oracle, abi: aaveOracleAbi, functionName: "getSourceOfAsset", args: [asset] }) as const),
  });
  const watched = new Set<string>([oracle.toLowerCase()]);
  let level = addAll(
    watched,
    sources.map((s) => (s.status === "success" ? s.result : undefined)),
  );
  for (let depth = 0; depth < 2 && level.length > 0; depth++) {
    const calls = level.flatMap((address) => BEHIND.map((b) => ({ address, abi: b.abi, functionName: b.functionName }) as const));
    const behind = (await client.multicall({ ...cheapMulticallOptions, ...at, allowFailure: true, contracts: calls as never[] })) as {
      status: "success" | "failure";
      result?: unknown;
    }[];
    level = addAll(
      watched,
      behind.map((r) => (r.status === "success" && typeof r.result === "string" ? (r.result as Address) : undefined)),
    );
  }
  return watched;
}

/** Adds the non-zero addresses not yet in `watched`; returns those added. */
function addAll(watched: Set<string>, addresses: readonly (Address | undefined)[]): Address[] {
  const added: Address[] = [];
  for (const a of addresses) {
    if (a === undefined || a === zeroAddress) continue;
    const key = a.toLowerCase();
    if (watched.has(key)) continue;
    watched.add(key);
    added.push(a);
  }
  return added;
}
