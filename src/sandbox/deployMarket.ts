// Deploys a complete Aave V3.0 market (the compiled contracts of @aave/core-v3 and
// @aave/periphery-v3) on a running anvil, the way Aave's own deploy scripts wire it, then seeds
// liquidity. Used by the tests and by `keeper sandbox` alike.
import {
  createTestClient,
  createPublicClient,
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
import { loadArtifact, linkBytecode, type ArtifactName } from "./artifacts.js";
import { SANDBOX_ASSETS, SANDBOX_EMODES, USD_PRICE, type AssetSpec, type EModeSpec } from "./marketSpec.js";
import {
  aclManagerAbi,
  mintableErc20Abi,
  poolAbi,
  poolAddressesProviderAbi,
  poolConfiguratorAbi,
} from "../../contracts-abi/aave/index.js";
import type { UniswapDeployment } from "./uniswap.js";
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
  stableDebtToken: Address;
  interestRateStrategy: Address;
  spec: AssetSpec;
}

export interface MarketDeployment {
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
  assets?: readonly AssetSpec[];
  eModes?: readonly EModeSpec[];
  /** supply each asset's seedLiquidityUsd from the liquidity provider (default true) */
  seedLiquidity?: boolean;
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

  async write(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = [], from = this.from) {
    const data = encodeFunctionData({ abi, functionName, args });
    return this.sendRaw({ to, data }, from, `${functionName} on ${to}`);
  }

  private sendRaw(tx: { to?: Address; data: Hex }, from = this.from, what = "deployment") {
    // 30M gas: the Pool and the reserve initialisations are large.
    return sendUnlocked(this.rpcUrl, from, { ...tx, gas: "0x1c9c380" }, what);
  }
}

export async function deployMarket(rpcUrl: string, options: DeployMarketOptions = {}): Promise<MarketDeployment> {
  const assets = options.assets ?? SANDBOX_ASSETS;
  const eModes = options.eModes ?? SANDBOX_EMODES;
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ transport, pollingInterval: 20 });
  const testClient = createTestClient({ mode: "anvil", transport });
  const admin = DEV_ACCOUNTS.deployer;
  const d = new Deployer(rpcUrl, admin);
  const chainId = await publicClient.getChainId();

  // Multicall3 lives at the same address on every chain; install its runtime code there.
  await testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: multicall3DeployedBytecode });

  const deploymentBlock = (await publicClient.getBlockNumber()) + 1n;
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
    address: provider, abi: poolAddressesProviderAbi, functionName: "getPoolConfigurator",
  })) as Address;

  const protocolDataProvider = await d.deployArtifact("AaveProtocolDataProvider", [provider]);
  await d.write(provider, providerAbi, "setPoolDataProvider", [protocolDataProvider]);

  // Tokens and their Chainlink-style feeds (8 decimals, USD), as on mainnet.
  const feedAbi = sandboxPriceFeedAbi as Abi;
  const tokens: Address[] = [];
  const feeds: Address[] = [];
  for (const asset of assets) {
    tokens.push(await d.deployArtifact("MintableERC20", [asset.name, asset.symbol, asset.decimals]));
    feeds.push(await d.deploy(feedAbi, sandboxPriceFeedBytecode, [asset.priceUsd, `${asset.symbol} / USD`]));
  }
  const usdFeed = await d.deploy(feedAbi, sandboxPriceFeedBytecode, [USD_PRICE, "USD / USD"]);
  const oracle = await d.deployArtifact("AaveOracle", [provider, tokens, feeds, zeroAddress, zeroAddress, 10n ** 8n]);
  await d.write(provider, providerAbi, "setPriceOracle", [oracle]);

  const ethIndex = assets.findIndex((a) => a.symbol === "WETH");
  const uiPoolDataProvider = await d.deployArtifact("UiPoolDataProviderV3", [feeds[ethIndex] ?? usdFeed, usdFeed]);

  const aTokenImpl = await d.deployArtifact("AToken", [pool]);
  const stableDebtImpl = await d.deployArtifact("StableDebtToken", [pool]);
  const variableDebtImpl = await d.deployArtifact("VariableDebtToken", [pool]);
  const treasury: Address = "0x000000000000000000000000000000000000dEaD";

  const configurator = poolConfiguratorAbi as Abi;
  const deployed: DeployedAsset[] = [];
  for (const [i, asset] of assets.entries()) {
    const token = tokens[i]!;
    const r = asset.rates;
    // 3.0 strategy: stable-rate parameters are required even though the sandbox disables stable borrowing.
    const strategy = await d.deployArtifact("DefaultReserveInterestRateStrategy", [
      provider, r.optimalUsageRatio, r.baseVariableBorrowRate, r.variableRateSlope1, r.variableRateSlope2,
      0n, 0n, 0n, 0n, 0n,
    ]);
    await d.write(poolConfigurator, configurator, "initReserves", [[{
      aTokenImpl, stableDebtTokenImpl: stableDebtImpl, variableDebtTokenImpl: variableDebtImpl,
      underlyingAssetDecimals: asset.decimals, interestRateStrategyAddress: strategy, underlyingAsset: token,
      treasury, incentivesController: zeroAddress,
      aTokenName: `Aave Sandbox ${asset.symbol}`, aTokenSymbol: `aSbx${asset.symbol}`,
      variableDebtTokenName: `Aave Sandbox Variable Debt ${asset.symbol}`, variableDebtTokenSymbol: `variableDebtSbx${asset.symbol}`,
      stableDebtTokenName: `Aave Sandbox Stable Debt ${asset.symbol}`, stableDebtTokenSymbol: `stableDebtSbx${asset.symbol}`,
      params: "0x",
    }]]);
    await d.write(poolConfigurator, configurator, "configureReserveAsCollateral", [
      token, BigInt(asset.ltv), BigInt(asset.liquidationThreshold), BigInt(asset.liquidationBonus),
    ]);
    await d.write(poolConfigurator, configurator, "setReserveBorrowing", [token, true]);
    await d.write(poolConfigurator, configurator, "setReserveFactor", [token, BigInt(asset.reserveFactor)]);
    await d.write(poolConfigurator, configurator, "setLiquidationProtocolFee", [token, BigInt(asset.liquidationProtocolFee)]);
    await d.write(poolConfigurator, configurator, "setReserveFlashLoaning", [token, true]);
    const reserve = await publicClient.readContract({ address: pool, abi: poolAbi, functionName: "getReserveData", args: [token] });
    deployed.push({
      symbol: asset.symbol, name: asset.name, decimals: asset.decimals, address: token, priceFeed: feeds[i]!,
      aToken: reserve.aTokenAddress, variableDebtToken: reserve.variableDebtTokenAddress,
      stableDebtToken: reserve.stableDebtTokenAddress, interestRateStrategy: strategy, spec: asset,
    });
  }

  for (const eMode of eModes) {
    await d.write(poolConfigurator, configurator, "setEModeCategory", [
      eMode.id, eMode.ltv, eMode.liquidationThreshold, eMode.liquidationBonus, zeroAddress, eMode.label,
    ]);
    for (const asset of deployed.filter((a) => a.spec.eModeCategory === eMode.id)) {
      await d.write(poolConfigurator, configurator, "setAssetEModeCategory", [asset.address, eMode.id]);
    }
  }

  if (options.seedLiquidity ?? true) {
    const lp = DEV_ACCOUNTS.liquidityProvider;
    for (const asset of deployed) {
      const amount = (asset.spec.seedLiquidityUsd * 10n ** 8n * 10n ** BigInt(asset.decimals)) / asset.spec.priceUsd;
      await d.write(asset.address, mintableErc20Abi as Abi, "mint", [lp, amount]);
      await d.write(asset.address, mintableErc20Abi as Abi, "approve", [pool, maxUint256], lp);
      await d.write(pool, poolAbi as Abi, "supply", [asset.address, amount, lp, 0], lp);
    }
  }

  return {
    chainId, rpcUrl, deployer: admin, deploymentBlock,
    addressesProvider: provider, pool, poolConfigurator, aclManager, oracle, protocolDataProvider,
    uiPoolDataProvider, multicall3: MULTICALL3_ADDRESS, treasury, usdFeed,
    assets: deployed, eModes: [...eModes],
  };
}

