// Test-side recomputation of Aave V3.0's health factor from token balances and oracle prices at one
// block, written straight from GenericLogic.calculateUserAccountData (core-v3 1.19.3) and kept
// independent of src/risk so the two can check each other.
import type { Address, PublicClient } from "viem";
import { aaveOracleAbi, aTokenAbi, poolAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import type { MarketDeployment } from "../../src/sandbox/deployMarket.js";

const WAD = 10n ** 18n;
const percentMul = (value: bigint, bps: bigint) => (value * bps + 5_000n) / 10_000n;
const wadDiv = (a: bigint, b: bigint) => (a * WAD + b / 2n) / b;

export async function healthFactorFromBalances(
  client: PublicClient,
  market: MarketDeployment,
  user: Address,
  blockNumber: bigint,
): Promise<bigint> {
  const at = { blockNumber } as const;
  const eMode = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserEMode", args: [user], ...at });
  const category = eMode === 0n ? undefined
    : await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getEModeCategoryData", args: [Number(eMode)], ...at });
  const config = (await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserConfiguration", args: [user], ...at })).data;
  const prices = await client.readContract({
    address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetsPrices", args: [market.assets.map((a) => a.address)], ...at,
  });
  let totalCollateral = 0n;
  let totalDebt = 0n;
  let weightedThreshold = 0n;
  for (const [id, asset] of market.assets.entries()) {
    const unit = 10n ** BigInt(asset.decimals);
    const price = prices[id]!;
    if ((config >> BigInt(2 * id + 1)) & 1n) {
      const balance = await client.readContract({ address: asset.aToken, abi: aTokenAbi, functionName: "balanceOf", args: [user], ...at });
      const value = (balance * price) / unit;
      const inEMode = category !== undefined && BigInt(asset.spec.eModeCategory) === eMode;
      const threshold = BigInt(inEMode ? category.liquidationThreshold : asset.spec.liquidationThreshold);
      totalCollateral += value;
      weightedThreshold += value * threshold;
    }
    if ((config >> BigInt(2 * id)) & 1n) {
      const debt = await client.readContract({ address: asset.variableDebtToken, abi: variableDebtTokenAbi, functionName: "balanceOf", args: [user], ...at });
      totalDebt += (debt * price) / unit;
    }
  }
  if (totalDebt === 0n) return 2n ** 256n - 1n;
  const averageThreshold = totalCollateral === 0n ? 0n : weightedThreshold / totalCollateral;
  return wadDiv(percentMul(totalCollateral, averageThreshold), totalDebt);
}

export async function onChainHealthFactor(client: PublicClient, market: MarketDeployment, user: Address, blockNumber: bigint) {
  const data = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [user], blockNumber });
  return data[5];
}
