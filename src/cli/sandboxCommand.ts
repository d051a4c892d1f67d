// `keeper sandbox`: a local chain with a real Aave V3 market and borrowers, kept up until Ctrl-C.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SANDBOX_BORROWERS, DEFAULT_SANDBOX_SEED, describeSandbox, startSandbox } from "../sandbox/sandbox.js";
import { formatMarketSummary, readMarketSummary } from "../sandbox/summary.js";
import { UsageError, parseIntegerOption } from "./usage.js";

export const SANDBOX_HELP = `keeper sandbox [options]
  Starts a local anvil chain, deploys a complete Aave V3 market on it, creates borrowers,
  prints the market and keeps the chain running (Ctrl-C stops it).

  --borrowers N     number of borrowers (default ${DEFAULT_SANDBOX_BORROWERS})
  --seed N          seed of the borrower generator (default ${DEFAULT_SANDBOX_SEED})
  --port N          anvil port on 127.0.0.1 (default: a free port)
  --block-time S    seconds between blocks once built (default 2; 0 = a block per transaction)
  --out FILE        where to write the RPC URL and addresses (default .keeper/sandbox.json)
  --exit            build, print, write the file, then stop (no long-running chain)`;

export async function sandboxCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      borrowers: { type: "string" },
      seed: { type: "string" },
      port: { type: "string" },
      "block-time": { type: "string" },
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
  const borrowers = parseIntegerOption("--borrowers", values.borrowers, DEFAULT_SANDBOX_BORROWERS, 0, 100_000);
  const seed = parseIntegerOption("--seed", values.seed, DEFAULT_SANDBOX_SEED, 0, 2 ** 32 - 1);
  const port = values.port === undefined ? undefined : parseIntegerOption("--port", values.port, 0, 1, 65_535);
  const blockTime = parseIntegerOption("--block-time", values["block-time"], 2, 0, 3600);
  const out = resolve(values.out ?? ".keeper/sandbox.json");

  console.log(`Starting the sandbox: anvil, an Aave V3 market, ${borrowers} borrowers (seed ${seed})...`);
  const sandbox = await startSandbox({ borrowers, seed, port, blockTime });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await sandbox.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  try {
    const t = sandbox.timings;
    console.log(
      `Built in ${((t.anvilMs + t.deployMs + t.borrowersMs) / 1000).toFixed(1)} s ` +
        `(anvil ${Math.round(t.anvilMs)} ms, market ${Math.round(t.deployMs)} ms, borrowers ${Math.round(t.borrowersMs)} ms).\n`,
    );
    const summary = await readMarketSummary(sandbox.market, sandbox.borrowers.map((b) => b.address));
    console.log(formatMarketSummary(summary));

    const description = describeSandbox(sandbox, seed);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, JSON.stringify(description, null, 2) + "\n");
    renameSync(`${out}.tmp`, out);
    const m = sandbox.market;
    console.log(`
RPC URL                  ${m.rpcUrl}
PoolAddressesProvider    ${m.addressesProvider}
Pool                     ${m.pool}
AaveOracle               ${m.oracle}
UiPoolDataProviderV3     ${m.uiPoolDataProvider}
deployment block         ${m.deploymentBlock}
Addresses written to ${out}
Point a tool at it, e.g.: RPC_URL=${m.rpcUrl} POOL_ADDRESSES_PROVIDER=${m.addressesProvider} START_BLOCK=${m.deploymentBlock}`);
  } catch (err) {
    await sandbox.stop();
    throw err;
  }
  if (values.exit) {
    await sandbox.stop();
    return 0;
  }
  console.log(`\nsandbox ready: mining a block every ${blockTime || "transaction"}${blockTime ? " s" : ""}; Ctrl-C stops it.`);
  await sandbox.anvil.exited;
  if (!stopping) throw new Error("anvil stopped unexpectedly");
  return 0;
}
