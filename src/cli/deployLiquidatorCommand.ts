// `keeper deploy-liquidator`: deploys the flash-loan Liquidator (contracts/liquidator) for PRIVATE_KEY,
// on the market's pool and Uniswap's router (SwapRouter or SwapRouter02, told apart on chain), checks
// what landed, and prints the setting to add.
import { parseArgs } from "node:util";
import { parseGwei, type Address, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployLiquidator, swapRouterKind } from "../chain/liquidatorContract.js";
import { ConfigError, loadConfig, resolveUniswapAddress } from "../config/index.js";
import { createLogger } from "../logging.js";
import { discoverMarket } from "../watcher/marketReader.js";
import { connectTarget, resolveTarget } from "./target.js";

export const DEPLOY_LIQUIDATOR_HELP = `keeper deploy-liquidator
  Deploys the flash-loan Liquidator contract from PRIVATE_KEY (its owner, for good) on RPC_URL: the
  pool is the market's (POOL_ADDRESSES_PROVIDER), the router UNISWAP_V3_ROUTER (default: the chain's
  canonical SwapRouter; a SwapRouter02 is recognised on chain and called as one). Waits for the
  receipt, checks the code and the owner, and prints LIQUIDATOR_ADDRESS=0x... to add to the
  settings. When RPC_URL is unset it deploys on the running sandbox (with its Uniswap V3). Costs
  about 2.0M gas, paid by PRIVATE_KEY.`;

export async function deployLiquidatorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    console.log(DEPLOY_LIQUIDATOR_HELP);
    return 0;
  }
  const config = loadConfig();
  // stdout carries only the LIQUIDATOR_ADDRESS line, so `>> .env` works.
  const logger = createLogger(config.log.logLevel, { pretty: Boolean(process.stderr.isTTY), destination: process.stderr });
  if (config.executor.privateKey === undefined) throw new ConfigError("PRIVATE_KEY", "not set (the liquidator's owner deploys it)");
  const target = await resolveTarget(config);
  if (target.source === "sandbox") logger.info({ rpcUrl: target.rpcUrl }, "RPC_URL not set: using the running sandbox");
  const client = await connectTarget(target, config);
  const chainId = await client.getChainId();
  const router = resolveUniswapAddress(config, chainId, "router", target.uniswap);
  const { pool } = (await discoverMarket(client, target.addressesProvider)).addresses;
  await requireCode(client, router, "UNISWAP_V3_ROUTER");
  const routerKind = await swapRouterKind(client, router);
  if (routerKind === undefined) throw new ConfigError("UNISWAP_V3_ROUTER", `${router} is neither Uniswap's SwapRouter nor SwapRouter02`);

  const owner = privateKeyToAccount(config.executor.privateKey).address;
  const fees = await client.estimateFeesPerGas();
  const cap = parseGwei(String(config.executor.maxFeeGwei));
  const maxFeePerGas = fees.maxFeePerGas > cap ? cap : fees.maxFeePerGas;
  const tip = parseGwei(String(config.executor.priorityFeeGwei));
  const maxPriorityFeePerGas = tip > maxFeePerGas ? maxFeePerGas : tip;
  logger.info({ owner, pool, router, routerKind, chainId }, "deploying the Liquidator");
  const deployed = await deployLiquidator(
    client,
    config.executor.privateKey,
    { pool, router, swapRouter02: routerKind === "SwapRouter02" },
    { maxFeePerGas, maxPriorityFeePerGas },
    (hash) => logger.info({ hash }, "deployment sent, waiting for its receipt"),
  );
  const liquidator = deployed.address;
  logger.info(
    {
      liquidator,
      owner,
      pool,
      router,
      routerKind,
      hash: deployed.hash,
      gasUsed: deployed.gasUsed.toString(),
      block: deployed.blockNumber.toString(),
    },
    "Liquidator deployed",
  );
  console.log(`LIQUIDATOR_ADDRESS=${liquidator}`);
  return 0;
}

async function requireCode(client: PublicClient, address: Address, setting: string): Promise<void> {
  const code = await client.getCode({ address });
  if (code === undefined || code === "0x") throw new ConfigError(setting, `no contract at ${address} on this chain`);
}
