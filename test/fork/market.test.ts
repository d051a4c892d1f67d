// The deployed market is the real Aave market of each version, configured as the spec says: every
// reserve's getReserveData, the oracle, eMode, the data providers and Multicall3, read back from
// chain. On 3.6 also the eMode bitmaps, the flash-loan premium and how the LT-0 reserve and the
// LTV-zero asset behave for a user.
import { beforeAll, describe, expect, it } from "vitest";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  encodeFunctionData,
  http,
  maxUint256,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import {
  aaveOracleAbi,
  aaveProtocolDataProviderAbi,
  mintableErc20Abi,
  poolAbi,
  poolAddressesProviderAbi,
  uiPoolDataProviderV3Abi,
} from "../../contracts-abi/aave/index.js";
import { aaveV36ErrorsAbi, poolV36Abi, uiPoolDataProviderV3V36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { multicall3Abi } from "../../contracts-abi/sandbox/Multicall3.js";
import { deployMarket, MULTICALL3_ADDRESS, type MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { AAVE_VERSIONS, FLASH_LOAN_PREMIUM_V36, sandboxSpec } from "../../src/sandbox/marketSpec.js";
import { rpc } from "../../src/chain/rpc.js";
import { useAnvil } from "../helpers/anvil.js";

const RAY = 10n ** 27n;
const bits = (data: bigint, from: number, width: number) => Number((data >> BigInt(from)) & ((1n << BigInt(width)) - 1n));

describe.each(AAVE_VERSIONS)("sandbox market deployment, Aave %s", (version) => {
  const spec = sandboxSpec(version);
  const pool36 = version === "3.6";
  let market: MarketDeployment;
  let client: PublicClient;
  let deployMs: number;

  beforeAll(async () => {
    const anvil = await useAnvil();
    const started = performance.now();
    market = await deployMarket(anvil.rpcUrl, { aave: version });
    deployMs = performance.now() - started;
    client = createPublicClient({ transport: http(anvil.rpcUrl) });
  });

  it("deploys in seconds", () => {
    console.log(`Aave ${version} market deployed in ${Math.round(deployMs)} ms`);
    expect(market.aaveVersion).toBe(version);
    expect(market.assets).toHaveLength(spec.assets.length);
  });

  it("wires the addresses provider to pool, configurator, oracle, ACL manager and data provider", async () => {
    const read = (functionName: "getPool" | "getPoolConfigurator" | "getPriceOracle" | "getACLManager" | "getPoolDataProvider") =>
      client.readContract({ address: market.addressesProvider, abi: poolAddressesProviderAbi, functionName });
    expect(await read("getPool")).toBe(market.pool);
    expect(await read("getPoolConfigurator")).toBe(market.poolConfigurator);
    expect((await read("getPriceOracle")).toLowerCase()).toBe(market.oracle.toLowerCase());
    expect((await read("getACLManager")).toLowerCase()).toBe(market.aclManager.toLowerCase());
    expect((await read("getPoolDataProvider")).toLowerCase()).toBe(market.protocolDataProvider.toLowerCase());
    expect(await client.readContract({ address: market.pool, abi: poolAbi, functionName: "POOL_REVISION" })).toBe(pool36 ? 10n : 1n);
  });

  it("lists every reserve with the configured parameters in getReserveData", async () => {
    const list = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getReservesList" });
    expect(list).toEqual(market.assets.map((a) => a.address));
    const decimalsSeen = new Set<number>();
    for (const [id, asset] of market.assets.entries()) {
      const s = spec.assets[id]!;
      const data = await client.readContract({
        address: market.pool,
        abi: pool36 ? poolV36Abi : poolAbi,
        functionName: "getReserveData",
        args: [asset.address],
      });
      const config = data.configuration.data;
      expect(data.id).toBe(id);
      expect(bits(config, 0, 16)).toBe(s.ltv);
      expect(bits(config, 16, 16)).toBe(s.liquidationThreshold);
      expect(bits(config, 32, 16)).toBe(s.liquidationBonus);
      expect(bits(config, 48, 8)).toBe(s.decimals);
      expect(bits(config, 56, 1)).toBe(1); // active
      expect(bits(config, 57, 1)).toBe(0); // not frozen
      expect(bits(config, 58, 1)).toBe(s.borrowingEnabled === false ? 0 : 1);
      expect(bits(config, 60, 1)).toBe(0); // not paused
      expect(bits(config, 64, 16)).toBe(s.reserveFactor);
      expect(bits(config, 152, 16)).toBe(s.liquidationProtocolFee);
      // 3.0 names the eMode category in the reserve; 3.2+ leaves those bits unused (bitmaps instead).
      expect(bits(config, 168, 8)).toBe(pool36 ? 0 : s.eModeCategory);
      expect(data.aTokenAddress).toBe(asset.aToken);
      expect(data.variableDebtTokenAddress).toBe(asset.variableDebtToken);
      expect(data.stableDebtTokenAddress).toBe(asset.stableDebtToken);
      if (pool36) expect(asset.stableDebtToken).toBe(zeroAddress);
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
      address: market.oracle,
      abi: aaveOracleAbi,
      functionName: "getAssetsPrices",
      args: [market.assets.map((a) => a.address)],
    });
    expect(prices).toEqual(spec.assets.map((a) => a.priceUsd));
    expect(await client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "BASE_CURRENCY_UNIT" })).toBe(10n ** 8n);
    for (const asset of market.assets) {
      const source = await client.readContract({
        address: market.oracle,
        abi: aaveOracleAbi,
        functionName: "getSourceOfAsset",
        args: [asset.address],
      });
      expect(source.toLowerCase()).toBe(asset.priceFeed.toLowerCase());
    }
  });

  it("has the eMode categories of the spec", async () => {
    for (const eMode of spec.eModes) {
      const data = await client.readContract({
        address: market.pool,
        abi: poolAbi,
        functionName: "getEModeCategoryData",
        args: [eMode.id],
      });
      expect(data.ltv).toBe(eMode.ltv);
      expect(data.liquidationThreshold).toBe(eMode.liquidationThreshold);
      expect(data.liquidationBonus).toBe(eMode.liquidationBonus);
      expect(data.label).toBe(eMode.label);
    }
    if (!pool36) expect(market.assets.filter((a) => a.spec.eModeCategory === 1).length).toBeGreaterThanOrEqual(2);
  });

  it.runIf(pool36)("3.6: sets each category's collateral, borrowable and ltvzero bitmaps by reserve id", async () => {
    const bitmap = (symbols: readonly string[] | undefined) =>
      market.assets.reduce((map, a, id) => (symbols?.includes(a.symbol) ? map | (1n << BigInt(id)) : map), 0n);
    const read = (
      functionName: "getEModeCategoryCollateralBitmap" | "getEModeCategoryBorrowableBitmap" | "getEModeCategoryLtvzeroBitmap",
      id: number,
    ) => client.readContract({ address: market.pool, abi: poolV36Abi, functionName, args: [id] });
    expect(spec.eModes.map((e) => e.id)).toEqual([1, 2]);
    for (const eMode of spec.eModes) {
      expect(await read("getEModeCategoryCollateralBitmap", eMode.id)).toBe(bitmap(eMode.collateral));
      expect(await read("getEModeCategoryBorrowableBitmap", eMode.id)).toBe(bitmap(eMode.borrowable));
      expect(await read("getEModeCategoryLtvzeroBitmap", eMode.id)).toBe(bitmap(eMode.ltvzero));
      const config = await client.readContract({
        address: market.pool,
        abi: poolV36Abi,
        functionName: "getEModeCategoryCollateralConfig",
        args: [eMode.id],
      });
      expect(config).toEqual({
        ltv: eMode.ltv,
        liquidationThreshold: eMode.liquidationThreshold,
        liquidationBonus: eMode.liquidationBonus,
      });
    }
    // The ETH-correlated category holds an LTV-zero asset; one reserve has LT 0 and is in it.
    const eth = spec.eModes.find((e) => e.id === 2)!;
    expect(eth.ltvzero?.length).toBeGreaterThan(0);
    const ltZero = spec.assets.filter((a) => a.liquidationThreshold === 0).map((a) => a.symbol);
    expect(ltZero).toEqual(["wstETH"]);
    expect(eth.collateral).toContain("wstETH");
    expect(await client.readContract({ address: market.pool, abi: poolV36Abi, functionName: "FLASHLOAN_PREMIUM_TOTAL" })).toBe(
      FLASH_LOAN_PREMIUM_V36,
    );
  });

  it("serves the data providers and Multicall3 at its canonical address", async () => {
    const tokens = await client.readContract({
      address: market.protocolDataProvider,
      abi: aaveProtocolDataProviderAbi,
      functionName: "getAllReservesTokens",
    });
    expect(tokens.map((t) => t.symbol)).toEqual(spec.assets.map((a) => a.symbol));
    const [reserves, base] = pool36
      ? await client.readContract({
          address: market.uiPoolDataProvider,
          abi: uiPoolDataProviderV3V36Abi,
          functionName: "getReservesData",
          args: [market.addressesProvider],
        })
      : await client.readContract({
          address: market.uiPoolDataProvider,
          abi: uiPoolDataProviderV3Abi,
          functionName: "getReservesData",
          args: [market.addressesProvider],
        });
    expect(reserves.map((r) => r.symbol)).toEqual(spec.assets.map((a) => a.symbol));
    expect(base.marketReferenceCurrencyUnit).toBe(10n ** 8n);
    expect(base.networkBaseTokenPriceInUsd).toBe(spec.assets.find((a) => a.symbol === "WETH")!.priceUsd);
    const blockNumber = await client.readContract({ address: MULTICALL3_ADDRESS, abi: multicall3Abi, functionName: "getBlockNumber" });
    expect(blockNumber).toBe(await client.getBlockNumber());
  });

  it("seeded liquidity in every reserve", async () => {
    for (const asset of market.assets) {
      const data = await client.readContract({
        address: market.protocolDataProvider,
        abi: aaveProtocolDataProviderAbi,
        functionName: "getReserveData",
        args: [asset.address],
      });
      const totalAToken = data[2];
      const expected = (asset.spec.seedLiquidityUsd * 10n ** 8n * 10n ** BigInt(asset.decimals)) / asset.spec.priceUsd;
      expect(totalAToken).toBe(expected);
    }
  });

  // Last: it changes balances the tests above read.
  it.runIf(pool36)("3.6: the LT-0 reserve is collateral only inside its eMode; the LTV-zero asset cannot be enabled there", async () => {
    const user: Address = "0x00000000000000000000000000000000000b0b36";
    const url = market.rpcUrl;
    const asset = (symbol: string) => market.assets.find((a) => a.symbol === symbol)!;
    const wstEth = asset("wstETH");
    const weEth = asset("weETH");
    await rpc(url, "anvil_setBalance", [user, "0x3635c9adc5dea00000"]);
    await rpc(url, "anvil_impersonateAccount", [user]);
    const send = async (to: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
      const hash = await rpc<Hex>(url, "eth_sendTransaction", [
        { from: user, to, gas: "0x2dc6c0", data: encodeFunctionData({ abi, functionName, args }) },
      ]);
      return client.waitForTransactionReceipt({ hash });
    };
    const simulateRevert = async (functionName: string, args: readonly unknown[]) => {
      try {
        // The libraries' custom errors are not all in the Pool's ABI: decode with all of them.
        const abi = [...poolV36Abi, ...aaveV36ErrorsAbi];
        await client.simulateContract({ account: user, address: market.pool, abi, functionName, args } as never);
      } catch (err) {
        const revert = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
        return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : String(err);
      }
      return "no revert";
    };
    const collateralBit = async (id: number) =>
      ((await client.readContract({ address: market.pool, abi: poolV36Abi, functionName: "getUserConfiguration", args: [user] })).data >>
        BigInt(2 * id + 1)) &
      1n;
    const wstId = market.assets.indexOf(wstEth);
    const weId = market.assets.indexOf(weEth);
    for (const a of [wstEth, weEth]) {
      await send(a.address, mintableErc20Abi, "mint", [10n ** 20n]);
      await send(a.address, mintableErc20Abi, "approve", [market.pool, maxUint256]);
    }
    // Outside eMode wstETH has LTV 0: supplied, it is not collateral, and cannot be made so.
    await send(market.pool, poolV36Abi, "supply", [wstEth.address, 10n ** 18n, user, 0]);
    expect(await collateralBit(wstId)).toBe(0n);
    expect(await simulateRevert("setUserUseReserveAsCollateral", [wstEth.address, true])).toBe("UserInIsolationModeOrLtvZero");
    // Inside the ETH-correlated category it takes the category's LTV: it can be enabled, and counts
    // in the account's collateral although the reserve's LT is 0.
    await send(market.pool, poolV36Abi, "setUserEMode", [2]);
    await send(market.pool, poolV36Abi, "setUserUseReserveAsCollateral", [wstEth.address, true]);
    expect(await collateralBit(wstId)).toBe(1n);
    const [collateral, , , threshold] = await client.readContract({
      address: market.pool,
      abi: poolV36Abi,
      functionName: "getUserAccountData",
      args: [user],
    });
    expect(collateral).toBe(3600n * 10n ** 8n);
    expect(threshold).toBe(9500n);
    // Leaving the category would leave an LTV-0 collateral behind: 3.6 refuses.
    expect(await simulateRevert("setUserEMode", [0])).toBe("InvalidCollateralInEmode");
    // weETH is in the category's ltvzero bitmap: supplying it does not enable it, nor can the user.
    await send(market.pool, poolV36Abi, "supply", [weEth.address, 10n ** 18n, user, 0]);
    expect(await collateralBit(weId)).toBe(0n);
    expect(await simulateRevert("setUserUseReserveAsCollateral", [weEth.address, true])).toBe("UserInIsolationModeOrLtvZero");
    await rpc(url, "anvil_stopImpersonatingAccount", [user]);
  });
});
