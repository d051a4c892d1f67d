// keeper's command line: dispatches to one module per command, turns errors into one line.
// Each command's module is imported only when that command runs: `keeper run` never loads the
// sandbox's deployment code, and only `keeper inspect` loads Aave's JS utilities (ethers).
import { readFileSync } from "node:fs";
import { exitAfterOutput } from "./exit.js";
import { UsageError } from "./usage.js";
import { ConfigError } from "../config/index.js";
import { UnsupportedPoolRevisionError } from "../risk/rules.js";
import { CheckpointError } from "../watcher/checkpoint.js";
import { MarketDiscoveryError } from "../watcher/marketReader.js";

interface Command {
  run(argv: string[]): Promise<number> | number;
  help: string;
}

const COMMANDS = new Map<string, () => Promise<Command>>([
  ["run", async () => { const m = await import("./runCommand.js"); return { run: m.runCommand, help: m.RUN_HELP }; }],
  ["sandbox", async () => { const m = await import("./sandboxCommand.js"); return { run: m.sandboxCommand, help: m.SANDBOX_HELP }; }],
  ["scan", async () => { const m = await import("./scanCommand.js"); return { run: m.scanCommand, help: m.SCAN_HELP }; }],
  ["inspect", async () => { const m = await import("./inspectCommand.js"); return { run: m.inspectCommand, help: m.INSPECT_HELP }; }],
  ["markets", async () => { const m = await import("./marketsCommand.js"); return { run: m.marketsCommand, help: m.MARKETS_HELP }; }],
  ["deploy-liquidator", async () => {
    const m = await import("./deployLiquidatorCommand.js");
    return { run: m.deployLiquidatorCommand, help: m.DEPLOY_LIQUIDATOR_HELP };
  }],
]);

async function help(): Promise<string> {
  const [run, sandbox, scan, inspect, markets, deployLiquidator] = await Promise.all([...COMMANDS.values()].map((load) => load()));
  return `keeper: a liquidation keeper for Aave V3

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

${run!.help}

${sandbox!.help}

${scan!.help}

${inspect!.help}

${markets!.help}

${deployLiquidator!.help}`;
}

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
  const load = command === undefined ? undefined : COMMANDS.get(command);
  if (load !== undefined) return (await load()).run(rest);
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(await help());
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
  (code) => exitAfterOutput(code),
  (err: unknown) => {
    // parseArgs reports unknown or malformed flags with ERR_PARSE_ARGS_* codes: usage errors too.
    // Bad settings (ConfigError) exit 2 too: the operator must fix input, retrying will not help.
    const usage =
      err instanceof UsageError || err instanceof ConfigError || err instanceof MarketDiscoveryError || err instanceof CheckpointError ||
      err instanceof UnsupportedPoolRevisionError || (err as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS");
    console.error(`keeper: ${describeError(err)}`);
    return exitAfterOutput(usage ? 2 : 1);
  },
);
