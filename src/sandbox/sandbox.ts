// The sandbox: a local anvil with a real Aave V3 market (3.0 or 3.6) and seeded borrowers. One function so the
// CLI (`keeper sandbox`), the tests and later the keeper's own demo all build the same thing.
import { startAnvil, type AnvilInstance } from "../chain/anvil.js";
import { rpc } from "../chain/rpc.js";
import { createBorrowers, planBorrowers, type BorrowerPlan, type BorrowerPlanOptions } from "./borrowers.js";
import { deployMarket, type MarketDeployment } from "./deployMarket.js";
import { deployUniswap, type DeployUniswapOptions, type SandboxPair } from "./uniswap.js";
import type { AaveVersion } from "./marketSpec.js";

export interface SandboxOptions {
  /** which Aave to deploy (default "3.0", what the tests written before 3.6 expect; tests of both versions pass it; `keeper sandbox` defaults to "3.6") */
  aave?: AaveVersion;
  borrowers?: number;
  seed?: number;
  port?: number;
  /** seconds between blocks once the sandbox is built; 0 keeps automine (a block per transaction) */
  blockTime?: number;
  healthFactorBands?: BorrowerPlanOptions["healthFactorBands"];
  eModeShare?: number;
  /** deploy Uniswap V3 with pools at the oracle's prices (default true) */
  dex?: boolean;
  /** the pools to open, in place of sandboxPairs' default list (every asset against WETH and USDC) */
  dexPairs?: readonly SandboxPair[];
  /** reserves whose flash loaning stays off, by symbol; false: every reserve's (default: on for all) */
  flashLoaning?: false | readonly string[];
  /** how to deploy it (e.g. { router: "SwapRouter02" } adds SwapRouter02) */
  uniswap?: DeployUniswapOptions;
  /** anvil's --order: how a block orders the pool's transactions (anvil's default: fees) */
  order?: "fees" | "fifo";
}

export interface SandboxTimings {
  anvilMs: number;
  deployMs: number;
  borrowersMs: number;
}

export interface Sandbox {
  anvil: AnvilInstance;
  market: MarketDeployment;
  borrowers: BorrowerPlan[];
  timings: SandboxTimings;
  /** the flash-loan Liquidator of the sandbox keeper key, once deployed (deploySandboxLiquidator) */
  liquidator?: { address: `0x${string}`; owner: `0x${string}` };
  stop(): Promise<void>;
}

export const DEFAULT_SANDBOX_BORROWERS = 500;
export const DEFAULT_SANDBOX_SEED = 1;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  let t = performance.now();
  // Anvil's 24 KiB code size limit holds for every Aave contract deployed; no override needed.
  const anvil = await startAnvil({ port: options.port, ...(options.order && { extraArgs: ["--order", options.order] }) });
  const anvilMs = performance.now() - t;
  try {
    t = performance.now();
    const market = await deployMarket(anvil.rpcUrl, { aave: options.aave, flashLoaning: options.flashLoaning });
    if (options.dex ?? true) await deployUniswap(market, { ...options.uniswap, ...(options.dexPairs && { pairs: options.dexPairs }) });
    const deployMs = performance.now() - t;
    t = performance.now();
    const borrowers = planBorrowers(market, {
      count: options.borrowers ?? DEFAULT_SANDBOX_BORROWERS,
      seed: options.seed ?? DEFAULT_SANDBOX_SEED,
      healthFactorBands: options.healthFactorBands,
      eModeShare: options.eModeShare,
    });
    await createBorrowers(market, borrowers);
    const borrowersMs = performance.now() - t;
    if (options.blockTime && options.blockTime > 0) {
      await rpc(anvil.rpcUrl, "evm_setIntervalMining", [options.blockTime]);
    }
    return { anvil, market, borrowers, timings: { anvilMs, deployMs, borrowersMs }, stop: () => anvil.stop() };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** The sandbox chain's gas token is ETH: its market's WETH (by the sandbox's own spec) prices gas. */
export function sandboxWrappedNative(market: MarketDeployment): `0x${string}` | undefined {
  return market.assets.find((a) => a.symbol === "WETH")?.address;
}

/** What a user (or another tool) needs to point at the sandbox, as written to the JSON file. */
export function describeSandbox(sandbox: Sandbox, seed: number) {
  const m = sandbox.market;
  return {
    aaveVersion: m.aaveVersion,
    rpcUrl: m.rpcUrl,
    wsUrl: sandbox.anvil.wsUrl,
    chainId: m.chainId,
    deploymentBlock: m.deploymentBlock.toString(),
    addresses: {
      poolAddressesProvider: m.addressesProvider,
      pool: m.pool,
      poolConfigurator: m.poolConfigurator,
      aclManager: m.aclManager,
      aaveOracle: m.oracle,
      protocolDataProvider: m.protocolDataProvider,
      uiPoolDataProviderV3: m.uiPoolDataProvider,
      multicall3: m.multicall3,
      treasury: m.treasury,
      wrappedNativeToken: sandboxWrappedNative(m),
    },
    uniswap: m.uniswap,
    ...(sandbox.liquidator && { liquidator: sandbox.liquidator }),
    admin: m.deployer,
    assets: m.assets.map((a) => ({
      symbol: a.symbol,
      address: a.address,
      decimals: a.decimals,
      priceFeed: a.priceFeed,
      aToken: a.aToken,
      variableDebtToken: a.variableDebtToken,
      stableDebtToken: a.stableDebtToken,
    })),
    eModes: m.eModes,
    seed,
    borrowers: sandbox.borrowers.map((b) => b.address),
  };
}
