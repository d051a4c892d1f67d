// `keeper run`: the daemon. Long-lived; SIGINT/SIGTERM stop it cleanly (no new work, in-flight
// transactions waited for up to a bound, checkpoint written, exit 0). RPC outages are retried with
// backoff, never fatal; bad settings are (one line, exit code 2).
import { parseArgs } from "node:util";
import type { Address } from "viem";
import type { Connections } from "../chain/connections.js";
import { privateKeyToAddress } from "viem/accounts";
import { redactUrl } from "../util/url.js";
import { ConfigError, describeConfig, loadConfig, resolveUniswap, UNISWAP_ROUTING_HUBS, type KeeperConfig } from "../config/index.js";
import { Keeper, type FlashSettings } from "../daemon/keeper.js";
import { createLogger, type Logger } from "../logging.js";
import { isRetryable } from "../errors.js";
import { exitAfterOutput } from "./exit.js";
import { connectTargetWithChainId, resolveTarget, type ChainTarget } from "./target.js";
import { backoffDelay, sleep } from "../util/time.js";

export const RUN_HELP = `keeper run [--dry-run]
  The daemon: follows the chain, finds accounts with health factor below 1 and liquidates them with
  the tokens the wallet (PRIVATE_KEY) holds or, with LIQUIDATOR_ADDRESS set, by flash loan through
  that contract, whichever nets more per account. Settings from the environment or .env (.env.example).
  --dry-run   (or DRY_RUN=true) do everything up to signing, log each opportunity, send nothing;
              no PRIVATE_KEY needed`;

/** How long shutdown waits for transactions in flight. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { "dry-run": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  const config = loadConfig();
  const dryRun = values["dry-run"] === true || config.executor.dryRun;
  if (!dryRun && config.executor.privateKey === undefined) {
    throw new ConfigError("PRIVATE_KEY", "not set (required to send liquidations; set DRY_RUN=true to only log them)");
  }
  const target = await resolveTarget(config);
  const logger = createLogger(config.log.logLevel);
  const startingMs = sinceProcessStart();
  logger.info(
    { settings: { ...describeConfig(config), DRY_RUN: String(dryRun) }, source: target.source, sinceProcessStartMs: startingMs },
    "keeper starting",
  );

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: string) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, "second signal: exiting now");
      void exitAfterOutput(1);
    }
    logger.info({ signal }, "stopping: no new liquidations, waiting for those in flight");
    controller.abort();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

  const connected = await connectWithRetry(target, config, logger, controller.signal);
  if (!connected) return 0;
  const { connections, chainId } = connected;
  const connectedMs = sinceProcessStart();
  const flash = flashSettings(config, target, chainId, dryRun);
  if (flash && config.flash.liquidatorAddress === undefined) {
    logger.info({ liquidator: flash.liquidator }, "LIQUIDATOR_ADDRESS not set: using the sandbox's Liquidator");
  }
  const { privateTxUrl: _inConnections, ...executor } = config.executor;
  const keeper = new Keeper({
    connections,
    chainId,
    market: {
      addressesProvider: target.addressesProvider,
      startBlock: target.startBlock,
      stateDir: target.stateDir,
      logChunkBlocks: config.watcher.logChunkBlocks,
    },
    pollIntervalMs: config.chain.pollIntervalMs,
    executor: { ...executor, dryRun },
    scheduler: { ...config.scheduler, wrappedNativeToken: target.wrappedNativeToken ?? config.scheduler.wrappedNativeToken },
    logger,
    ...(flash && { flash }),
  });
  if (!(await startWithRetry(keeper, logger, controller.signal))) return 0;
  // Where the start went (ms since the process started): settings read, node answered, book synced,
  // wallet read, the head's liquidations sent. "keeper running" comes after the wallet's approvals.
  const startupMs = { starting: startingMs, connected: connectedMs, ...keeper.startupMs };
  logger.info(
    { block: keeper.watcher.head.number, accounts: keeper.watcher.book.size, dryRun, sinceProcessStartMs: sinceProcessStart(), startupMs },
    "keeper running",
  );
  try {
    await keeper.run(controller.signal);
  } finally {
    // Also when the daemon stopped on an error a retry cannot fix: in-flight transactions waited for, the
    // checkpoint written, then main turns the error into its exit code and one line.
    await keeper.stop(SHUTDOWN_TIMEOUT_MS);
  }
  return 0;
}

/**
 * The flash-loan path, when there is a liquidator: LIQUIDATOR_ADDRESS, else the running sandbox's own
 * (only for the key that owns it, or in dry run); Uniswap V3 from the settings, the sandbox or the
 * chain's canonical deployment; hubs from the sandbox or the chain. Undefined: the wallet only.
 */
function flashSettings(config: KeeperConfig, target: ChainTarget, chainId: number, dryRun: boolean): FlashSettings | undefined {
  let liquidator: Address | undefined = config.flash.liquidatorAddress;
  const sandbox = target.liquidator;
  if (liquidator === undefined && sandbox !== undefined) {
    const owner = config.executor.privateKey === undefined ? undefined : privateKeyToAddress(config.executor.privateKey);
    if (owner?.toLowerCase() === sandbox.owner.toLowerCase() || (dryRun && owner === undefined)) liquidator = sandbox.address;
  }
  if (liquidator === undefined) return undefined;
  const { factory, quoter } = resolveUniswap(config, chainId, target.uniswap);
  const routingHubs = target.routingHubs ?? UNISWAP_ROUTING_HUBS.get(chainId) ?? [];
  return { liquidator, factory, quoter, routingHubs, slippageBps: config.flash.swapSlippageBps };
}

/** The node must answer before anything else; an unreachable RPC is waited for, not fatal. */
async function connectWithRetry(
  target: ChainTarget,
  config: ReturnType<typeof loadConfig>,
  logger: Logger,
  signal: AbortSignal,
): Promise<{ connections: Connections; chainId: number } | undefined> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      return await connectTargetWithChainId(target, config);
    } catch (err) {
      if (!isRetryable(err)) throw err; // CHAIN_ID mismatch: a setting to fix
      if (attempt === 1)
        logger.warn({ rpc: redactUrl(target.rpcUrl), err: (err as Error).message }, "RPC unreachable at start: retrying with backoff");
      await sleep(backoffDelay(attempt, 1_000, 5), signal);
    }
  }
  return undefined;
}

/** Errors a retry cannot fix (wrong market address, foreign checkpoint, unsupported version) are fatal. */
async function startWithRetry(keeper: Keeper, logger: Logger, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await keeper.start();
      return true;
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt === 1)
        logger.warn({ err: (err as Error).message.split("\n")[0] }, "start-up failed on an RPC error: retrying with backoff");
      await sleep(backoffDelay(attempt, 1_000, 5), signal);
    }
  }
  return false;
}

/** Cold start, as operators see it: milliseconds since this process started (module loading included). */
function sinceProcessStart(): number {
  return Math.round(performance.now());
}
