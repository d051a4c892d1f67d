// Test-side recomputation of the health factor from token balances and oracle prices at one block,
// written straight from GenericLogic.calculateUserAccountData (Aave 3.0: core-v3 1.19.3; Aave 3.6:
// aave-v3-origin 3.6.0) and kept independent of src/risk so the two can check each other.
import type { Address, PublicClient } from "viem";
import { aaveOracleAbi, aTokenAbi, poolAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
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
  if (market.aaveVersion === "3.6") return healthFactorFromBalancesV36(client, market, user, blockNumber);
  const at = { blockNumber } as const;
  const eMode = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserEMode", args: [user], ...at });
  const category =
    eMode === 0n
      ? undefined
      : await client.readContract({
          address: market.pool,
          abi: poolAbi,
          functionName: "getEModeCategoryData",
          args: [Number(eMode)],
          ...at,
        });
  const config = (
    await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserConfiguration", args: [user], ...at })
  ).data;
  const prices = await client.readContract({
    address: market.oracle,
    abi: aaveOracleAbi,
    functionName: "getAssetsPrices",
    args: [market.assets.map((a) => a.address)],
    ...at,
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
      const debt = await client.readContract({
        address: asset.variableDebtToken,
        abi: variableDebtTokenAbi,
        functionName: "balanceOf",
        args: [user],
        ...at,
      });
      totalDebt += (debt * price) / unit;
    }
  }
  if (totalDebt === 0n) return 2n ** 256n - 1n;
  const averageThreshold = totalCollateral === 0n ? 0n : weightedThreshold / totalCollateral;
  return wadDiv(percentMul(totalCollateral, averageThreshold), totalDebt);
}

/**
 * 3.6: balances round down (aToken) and up (debt, also in base currency); an LT-0 reserve still
 * counts in the collateral; the eMode LT applies to the category's collateral bitmap; and the HF
 * divides the sum of value x LT directly (no truncated average).
 */
async function healthFactorFromBalancesV36(
  client: PublicClient,
  market: MarketDeployment,
  user: Address,
  blockNumber: bigint,
): Promise<bigint> {
  const at = { blockNumber } as const;
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    client.readContract({ address: market.pool, abi: poolV36Abi, functionName, args, ...at } as never) as Promise<T>;
  const eMode = Number(await read<bigint>("getUserEMode", [user]));
  const eModeBitmap = eMode === 0 ? 0n : await read<bigint>("getEModeCategoryCollateralBitmap", [eMode]);
  const eModeConfig = eMode === 0 ? undefined : await read<{ liquidationThreshold: number }>("getEModeCategoryCollateralConfig", [eMode]);
  const eModeLt = BigInt(eModeConfig?.liquidationThreshold ?? 0);
  const config = (await read<{ data: bigint }>("getUserConfiguration", [user])).data;
  const prices = await client.readContract({
    address: market.oracle,
    abi: aaveOracleAbi,
    functionName: "getAssetsPrices",
    args: [market.assets.map((a) => a.address)],
    ...at,
  });
  let totalDebt = 0n;
  let weightedThreshold = 0n;
  for (const [id, asset] of market.assets.entries()) {
    const unit = 10n ** BigInt(asset.decimals);
    const price = prices[id]!;
    if ((config >> BigInt(2 * id + 1)) & 1n) {
      const balance = await client.readContract({ address: asset.aToken, abi: aTokenAbi, functionName: "balanceOf", args: [user], ...at });
      const inEMode = eMode !== 0 && ((eModeBitmap >> BigInt(id)) & 1n) === 1n;
      weightedThreshold += ((balance * price) / unit) * (inEMode ? eModeLt : BigInt(asset.spec.liquidationThreshold));
    }
    if ((config >> BigInt(2 * id)) & 1n) {
      const debt = await client.readContract({
        address: asset.variableDebtToken,
        abi: variableDebtTokenAbi,
        functionName: "balanceOf",
        args: [user],
        ...at,
      });
      totalDebt += (debt * price + unit - 1n) / unit;
    }
  }
  if (totalDebt === 0n) return 2n ** 256n - 1n;
  return wadDiv(weightedThreshold, totalDebt) / 10_000n;
}

export async function onChainHealthFactor(client: PublicClient, market: MarketDeployment, user: Address, blockNumber: bigint) {
  const data = await client.readContract({
    address: market.pool,
    abi: poolAbi,
    functionName: "getUserAccountData",
    args: [user],
    blockNumber,
  });
  return data[5];
}
