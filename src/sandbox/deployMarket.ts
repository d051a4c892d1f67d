// Deploys a complete Aave V3 market on a running anvil, the way Aave's own deploy scripts wire it,
// then seeds liquidity: Aave 3.0 (the compiled contracts of @aave/core-v3 and @aave/periphery-v3)
// or Aave 3.6 (contracts-abi/aave-v3.6, built from @aave-dao/aave-v3-origin; the order of
// its src/deployments procedures). Used by the tests and by `keeper sandbox` alike.
import {
  createTestClient,
  createPublicClient,
  encodeAbiParameters,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  http,
  maxUint256,
  zeroAddress,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { MULTICALL3_ADDRESS } from "../chain/multicall.js";
import { sendUnlocked } from "./sendUnlocked.js";
import { loadArtifact, loadArtifactV36, linkBytecode, type ArtifactName, type ArtifactNameV36 } from "./artifacts.js";
import { FLASH_LOAN_PREMIUM_V36, USD_PRICE, sandboxSpec, type AaveVersion, type AssetSpec, type EModeSpec } from "./marketSpec.js";
import { aclManagerAbi, mintableErc20Abi, poolAbi, poolAddressesProviderAbi, poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";
import type { UniswapDeployment } from "./uniswap.js";
import { aclManagerV36Abi, poolAddressesProviderV36Abi, poolConfiguratorV36Abi, poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { sandboxPriceFeedAbi, sandboxPriceFeedBytecode } from "../../contracts-abi/sandbox/SandboxPriceFeed.js";
import { multicall3DeployedBytecode } from "../../contracts-abi/sandbox/Multicall3.js";

export { MULTICALL3_ADDRESS };

/** anvil's first two dev accounts (mnemonic "test test ... junk"): unlocked on every anvil. */
export const DEV_ACCOUNTS = {
  deployer: getAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
  liquidityProvider: getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"),
} as const satisfies Record<string, Address>;

export interface DeployedAsset {
  symbol: string;
  name: string;
  decimals: number;
  address: Address;
  priceFeed: Address;
  aToken: Address;
  variableDebtToken: Address;
  /** the zero address on 3.6 (stable debt was removed in 3.2) */
  stableDebtToken: Address;
  interestRateStrategy: Address;
  spec: AssetSpec;
}

export interface MarketDeployment {
  /** which Aave the market runs: 3.0 (POOL_REVISION 1) or 3.6 (POOL_REVISION 10) */
  aaveVersion: AaveVersion;
  chainId: number;
  rpcUrl: string;
  deployer: Address;
  /** block in which the addresses provider was deployed: where an indexer starts */
  deploymentBlock: bigint;
  addressesProvider: Address;
  pool: Address;
  poolConfigurator: Address;
  aclManager: Address;
  oracle: Address;
  protocolDataProvider: Address;
  uiPoolDataProvider: Address;
  multicall3: Address;
  treasury: Address;
  usdFeed: Address;
  assets: DeployedAsset[];
  eModes: EModeSpec[];
  /** the sandbox's Uniswap V3, once deployUniswap has run; price moves then move its pools too */
  uniswap?: UniswapDeployment;
}

export interface DeployMarketOptions {
  /** default "3.0" (the keeper daemon runs on it today); `keeper sandbox` asks for "3.6" */
  aave?: AaveVersion;
  /** default: the version's sandbox spec (marketSpec.ts) */
  assets?: readonly AssetSpec[];
  eModes?: readonly EModeSpec[];
  /** supply each asset's seedLiquidityUsd from the liquidity provider (default true) */
  seedLiquidity?: boolean;
  /**
   * Reserves whose flash loaning stays off, by symbol (false: every reserve's). Default: on for all.
   * Off is what initReserves leaves (configuration bit 63 clear), as on a market whose admin never
   * called setReserveFlashLoaning: a flash loan of it reverts with FlashloanDisabled().
   */
  flashLoaning?: false | readonly string[];
}

/** Whether `symbol`'s reserve gets setReserveFlashLoaning(true) under DeployMarketOptions.flashLoaning. */
function flashLoaningOn(flashLoaning: DeployMarketOptions["flashLoaning"], symbol: string): boolean {
  return flashLoaning === undefined ? true : flashLoaning === false ? false : !flashLoaning.includes(symbol);
}

/** Sends transactions from an unlocked account and insists that each one succeeds. */
class Deployer {
  constructor(
    readonly rpcUrl: string,
    readonly from: Address,
  ) {}

  async deploy(abi: Abi, bytecode: Hex, args: readonly unknown[] = []): Promise<Address> {
    const data = encodeDeployData({ abi, bytecode, args });
    const receipt = await this.sendRaw({ data });
    if (!receipt.contractAddress) throw new Error("deployment receipt has no contract address");
    return getAddress(receipt.contractAddress);
  }

  async deployArtifact(name: ArtifactName, args: readonly unknown[] = [], libraries: Record<string, Address> = {}) {
    const artifact = loadArtifact(name);
    return this.deploy(artifact.abi, linkBytecode(artifact, libraries), args);
  }

  async deployArtifactV36(name: ArtifactNameV36, args: readonly unknown[] = [], libraries: Record<string, Address> = {}) {
    const artifact = loadArtifactV36(name);
    return this.deploy(artifact.abi, linkBytecode(artifact, libraries), args);
  }

  async write(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = [], from = this.from) {
    const data = encodeFunctionData({ abi, functionName, args });
    return this.sendRaw({ to, data }, from, `${functionName} on ${to}`);
  }

  private sendRaw(tx: { to?: Address; data: Hex }, from = this.from, what = "deployment") {
    // 30M gas, always explicit: the Pool and the reserve initialisations are large, and an estimate
    // can fall short on 3.6 (EIP-150's 63/64 rule in nested calls).
    return sendUnlocked(this.rpcUrl, from, { ...tx, gas: "0x1c9c380" }, what);
  }
}

/** What both versions' deployments share: the chain, the admin, the tokens and their feeds. */
interface DeployContext {
  d: Deployer;
  publicClient: ReturnType<typeof createPublicClient>;
  admin: Address;
  assets: readonly AssetSpec[];
  eModes: readonly EModeSpec[];
  treasury: Address;
  flashLoaning: DeployMarketOptions["flashLoaning"];
}

/** The version-specific part of a deployment: everything but the chain facts and the seeding. */
type CoreDeployment = Omit<
  MarketDeployment,
  "aaveVersion" | "chainId" | "rpcUrl" | "deployer" | "deploymentBlock" | "multicall3" | "treasury" | "eModes"
>;

export async function deployMarket(rpcUrl: string, options: DeployMarketOptions = {}): Promise<MarketDeployment> {
  const aaveVersion = options.aave ?? "3.0";
  const spec = sandboxSpec(aaveVersion);
  const assets = options.assets ?? spec.assets;
  const eModes = options.eModes ?? spec.eModes;
  const unknown = options.flashLoaning ? options.flashLoaning.filter((s) => !assets.some((a) => a.symbol === s)) : [];
  if (unknown.length > 0) throw new Error(`flashLoaning names ${unknown.join(", ")}, not an asset of the market`);
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport, pollingInterval: 20 });
  const testClient = createTestClient({ mode: "anvil", transport });
  const admin = DEV_ACCOUNTS.deployer;
  const d = new Deployer(rpcUrl, admin);
  const chainId = await publicClient.getChainId();
  const treasury: Address = "0x000000000000000000000000000000000000dEaD";

  // Multicall3 lives at the same address on every chain; install its runtime code there.
  await testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: multicall3DeployedBytecode });

  const deploymentBlock = (await publicClient.getBlockNumber()) + 1n;
  const context: DeployContext = { d, publicClient, admin, assets, eModes, treasury, flashLoaning: options.flashLoaning };
  const core = aaveVersion === "3.6" ? await deployCoreV36(context) : await deployCoreV30(context);

  if (options.seedLiquidity ?? true) {
    const lp = DEV_ACCOUNTS.liquidityProvider;
    for (const asset of core.assets) {
      const amount = (asset.spec.seedLiquidityUsd * 10n ** 8n * 10n ** BigInt(asset.decimals)) / asset.spec.priceUsd;
      await d.write(asset.address, mintableErc20Abi as Abi, "mint", [lp, amount]);
      await d.write(asset.address, mintableErc20Abi as Abi, "approve", [core.pool, maxUint256], lp);
      await d.write(core.pool, poolAbi as Abi, "supply", [asset.address, amount, lp, 0], lp);
    }
  }

  return {
    aaveVersion,
    chainId,
    rpcUrl,
    deployer: admin,
    deploymentBlock,
    multicall3: MULTICALL3_ADDRESS,
    treasury,
    ...core,
    eModes: [...eModes],
  };
}

/** Tokens and their Chainlink-style feeds (8 decimals, USD), as on mainnet; plus a USD/USD feed. */
async function deployTokensAndFeeds(c: DeployContext, deployToken: (asset: AssetSpec) => Promise<Address>) {
  const feedAbi = sandboxPriceFeedAbi as Abi;
  const tokens: Address[] = [];
  const feeds: Address[] = [];
  for (const asset of c.assets) {
    tokens.push(await deployToken(asset));
    feeds.push(await c.d.deploy(feedAbi, sandboxPriceFeedBytecode, [asset.priceUsd, `${asset.symbol} / USD`]));
  }
  const usdFeed = await c.d.deploy(feedAbi, sandboxPriceFeedBytecode, [USD_PRICE, "USD / USD"]);
  const ethIndex = c.assets.findIndex((a) => a.symbol === "WETH");
  return { tokens, feeds, usdFeed, ethFeed: feeds[ethIndex] ?? usdFeed };
}

async function deployCoreV30(c: DeployContext): Promise<CoreDeployment> {
  const { d, publicClient, admin, assets, eModes, treasury } = c;
  const provider = await d.deployArtifact("PoolAddressesProvider", ["Keeper Sandbox Market", admin]);
  const providerAbi = poolAddressesProviderAbi as Abi;
  await d.write(provider, providerAbi, "setACLAdmin", [admin]);
  const aclManager = await d.deployArtifact("ACLManager", [provider]);
  await d.write(provider, providerAbi, "setACLManager", [aclManager]);
  for (const role of ["addPoolAdmin", "addEmergencyAdmin", "addRiskAdmin", "addAssetListingAdmin"]) {
    await d.write(aclManager, aclManagerAbi as Abi, role, [admin]);
  }

  const libraries: Record<string, Address> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "EModeLogic", "BridgeLogic", "PoolLogic"] as const) {
    libraries[name] = await d.deployArtifact(name);
  }
  // FlashLoanLogic calls into BorrowLogic, so it is linked against it.
  libraries.FlashLoanLogic = await d.deployArtifact("FlashLoanLogic", [], libraries);
  const poolImpl = await d.deployArtifact("Pool", [provider], libraries);
  await d.write(provider, providerAbi, "setPoolImpl", [poolImpl]);
  const pool = (await publicClient.readContract({ address: provider, abi: poolAddressesProviderAbi, functionName: "getPool" })) as Address;

  const configuratorLogic = await d.deployArtifact("ConfiguratorLogic");
  const configuratorImpl = await d.deployArtifact("PoolConfigurator", [], { ConfiguratorLogic: configuratorLogic });
  await d.write(provider, providerAbi, "setPoolConfiguratorImpl", [configuratorImpl]);
  const poolConfigurator = (await publicClient.readContract({
    address: provider,
    abi: poolAddressesProviderAbi,
    functionName: "getPoolConfigurator",
  })) as Address;

  const protocolDataProvider = await d.deployArtifact("AaveProtocolDataProvider", [provider]);
  await d.write(provider, providerAbi, "setPoolDataProvider", [protocolDataProvider]);

  const { tokens, feeds, usdFeed, ethFeed } = await deployTokensAndFeeds(c, (asset) =>
    d.deployArtifact("MintableERC20", [asset.name, asset.symbol, asset.decimals]),
  );
  const oracle = await d.deployArtifact("AaveOracle", [provider, tokens, feeds, zeroAddress, zeroAddress, 10n ** 8n]);
  await d.write(provider, providerAbi, "setPriceOracle", [oracle]);

  const uiPoolDataProvider = await d.deployArtifact("UiPoolDataProviderV3", [ethFeed, usdFeed]);

  const aTokenImpl = await d.deployArtifact("AToken", [pool]);
  const stableDebtImpl = await d.deployArtifact("StableDebtToken", [pool]);
  const variableDebtImpl = await d.deployArtifact("VariableDebtToken", [pool]);

  const configurator = poolConfiguratorAbi as Abi;
  const deployed: DeployedAsset[] = [];
  for (const [i, asset] of assets.entries()) {
    const token = tokens[i]!;
    const r = asset.rates;
    // 3.0 strategy: stable-rate parameters are required even though the sandbox disables stable borrowing.
    const strategy = await d.deployArtifact("DefaultReserveInterestRateStrategy", [
      provider,
      r.optimalUsageRatio,
      r.baseVariableBorrowRate,
      r.variableRateSlope1,
      r.variableRateSlope2,
      0n,
      0n,
      0n,
      0n,
      0n,
    ]);
    await d.write(poolConfigurator, configurator, "initReserves", [
      [
        {
          aTokenImpl,
          stableDebtTokenImpl: stableDebtImpl,
          variableDebtTokenImpl: variableDebtImpl,
          underlyingAssetDecimals: asset.decimals,
          interestRateStrategyAddress: strategy,
          underlyingAsset: token,
          treasury,
          incentivesController: zeroAddress,
          aTokenName: `Aave Sandbox ${asset.symbol}`,
          aTokenSymbol: `aSbx${asset.symbol}`,
          variableDebtTokenName: `Aave Sandbox Variable Debt ${asset.symbol}`,
          variableDebtTokenSymbol: `variableDebtSbx${asset.symbol}`,
          stableDebtTokenName: `Aave Sandbox Stable Debt ${asset.symbol}`,
          stableDebtTokenSymbol: `stableDebtSbx${asset.symbol}`,
          params: "0x",
        },
      ],
    ]);
    await d.write(poolConfigurator, configurator, "configureReserveAsCollateral", [
      token,
      BigInt(asset.ltv),
      BigInt(asset.liquidationThreshold),
      BigInt(asset.liquidationBonus),
    ]);
    await d.write(poolConfigurator, configurator, "setReserveBorrowing", [token, true]);
    await d.write(poolConfigurator, configurator, "setReserveFactor", [token, BigInt(asset.reserveFactor)]);
    await d.write(poolConfigurator, configurator, "setLiquidationProtocolFee", [token, BigInt(asset.liquidationProtocolFee)]);
    if (flashLoaningOn(c.flashLoaning, asset.symbol)) {
      await d.write(poolConfigurator, configurator, "setReserveFlashLoaning", [token, true]);
    }
    const reserve = await publicClient.readContract({ address: pool, abi: poolAbi, functionName: "getReserveData", args: [token] });
    deployed.push({
      symbol: asset.symbol,
      name: asset.name,
      decimals: asset.decimals,
      address: token,
      priceFeed: feeds[i]!,
      aToken: reserve.aTokenAddress,
      variableDebtToken: reserve.variableDebtTokenAddress,
      stableDebtToken: reserve.stableDebtTokenAddress,
      interestRateStrategy: strategy,
      spec: asset,
    });
  }

  for (const eMode of eModes) {
    await d.write(poolConfigurator, configurator, "setEModeCategory", [
      eMode.id,
      eMode.ltv,
      eMode.liquidationThreshold,
      eMode.liquidationBonus,
      zeroAddress,
      eMode.label,
    ]);
    for (const asset of deployed.filter((a) => a.spec.eModeCategory === eMode.id)) {
      await d.write(poolConfigurator, configurator, "setAssetEModeCategory", [asset.address, eMode.id]);
    }
  }

  return {
    addressesProvider: provider,
    pool,
    poolConfigurator,
    aclManager,
    oracle,
    protocolDataProvider,
    uiPoolDataProvider,
    usdFeed,
    assets: deployed,
  };
}

/** InterestRateData of DefaultReserveInterestRateStrategyV2: basis points, abi-encoded for initReserves. */
function interestRateDataV36(asset: AssetSpec): Hex {
  const bps = (ray: bigint) => Number((ray * 10_000n) / 10n ** 27n);
  return encodeAbiParameters(
    [
      {
        type: "tuple",
        components: [
          { name: "optimalUsageRatio", type: "uint16" },
          { name: "baseVariableBorrowRate", type: "uint32" },
          { name: "variableRateSlope1", type: "uint32" },
          { name: "variableRateSlope2", type: "uint32" },
        ],
      },
    ],
    [
      {
        optimalUsageRatio: bps(asset.rates.optimalUsageRatio),
        baseVariableBorrowRate: bps(asset.rates.baseVariableBorrowRate),
        variableRateSlope1: bps(asset.rates.variableRateSlope1),
        variableRateSlope2: bps(asset.rates.variableRateSlope2),
      },
    ],
  );
}

async function deployCoreV36(c: DeployContext): Promise<CoreDeployment> {
  const { d, publicClient, admin, assets, eModes, treasury } = c;
  const providerAbi = poolAddressesProviderV36Abi as Abi;
  const configurator = poolConfiguratorV36Abi as Abi;

  // Libraries first: PoolInstance links five of them, FlashLoanLogic links BorrowLogic.
  const libraries: Record<string, Address> = {};
  for (const name of ["SupplyLogic", "BorrowLogic", "LiquidationLogic", "PoolLogic"] as const) {
    libraries[name] = await d.deployArtifactV36(name);
  }
  libraries.FlashLoanLogic = await d.deployArtifactV36("FlashLoanLogic", [], libraries);
  const configuratorLogic = await d.deployArtifactV36("ConfiguratorLogic");

  const provider = await d.deployArtifactV36("PoolAddressesProvider", ["Keeper Sandbox Market", admin]);
  await d.write(provider, providerAbi, "setACLAdmin", [admin]);
  const aclManager = await d.deployArtifactV36("ACLManager", [provider]);
  await d.write(provider, providerAbi, "setACLManager", [aclManager]);
  for (const role of ["addPoolAdmin", "addEmergencyAdmin", "addRiskAdmin", "addAssetListingAdmin"]) {
    await d.write(aclManager, aclManagerV36Abi as Abi, role, [admin]);
  }

  // One rate strategy for the whole market; each reserve's curve is set through initReserves.
  const strategy = await d.deployArtifactV36("DefaultReserveInterestRateStrategyV2", [provider]);
  const poolImpl = await d.deployArtifactV36("PoolInstance", [provider, strategy], libraries);
  await d.write(provider, providerAbi, "setPoolImpl", [poolImpl]);
  const pool = await publicClient.readContract({ address: provider, abi: poolAddressesProviderV36Abi, functionName: "getPool" });
  const configuratorImpl = await d.deployArtifactV36("PoolConfiguratorInstance", [], { ConfiguratorLogic: configuratorLogic });
  await d.write(provider, providerAbi, "setPoolConfiguratorImpl", [configuratorImpl]);
  const poolConfigurator = await publicClient.readContract({
    address: provider,
    abi: poolAddressesProviderV36Abi,
    functionName: "getPoolConfigurator",
  });
  await d.write(poolConfigurator, configurator, "updateFlashloanPremium", [FLASH_LOAN_PREMIUM_V36]);

  const protocolDataProvider = await d.deployArtifactV36("AaveProtocolDataProvider", [provider]);
  await d.write(provider, providerAbi, "setPoolDataProvider", [protocolDataProvider]);

  const { tokens, feeds, usdFeed, ethFeed } = await deployTokensAndFeeds(c, (asset) =>
    d.deployArtifactV36("MintableERC20", [asset.name, asset.symbol, asset.decimals]),
  );
  const oracle = await d.deployArtifactV36("AaveOracle", [provider, tokens, feeds, zeroAddress, zeroAddress, 10n ** 8n]);
  await d.write(provider, providerAbi, "setPriceOracle", [oracle]);
  const uiPoolDataProvider = await d.deployArtifactV36("UiPoolDataProviderV3", [ethFeed, usdFeed]);

  // 3.6 token implementations carry the pool (and the aToken the treasury) as immutables.
  const aTokenImpl = await d.deployArtifactV36("ATokenInstance", [pool, zeroAddress, treasury]);
  const variableDebtImpl = await d.deployArtifactV36("VariableDebtTokenInstance", [pool, zeroAddress]);

  const deployed: DeployedAsset[] = [];
  for (const [i, asset] of assets.entries()) {
    const token = tokens[i]!;
    await d.write(poolConfigurator, configurator, "initReserves", [
      [
        {
          aTokenImpl,
          variableDebtTokenImpl: variableDebtImpl,
          underlyingAsset: token,
          aTokenName: `Aave Sandbox ${asset.symbol}`,
          aTokenSymbol: `aSbx${asset.symbol}`,
          variableDebtTokenName: `Aave Sandbox Variable Debt ${asset.symbol}`,
          variableDebtTokenSymbol: `variableDebtSbx${asset.symbol}`,
          params: "0x",
          interestRateData: interestRateDataV36(asset),
        },
      ],
    ]);
    // A reserve starts with LTV, LT and bonus 0. Leaving it so is the only way to an LT-0 reserve:
    // setting LT 0 later requires that nobody supplies it (PoolConfigurator._checkNoSuppliers).
    if (asset.liquidationThreshold !== 0) {
      await d.write(poolConfigurator, configurator, "configureReserveAsCollateral", [
        token,
        BigInt(asset.ltv),
        BigInt(asset.liquidationThreshold),
        BigInt(asset.liquidationBonus),
      ]);
    }
    await d.write(poolConfigurator, configurator, "setReserveBorrowing", [token, asset.borrowingEnabled ?? true]);
    await d.write(poolConfigurator, configurator, "setReserveFactor", [token, BigInt(asset.reserveFactor)]);
    await d.write(poolConfigurator, configurator, "setLiquidationProtocolFee", [token, BigInt(asset.liquidationProtocolFee)]);
    if (flashLoaningOn(c.flashLoaning, asset.symbol)) {
      await d.write(poolConfigurator, configurator, "setReserveFlashLoaning", [token, true]);
    }
    const reserve = await publicClient.readContract({ address: pool, abi: poolV36Abi, functionName: "getReserveData", args: [token] });
    deployed.push({
      symbol: asset.symbol,
      name: asset.name,
      decimals: asset.decimals,
      address: token,
      priceFeed: feeds[i]!,
      aToken: reserve.aTokenAddress,
      variableDebtToken: reserve.variableDebtTokenAddress,
      stableDebtToken: zeroAddress,
      interestRateStrategy: strategy,
      spec: asset,
    });
  }

  // eMode by bitmaps (3.2+): the category, then each asset's collateral / borrowable / ltvzero bit.
  const bySymbol = (symbol: string) => {
    const asset = deployed.find((a) => a.symbol === symbol);
    if (!asset) throw new Error(`eMode lists ${symbol}, which is not a sandbox asset`);
    return asset.address;
  };
  for (const eMode of eModes) {
    await d.write(poolConfigurator, configurator, "setEModeCategory", [
      eMode.id,
      eMode.ltv,
      eMode.liquidationThreshold,
      eMode.liquidationBonus,
      eMode.label,
    ]);
    for (const symbol of eMode.collateral ?? []) {
      await d.write(poolConfigurator, configurator, "setAssetCollateralInEMode", [bySymbol(symbol), eMode.id, true]);
    }
    for (const symbol of eMode.borrowable ?? []) {
      await d.write(poolConfigurator, configurator, "setAssetBorrowableInEMode", [bySymbol(symbol), eMode.id, true]);
    }
    for (const symbol of eMode.ltvzero ?? []) {
      await d.write(poolConfigurator, configurator, "setAssetLtvzeroInEMode", [bySymbol(symbol), eMode.id, true]);
    }
  }

  return {
    addressesProvider: provider,
    pool,
    poolConfigurator,
    aclManager,
    oracle,
    protocolDataProvider,
    uiPoolDataProvider,
    usdFeed,
    assets: deployed,
  };
}
