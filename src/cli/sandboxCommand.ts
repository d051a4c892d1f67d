// `keeper sandbox`: a local chain with a real Aave V3 market and borrowers; then the keeper runs
// against it, a price shock puts accounts under water, and the user watches them get liquidated.
// The chain stays up until Ctrl-C, which prints the final summary.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { exitAfterOutput, exitOnError } from "./exit.js";
import { createPublicClient, http, type Address } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { createConnections } from "../chain/connections.js";
import { defaultSettings } from "../config/settings.js";
import { Keeper } from "../daemon/keeper.js";
import { createLogger } from "../logging.js";
import { AAVE_VERSIONS, type AaveVersion } from "../sandbox/marketSpec.js";
import { deploySandboxLiquidator, fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../sandbox/keeperWallet.js";
import { HUB_SYMBOLS } from "../sandbox/uniswap.js";
import { movedPrice, setFeedAnswer } from "../sandbox/prices.js";
import {
  DEFAULT_SANDBOX_BORROWERS,
  DEFAULT_SANDBOX_SEED,
  describeSandbox,
  sandboxWrappedNative,
  startSandbox,
  type Sandbox,
} from "../sandbox/sandbox.js";
import { formatMarketSummary, readMarketSummary } from "../sandbox/summary.js";
import { formatBaseAmount } from "../util/decimal.js";
import { formatTable } from "../util/table.js";
import { UsageError, parseIntegerOption } from "./usage.js";
import { sleep } from "../util/time.js";

export const SANDBOX_HELP = `keeper sandbox [options]
  Starts a local anvil chain, deploys a complete Aave V3 market on it, creates borrowers and prints
  the market; then runs the keeper against it, shocks a price so that accounts go under water, and
  shows them being liquidated. The chain keeps running (Ctrl-C stops it and prints the summary).

  --aave V          Aave version to deploy: 3.6 (default; what every live market runs) or 3.0
  --borrowers N     number of borrowers (default ${DEFAULT_SANDBOX_BORROWERS})
  --seed N          seed of the borrower generator (default ${DEFAULT_SANDBOX_SEED})
  --port N          anvil port on 127.0.0.1 (default: a free port)
  --block-time S    seconds between blocks once built (default 2; 0 = a block per transaction)
  --shock A:P       price shock applied once the keeper runs, e.g. WETH:-20 (default), LINK:-35
  --shock-after S   seconds between the keeper's start and the shock (default 4)
  --wallet-funds    also give the keeper's wallet $${(2_000_000).toLocaleString("en-US")} of every asset (default: only ETH for gas; it
                    liquidates with flash loans through its Liquidator, and with both it picks per account)
  --no-keeper       only the chain, market and borrowers (no keeper, no shock)
  --out FILE        where to write the RPC URL and addresses (default .keeper/sandbox.json)
  --exit            build, print, write the file, then stop (no keeper, no long-running chain)`;

/** Debt tokens the sandbox keeper's wallet starts with, per reserve, in USD. */
const KEEPER_INVENTORY_USD = 2_000_000n;

export async function sandboxCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      aave: { type: "string" },
      borrowers: { type: "string" },
      seed: { type: "string" },
      port: { type: "string" },
      "block-time": { type: "string" },
      shock: { type: "string" },
      "shock-after": { type: "string" },
      "no-keeper": { type: "boolean" },
      "wallet-funds": { type: "boolean" },
      out: { type: "string" },
      exit: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(SANDBOX_HELP);
    return 0;
  }
  const aave = parseAaveVersion(values.aave ?? "3.6");
  const borrowers = parseIntegerOption("--borrowers", values.borrowers, DEFAULT_SANDBOX_BORROWERS, 0, 100_000);
  const seed = parseIntegerOption("--seed", values.seed, DEFAULT_SANDBOX_SEED, 0, 2 ** 32 - 1);
  const port = values.port === undefined ? undefined : parseIntegerOption("--port", values.port, 0, 1, 65_535);
  const blockTime = parseIntegerOption("--block-time", values["block-time"], 2, 0, 3600);
  const shock = parseShock(values.shock ?? "WETH:-20");
  const shockAfter = parseIntegerOption("--shock-after", values["shock-after"], 4, 0, 3600);
  const out = resolve(values.out ?? ".keeper/sandbox.json");
  const withKeeper = !values["no-keeper"] && !values.exit;

  console.log(`Starting the sandbox: anvil, an Aave V${aave} market, ${borrowers} borrowers (seed ${seed})...`);
  const sandbox = await startSandbox({ aave, borrowers, seed, port, blockTime });
  if (!sandbox.market.assets.some((a) => a.symbol.toLowerCase() === shock.symbol.toLowerCase())) {
    await sandbox.stop();
    throw new UsageError(`--shock: no asset ${shock.symbol} in the sandbox (${sandbox.market.assets.map((a) => a.symbol).join(", ")})`);
  }
  try {
    // The keeper key's flash-loan Liquidator, also for a `keeper run` pointed at this sandbox (the file has it).
    sandbox.liquidator = await deploySandboxLiquidator(sandbox.market);
    printSandbox(sandbox, seed, out);
    console.log(await formatSummaryOf(sandbox));
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  if (values.exit) {
    await sandbox.stop();
    return 0;
  }
  if (!withKeeper) {
    const stop = async () => {
      await sandbox.stop();
      await exitAfterOutput(0);
    };
    process.on("SIGINT", () => void stop());
    process.on("SIGTERM", () => void stop());
    console.log(`\nsandbox ready: mining a block every ${blockTime ? `${blockTime} s` : "transaction"}; Ctrl-C stops it.`);
    await sandbox.anvil.exited;
    return 0;
  }
  return runKeeperDemo(sandbox, { blockTime, shock, shockAfter, walletFunds: values["wallet-funds"] === true });
}

function parseAaveVersion(raw: string): AaveVersion {
  const version = AAVE_VERSIONS.find((v) => v === raw.trim());
  if (!version) throw new UsageError(`--aave must be one of ${AAVE_VERSIONS.join(", ")}; got "${raw}"`);
  return version;
}

function parseShock(raw: string): { symbol: string; percent: number } {
  const match = /^([A-Za-z0-9.]+):([-+]?\d+(\.\d+)?)$/.exec(raw.trim());
  if (!match) throw new UsageError(`--shock must look like SYMBOL:PERCENT, e.g. WETH:-20; got "${raw}"`);
  const percent = Number(match[2]);
  if (percent <= -100 || percent === 0) throw new UsageError(`--shock: a ${percent}% move is not a price shock`);
  return { symbol: match[1]!, percent };
}

function printSandbox(sandbox: Sandbox, seed: number, out: string): void {
  const t = sandbox.timings;
  console.log(
    `Built in ${((t.anvilMs + t.deployMs + t.borrowersMs) / 1000).toFixed(1)} s ` +
      `(anvil ${Math.round(t.anvilMs)} ms, market ${Math.round(t.deployMs)} ms, borrowers ${Math.round(t.borrowersMs)} ms).\n`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, `${JSON.stringify(describeSandbox(sandbox, seed), null, 2)}\n`);
  renameSync(`${out}.tmp`, out);
  const m = sandbox.market;
  console.log(`Aave version             V${m.aaveVersion}
RPC URL                  ${m.rpcUrl}
PoolAddressesProvider    ${m.addressesProvider}
Pool                     ${m.pool}
AaveOracle               ${m.oracle}
UiPoolDataProviderV3     ${m.uiPoolDataProvider}
Liquidator (flash loans) ${sandbox.liquidator?.address ?? "none"} (owner: the sandbox keeper ${SANDBOX_KEEPER_ADDRESS})
deployment block         ${m.deploymentBlock}
Addresses written to ${out}
Point a tool at it, e.g.: RPC_URL=${m.rpcUrl} POOL_ADDRESSES_PROVIDER=${m.addressesProvider} START_BLOCK=${m.deploymentBlock}
`);
}

async function formatSummaryOf(sandbox: Sandbox): Promise<string> {
  const summary = await readMarketSummary(
    sandbox.market,
    sandbox.borrowers.map((b) => b.address),
  );
  return formatMarketSummary(summary);
}

async function runKeeperDemo(
  sandbox: Sandbox,
  options: { blockTime: number; shock: { symbol: string; percent: number }; shockAfter: number; walletFunds: boolean },
): Promise<number> {
  const stateDir = mkdtempSync(join(tmpdir(), "keeper-sandbox-state-"));
  if (options.walletFunds) await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, KEEPER_INVENTORY_USD);
  const uniswap = sandbox.market.uniswap!;
  const liquidator = sandbox.liquidator!.address;
  const logger = createLogger("info");
  const keeper = new Keeper({
    // The price move is a pending transaction for a block time: the keeper backruns it in its own block.
    connections: createConnections({ rpcUrl: sandbox.market.rpcUrl, watchPending: options.blockTime > 0 ? "on" : "off" }),
    chainId: sandbox.market.chainId,
    market: {
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: sandbox.market.deploymentBlock,
      stateDir,
      logChunkBlocks: 5_000,
    },
    pollIntervalMs: 250,
    executor: { privateKey: SANDBOX_KEEPER_KEY, dryRun: false, maxFeeGwei: 500, priorityFeeGwei: 1, txTimeoutBlocks: 3 },
    scheduler: { ...defaultSettings().scheduler, wrappedNativeToken: sandboxWrappedNative(sandbox.market) },
    logger,
    flash: {
      liquidator,
      factory: uniswap.factory,
      quoter: uniswap.quoterV2,
      slippageBps: 50,
      routingHubs: HUB_SYMBOLS.flatMap((symbol) => sandbox.market.assets.find((a) => a.symbol === symbol)?.address ?? []),
    },
  });
  const funds = options.walletFunds ? `$${KEEPER_INVENTORY_USD.toLocaleString("en-US")} of each asset` : "only ETH for gas, no token";
  console.log(`Starting the keeper (wallet ${SANDBOX_KEEPER_ADDRESS}: ${funds}; flash loans through the Liquidator ${liquidator})...`);
  await keeper.start();
  const controller = new AbortController();
  // The daemon stopped on an error a retry cannot fix: the sandbox stops too, the error is the exit (src/cli/exit.ts).
  const running = keeper.run(controller.signal).catch(async (err: unknown) => {
    await sandbox.stop();
    return exitOnError(err);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    controller.abort();
    await running;
    await keeper.stop(10_000);
    console.log(`\n${formatKeeperSummary(keeper)}`);
    await sandbox.stop();
    rmSync(stateDir, { recursive: true, force: true });
    await exitAfterOutput(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());

  await sleep(options.shockAfter * 1000);
  const asset = sandbox.market.assets.find((a) => a.symbol.toLowerCase() === options.shock.symbol.toLowerCase())!;
  const move = await setFeedAnswer(sandbox.market, asset.symbol, movedPrice(asset.spec.priceUsd, options.shock.percent));
  logger.info(
    { asset: asset.symbol, from: Number(move.oldPrice) / 1e8, to: Number(move.newPrice) / 1e8, block: Number(move.blockNumber) },
    `price shock: ${asset.symbol} ${options.shock.percent}%`,
  );
  const sameBlock = () => liquidatedInBlock(sandbox.market.rpcUrl, sandbox.market.pool, liquidator, move.blockNumber);
  // Summarise once the keeper has nothing left to do (or after a while), then keep the chain up.
  const startedAt = Date.now();
  while (!stopping && Date.now() - startedAt < 120_000) {
    await sleep(1_000);
    const left = keeper.watcher.book.liquidatable().length;
    if (
      keeper.watcher.head.number > move.blockNumber + 2n &&
      keeper.executor.inFlight().length === 0 &&
      (left === 0 || Date.now() - startedAt > 20_000)
    )
      break;
  }
  if (!stopping) {
    console.log(`\n${formatKeeperSummary(keeper, await sameBlock().catch(() => undefined))}`);
    console.log(
      `\nsandbox and keeper running: a block every ${options.blockTime ? `${options.blockTime} s` : "transaction"}; Ctrl-C stops them.`,
    );
  }
  await sandbox.anvil.exited;
  return 0;
}

/** Accounts the Liquidator liquidated in `blockNumber` (the price update's own block), read from the chain. */
async function liquidatedInBlock(rpcUrl: string, pool: Address, liquidator: Address, blockNumber: bigint): Promise<number> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const logs = await client.getLogs({ address: pool, event: LIQUIDATION_CALL, fromBlock: blockNumber, toBlock: blockNumber });
  return new Set(logs.filter((l) => l.args.liquidator?.toLowerCase() === liquidator.toLowerCase()).map((l) => l.args.user)).size;
}

const LIQUIDATION_CALL = poolAbi.find((e) => e.type === "event" && e.name === "LiquidationCall") as Extract<
  (typeof poolAbi)[number],
  { type: "event"; name: "LiquidationCall" }
>;

/** The keeper's summary; `inUpdateBlock`: accounts liquidated in the price update's own block (a backrun). */
export function formatKeeperSummary(keeper: Keeper, inUpdateBlock?: number): string {
  const s = keeper.summary();
  const below = keeper.watcher.book.liquidatable();
  // An account with debt and no collateral left cannot be liquidated: 3.0 leaves it as bad debt
  // (3.6 burns such debt as a reserve deficit in the liquidation that takes the last collateral).
  const badDebt = below.filter((u) => keeper.watcher.book.health(u)?.totalCollateralBase === 0n).length;
  const left = below.length - badDebt;
  return formatTable(
    ["keeper summary", ""],
    [
      ["accounts liquidated", String(s.accountsLiquidated)],
      ...(inUpdateBlock !== undefined ? [["  in the price update's own block", String(inUpdateBlock)]] : []),
      ["liquidations", String(s.liquidations)],
      ["transactions mined", `${s.mined}${s.skippedOnChain > 0 ? ` (${s.skippedOnChain} liquidations skipped in them: taken first)` : ""}`],
      ["capital used", `flash loan ${s.flashLiquidations}, wallet ${s.liquidations - s.flashLiquidations}`],
      ["reverted transactions", String(s.reverted)],
      ["debt repaid (USD)", formatBaseAmount(keeper.stats.debtRepaidBase, keeper.watcher.market.baseCurrencyUnit)],
      ["realized profit (USD)", formatBaseAmount(keeper.stats.realizedProfitBase, keeper.watcher.market.baseCurrencyUnit)],
      ["accounts still below 1", `${left}${left > 0 ? " (not profitable, or neither the wallet nor a flash loan covers them)" : ""}`],
      ["bad debt left (no collateral to seize)", String(badDebt)],
    ],
  );
}
