// keeper's command line: dispatches to one module per command; src/cli/exit.ts turns errors into an exit.
// Each command's module is imported only when that command runs: `keeper run` never loads the
// sandbox's deployment code, and only `keeper inspect` loads Aave's JS utilities (ethers).
import { readFileSync } from "node:fs";
import { exitAfterOutput, exitOnError } from "./exit.js";
import { UsageError } from "./usage.js";

interface Command {
  run(argv: string[]): Promise<number> | number;
  help: string;
}

const COMMANDS = new Map<string, () => Promise<Command>>([
  [
    "run",
    async () => {
      const m = await import("./runCommand.js");
      return { run: m.runCommand, help: m.RUN_HELP };
    },
  ],
  [
    "sandbox",
    async () => {
      const m = await import("./sandboxCommand.js");
      return { run: m.sandboxCommand, help: m.SANDBOX_HELP };
    },
  ],
  [
    "scan",
    async () => {
      const m = await import("./scanCommand.js");
      return { run: m.scanCommand, help: m.SCAN_HELP };
    },
  ],
  [
    "inspect",
    async () => {
      const m = await import("./inspectCommand.js");
      return { run: m.inspectCommand, help: m.INSPECT_HELP };
    },
  ],
  [
    "markets",
    async () => {
      const m = await import("./marketsCommand.js");
      return { run: m.marketsCommand, help: m.MARKETS_HELP };
    },
  ],
  [
    "deploy-liquidator",
    async () => {
      const m = await import("./deployLiquidatorCommand.js");
      return { run: m.deployLiquidatorCommand, help: m.DEPLOY_LIQUIDATOR_HELP };
    },
  ],
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

// Every error, whatever its class, becomes an exit in src/cli/exit.ts (the README's table of exit codes).
main(process.argv.slice(2)).then(exitAfterOutput, exitOnError);
