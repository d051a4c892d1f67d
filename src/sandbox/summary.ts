// What `keeper sandbox` prints: the market's reserves and the borrowers' health, read from chain.
import { createPublicClient, http, type Address } from "viem";
import { aaveOracleAbi, aTokenAbi, poolAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { WAD } from "../risk/wadRayMath.js";
import { formatFixed, formatHealthFactor } from "../util/decimal.js";
import { formatTable } from "../util/table.js";
import { multicallOptions } from "../chain/multicall.js";
import type { MarketDeployment } from "./deployMarket.js";

export interface ReserveSummary {
  symbol: string;
  decimals: number;
  price: bigint;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  /** the eMode categories the reserve counts in as collateral (3.0: the one its configuration names) */
  eModeCategories: number[];
  /** categories in whose ltvzero bitmap the reserve is (3.6) */
  ltvzeroCategories: number[];
  totalSupplied: bigint;
  totalBorrowed: bigint;
}

export interface BorrowerHealth {
  address: Address;
  totalCollateralBase: bigint;
  totalDebtBase: bigint;
  healthFactor: bigint;
}

export interface MarketSummary {
  /** "Aave V3.6" or "Aave V3.0" */
  version: string;
  poolRevision: bigint;
  reserves: ReserveSummary[];
  borrowers: BorrowerHealth[];
}

export async function readMarketSummary(market: MarketDeployment, borrowers: readonly Address[]): Promise<MarketSummary> {
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  const multicall = { allowFailure: false, ...multicallOptions } as const;
  const prices = await client.readContract({
    address: market.oracle,
    abi: aaveOracleAbi,
    functionName: "getAssetsPrices",
    args: [market.assets.map((a) => a.address)],
  });
  const totals = await client.multicall({
    ...multicall,
    contracts: market.assets.flatMap((a) => [
      { address: a.aToken, abi: aTokenAbi, functionName: "totalSupply" } as const,
      { address: a.variableDebtToken, abi: variableDebtTokenAbi, functionName: "totalSupply" } as const,
    ]),
  });
  const poolRevision = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "POOL_REVISION" });
  const reserves = market.assets.map((a, i) => ({
    symbol: a.symbol,
    decimals: a.decimals,
    price: prices[i]!,
    ltv: a.spec.ltv,
    liquidationThreshold: a.spec.liquidationThreshold,
    liquidationBonus: a.spec.liquidationBonus,
    eModeCategories:
      market.aaveVersion === "3.6"
        ? market.eModes.filter((e) => e.collateral?.includes(a.symbol)).map((e) => e.id)
        : a.spec.eModeCategory
          ? [a.spec.eModeCategory]
          : [],
    ltvzeroCategories: market.eModes.filter((e) => e.ltvzero?.includes(a.symbol)).map((e) => e.id),
    totalSupplied: totals[2 * i] as bigint,
    totalBorrowed: totals[2 * i + 1] as bigint,
  }));
  const accountData = await client.multicall({
    ...multicall,
    contracts: borrowers.map((user) => ({ address: market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }) as const),
  });
  const health = borrowers.map((address, i) => {
    const [totalCollateralBase, totalDebtBase, , , , healthFactor] = accountData[i]!;
    return { address, totalCollateralBase, totalDebtBase, healthFactor };
  });
  health.sort((a, b) => (a.healthFactor < b.healthFactor ? -1 : a.healthFactor > b.healthFactor ? 1 : 0));
  return { version: `Aave V${market.aaveVersion}`, poolRevision, reserves, borrowers: health };
}

const pct = (bps: number) => `${(bps / 100).toFixed(2)}%`;

export function formatMarketSummary(summary: MarketSummary, lowest = 10): string {
  const eModeCell = (r: ReserveSummary) =>
    r.eModeCategories.length === 0
      ? "-"
      : r.eModeCategories.map((id) => (r.ltvzeroCategories.includes(id) ? `${id} (LTV 0)` : String(id))).join(", ");
  const reserveTable = formatTable(
    ["asset", "decimals", "price (USD)", "LTV", "LT", "bonus", "eMode", "supplied (tokens)", "borrowed (tokens)"],
    summary.reserves.map((r) => [
      r.symbol,
      String(r.decimals),
      formatFixed(r.price, 8, 2),
      pct(r.ltv),
      pct(r.liquidationThreshold),
      pct(Math.max(r.liquidationBonus - 10_000, 0)),
      eModeCell(r),
      formatFixed(r.totalSupplied, r.decimals, 0),
      formatFixed(r.totalBorrowed, r.decimals, 0),
    ]),
  );
  const under = summary.borrowers.filter((b) => b.healthFactor < WAD).length;
  const borrowerTable = formatTable(
    ["borrower", "health factor", "collateral (USD)", "debt (USD)"],
    summary.borrowers
      .slice(0, lowest)
      .map((b) => [
        b.address,
        formatHealthFactor(b.healthFactor),
        formatFixed(b.totalCollateralBase, 8, 0),
        formatFixed(b.totalDebtBase, 8, 0),
      ]),
  );
  return [
    `${summary.version} market (POOL_REVISION ${summary.poolRevision})`,
    reserveTable,
    "",
    `${summary.borrowers.length} borrowers, ${under} with health factor below 1. Lowest ${Math.min(lowest, summary.borrowers.length)}:`,
    borrowerTable,
  ].join("\n");
}
