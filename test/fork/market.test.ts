// The deployed market is the real Aave V3.0 market, configured as the spec says: every reserve's
// getReserveData, the oracle, eMode, the data providers and Multicall3, read back from chain.
import { beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type PublicClient } from "viem";
import {
  aaveOracleAbi,
  aaveProtocolDataProviderAbi,
  poolAbi,
  poolAddressesProviderAbi,
  uiPoolDataProviderV3Abi,
} from "../../contracts-abi/aave/index.js";
import { multicall3Abi } from "../../contracts-abi/sandbox/Multicall3.js";
import { deployMarket, MULTICALL3_ADDRESS, type MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { SANDBOX_ASSETS, SANDBOX_EMODES } from "../../src/sandbox/marketSpec.js";
import { useAnvil } from "../helpers/anvil.js";

const RAY = 10n ** 27n;
const bits = (data: bigint, from: number, width: number) => Number((data >> BigInt(from)) & ((1n << BigInt(width)) - 1n));

describe("sandbox market deployment", () => {
  let market: MarketDeployment;
  let client: PublicClient;
  let deployMs: number;

  beforeAll(async () => {
    const anvil = await useAnvil();
    const started = performance.now();
    market = await deployMarket(anvil.rpcUrl);
    deployMs = performance.now() - started;
    client = createPublicClient({ transport: http(anvil.rpcUrl) });
  });

  it("deploys in seconds", () => {
    console.log(`market deployed in ${Math.round(deployMs)} ms`);
    expect(market.assets).toHaveLength(SANDBOX_ASSETS.length);
  });

  it("wires the addresses provider to pool, configurator, oracle, ACL manager and data provider", async () => {
    const read = (functionName: "getPool" | "getPoolConfigurator" | "getPriceOracle" | "getACLManager" | "getPoolDataProvider") =>
      client.readContract({ address: market.addressesProvider, abi: poolAddressesProviderAbi, functionName });
    expect(await read("getPool")).toBe(market.pool);
    expect(await read("getPoolConfigurator")).toBe(market.poolConfigurator);
    expect((await read("getPriceOracle")).toLowerCase()).toBe(market.oracle.toLowerCase());
    expect((await read("getACLManager")).toLowerCase()).toBe(market.aclManager.toLowerCase());
    expect((await read("getPoolDataProvider")).toLowerCase()).toBe(market.protocolDataProvider.toLowerCase());
    expect(await client.readContract({ address: market.pool, abi: poolAbi, functionName: "POOL_REVISION" })).toBe(1n);
  });

  it("lists every reserve with the configured parameters in getReserveData", async () => {
    const list = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getReservesList" });
    expect(list).toEqual(market.assets.map((a) => a.address));
    const decimalsSeen = new Set<number>();
    for (const [id, asset] of market.assets.entries()) {
      const spec = SANDBOX_ASSETS[id]!;
      const data = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getReserveData", args: [asset.address] });
      const config = data.configuration.data;
      expect(data.id).toBe(id);
      expect(bits(config, 0, 16)).toBe(spec.ltv);
      expect(bits(config, 16, 16)).toBe(spec.liquidationThreshold);
      expect(bits(config, 32, 16)).toBe(spec.liquidationBonus);
      expect(bits(config, 48, 8)).toBe(spec.decimals);
      expect(bits(config, 56, 1)).toBe(1); // active
      expect(bits(config, 57, 1)).toBe(0); // not frozen
      expect(bits(config, 58, 1)).toBe(1); // borrowing enabled
      expect(bits(config, 60, 1)).toBe(0); // not paused
      expect(bits(config, 64, 16)).toBe(spec.reserveFactor);
      expect(bits(config, 152, 16)).toBe(spec.liquidationProtocolFee);
      expect(bits(config, 168, 8)).toBe(spec.eModeCategory);
      expect(data.aTokenAddress).toBe(asset.aToken);
      expect(data.variableDebtTokenAddress).toBe(asset.variableDebtToken);
      expect(data.stableDebtTokenAddress).toBe(asset.stableDebtToken);
      expect(data.interestRateStrategyAddress.toLowerCase()).toBe(asset.interestRateStrategy.toLowerCase());
      // Seeded liquidity was supplied, so the indexes exist (they start at 1 ray).
      expect(data.liquidityIndex).toBeGreaterThanOrEqual(RAY);
      expect(data.variableBorrowIndex).toBeGreaterThanOrEqual(RAY);
      expect(data.lastUpdateTimestamp).toBeGreaterThan(0);
      decimalsSeen.add(asset.decimals);
    }
    expect([...decimalsSeen].sort((a, b) => a - b)).toEqual([6, 8, 18]);
  });

  it("prices every asset through AaveOracle in USD with 8 decimals", async () => {
    const prices = await client.readContract({
      address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetsPrices", args: [market.assets.map((a) => a.address)],
    });
    expect(prices).toEqual(SANDBOX_ASSETS.map((a) => a.priceUsd));
    expect(await client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "BASE_CURRENCY_UNIT" })).toBe(10n ** 8n);
    for (const asset of market.assets) {
      const source = await client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getSourceOfAsset", args: [asset.address] });
      expect(source.toLowerCase()).toBe(asset.priceFeed.toLowerCase());
    }
  });

  it("has the stablecoin eMode category", async () => {
    for (const eMode of SANDBOX_EMODES) {
      const data = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getEModeCategoryData", args: [eMode.id] });
      expect(data.ltv).toBe(eMode.ltv);
      expect(data.liquidationThreshold).toBe(eMode.liquidationThreshold);
      expect(data.liquidationBonus).toBe(eMode.liquidationBonus);
      expect(data.label).toBe(eMode.label);
    }
    expect(market.assets.filter((a) => a.spec.eModeCategory === 1).length).toBeGreaterThanOrEqual(2);
  });

  it("serves the data providers and Multicall3 at its canonical address", async () => {
    const tokens = await client.readContract({ address: market.protocolDataProvider, abi: aaveProtocolDataProviderAbi, functionName: "getAllReservesTokens" });
    expect(tokens.map((t) => t.symbol)).toEqual(SANDBOX_ASSETS.map((a) => a.symbol));
    const [reserves, base] = await client.readContract({
      address: market.uiPoolDataProvider, abi: uiPoolDataProviderV3Abi, functionName: "getReservesData", args: [market.addressesProvider],
    });
    expect(reserves.map((r) => r.symbol)).toEqual(SANDBOX_ASSETS.map((a) => a.symbol));
    expect(base.marketReferenceCurrencyUnit).toBe(10n ** 8n);
    expect(base.networkBaseTokenPriceInUsd).toBe(SANDBOX_ASSETS.find((a) => a.symbol === "WETH")!.priceUsd);
    const blockNumber = await client.readContract({ address: MULTICALL3_ADDRESS, abi: multicall3Abi, functionName: "getBlockNumber" });
    expect(blockNumber).toBe(await client.getBlockNumber());
  });

  it("seeded liquidity in every reserve", async () => {
    for (const asset of market.assets) {
      const data = await client.readContract({
        address: market.protocolDataProvider, abi: aaveProtocolDataProviderAbi, functionName: "getReserveData", args: [asset.address],
      });
      const totalAToken = data[2];
      const expected = (asset.spec.seedLiquidityUsd * 10n ** 8n * 10n ** BigInt(asset.decimals)) / asset.spec.priceUsd;
      expect(totalAToken).toBe(expected);
    }
  });
});
