// `keeper scan`: sync the watcher (backfill or resume from STATE_DIR), print every account sorted
// by health factor, lowest first, with debt, collateral and liquidation prices; then exit.
import { parseArgs } from "node:util";
import { loadConfig } from "../config/index.js";
import { createLogger } from "../logging.js";
import { Watcher } from "../watcher/watcher.js";
import { readSymbols } from "../chain/tokens.js";
import { sortedAccounts, toJson, type AccountView } from "./accountsView.js";
import { formatBaseAmount, formatHealthFactor } from "../util/decimal.js";
import { formatTable } from "../util/table.js";
import { connectTarget, resolveTarget } from "./target.js";
import { parseIntegerOption } from "./usage.js";

export const SCAN_HELP = `keeper scan [--json] [--limit N] [--all]
  Syncs with the chain (RPC_URL, POOL_ADDRESSES_PROVIDER, START_BLOCK; or the running sandbox when
  RPC_URL is unset), then prints the accounts with the lowest health factors, lowest first, with
  their collateral, debt and the price at which each collateral makes them liquidatable.

  --limit N   how many accounts to print (default 20)
  --all       print every account
  --json      machine-readable output on stdout (logs go to stderr)`;

export async function scanCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: "boolean" }, limit: { type: "string" }, all: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(SCAN_HELP);
    return 0;
  }
  const limit = values.all ? Infinity : parseIntegerOption("--limit", values.limit, 20, 1, 10_000_000);
  const config = loadConfig();
  const logger = createLogger(config.log.logLevel, { pretty: !values.json && Boolean(process.stderr.isTTY), destination: process.stderr });
  const target = await resolveTarget(config);
  if (target.source === "sandbox") logger.info({ rpcUrl: target.rpcUrl }, "RPC_URL not set: using the running sandbox");
  if (target.startBlockGuessed) logger.warn("START_BLOCK not set and the market's deployment block is unknown: scanning from block 0");
  const client = await connectTarget(target, config);
  const watcher = new Watcher({
    client,
    addressesProvider: target.addressesProvider,
    startBlock: target.startBlock,
    stateDir: target.stateDir,
    logChunkBlocks: config.watcher.logChunkBlocks,
    logger,
  });
  await watcher.sync();

  const reserves = watcher.market.reserves.filter((r) => r !== undefined);
  const symbolList = await readSymbols(
    client,
    reserves.map((r) => r!.asset),
  );
  const symbols = new Map(reserves.map((r, i) => [r!.id, symbolList[i]!]));
  const accounts = sortedAccounts(watcher, symbols, limit);

  if (values.json) {
    process.stdout.write(
      `${toJson({
        block: watcher.head.number,
        blockHash: watcher.head.hash,
        timestamp: watcher.head.timestamp,
        pool: watcher.info.addresses.pool,
        rules: watcher.rules.version,
        accountsTracked: watcher.book.size,
        liquidatable: watcher.book.liquidatable().length,
        accounts,
      })}\n`,
    );
    return 0;
  }
  console.log(formatAccounts(accounts, watcher.market.baseCurrencyUnit));
  console.log(
    `\n${watcher.book.size} accounts tracked at block ${watcher.head.number}; ${watcher.book.liquidatable().length} liquidatable (health factor below 1).`,
  );
  return 0;
}

function formatAccounts(accounts: readonly AccountView[], baseUnit: bigint): string {
  return formatTable(
    ["account", "health factor", "collateral (USD)", "debt (USD)", "liquidation prices (USD)", "debts"],
    accounts.map((a) => [
      a.user,
      formatHealthFactor(a.health.healthFactor),
      formatBaseAmount(a.health.totalCollateralBase, baseUnit, 0),
      formatBaseAmount(a.health.totalDebtBase, baseUnit, 0),
      a.collateral
        .map(
          (c) =>
            `${c.symbol} ${c.liquidationPrice === undefined ? "-" : `${c.direction === "up" ? "≥" : "≤"}${formatBaseAmount(c.liquidationPrice, baseUnit)}`}`,
        )
        .join(", "),
      a.debt.map((d) => d.symbol).join(", "),
    ]),
  );
}
