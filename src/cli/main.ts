// keeper's command line: dispatches to one module per command, turns errors into one line.
import { readFileSync } from "node:fs";
import { sandboxCommand, SANDBOX_HELP } from "./sandboxCommand.js";
import { scanCommand, SCAN_HELP } from "./scanCommand.js";
import { inspectCommand, INSPECT_HELP } from "./inspectCommand.js";
import { marketsCommand, MARKETS_HELP } from "./marketsCommand.js";
import { runCommand, RUN_HELP } from "./runCommand.js";
import { deployLiquidatorCommand, DEPLOY_LIQUIDATOR_HELP } from "./deployLiquidatorCommand.js";
import { UsageError } from "./usage.js";
import { ConfigError } from "../config/index.js";
import { UnsupportedPoolRevisionError } from "../risk/rules.js";
import { CheckpointError } from "../watcher/checkpoint.js";
import { MarketDiscoveryError } from "../watcher/marketReader.js";

const HELP = `keeper: a liquidation keeper for Aave V3

Usage: keeper <command> [options]

Commands:
  run         the daemon: follow the chain and liquidate accounts below health factor 1
  sandbox     start a local chain with a real Aave V3 market and borrowers (no RPC needed)
  scan        sync with the chain and list accounts by health factor, with liquidation prices
  inspect     one account reserve by reserve, its health factor computed three ways
  markets     the Aave V3 markets POOL_ADDRESSES_PROVIDER accepts by name
  deploy-liquidator  deploy the flash-loan Liquidator contract for PRIVATE_KEY, print LIQUIDATOR_ADDRESS
  help        show this help

Settings come from the environment or .env (see .env.example).

${RUN_HELP}

${SANDBOX_HELP}

${SCAN_HELP}

${INSPECT_HELP}

${MARKETS_HELP}

${DEPLOY_LIQUIDATOR_HELP}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** The error and its causes on one line: what an operator needs, without a stack trace. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    const message = e instanceof Error ? ((e as { shortMessage?: string }).shortMessage ?? e.message) : String(e);
    const first = message.split("\n")[0]!;
    if (!parts.some((p) => p.includes(first))) parts.push(first);
  }
  return parts.join(": ");
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return runCommand(rest);
    case "sandbox":
      return sandboxCommand(rest);
    case "scan":
      return scanCommand(rest);
    case "inspect":
      return inspectCommand(rest);
    case "markets":
      return marketsCommand(rest);
    case "deploy-liquidator":
      return deployLiquidatorCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(HELP);
      return 0;
    case "--version":
    case "-v":
      console.log(version());
      return 0;
    default:
      throw new UsageError(`unknown command "${command}" (commands: run, sandbox, scan, inspect, markets, deploy-liquidator, help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // parseArgs reports unknown or malformed flags with ERR_PARSE_ARGS_* codes: usage errors too.
    // Bad settings (ConfigError) exit 2 too: the operator must fix input, retrying will not help.
    const usage =
      err instanceof UsageError || err instanceof ConfigError || err instanceof MarketDiscoveryError || err instanceof CheckpointError ||
      err instanceof UnsupportedPoolRevisionError || (err as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS");
    console.error(`keeper: ${describeError(err)}`);
    process.exit(usage ? 2 : 1);
  },
);
