// `keeper markets`: the names POOL_ADDRESSES_PROVIDER accepts (every Aave V3 market of the address
// book), with their chain and PoolAddressesProvider. Reads no settings and no chain.
import { parseArgs } from "node:util";
import { KNOWN_MARKETS } from "../config/index.js";
import { formatTable } from "../util/table.js";

export const MARKETS_HELP = `keeper markets [--json]
  Lists the Aave V3 markets POOL_ADDRESSES_PROVIDER accepts by name (from @aave-dao/aave-address-book).
  A name is the book's name without "AaveV3", words joined by "-", lowercase (AaveV3EthereumLido:
  ethereum-lido); case, "-", "_" and the "AaveV3" prefix do not matter. An address works for any
  market or fork. keeper checks the market's chain id against the node's at start.
  --json      machine-readable output`;

export function marketsCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true });
  if (values.help) {
    console.log(MARKETS_HELP);
    return 0;
  }
  if (values.json) {
    const rows = KNOWN_MARKETS.map((m) => ({
      name: m.name,
      bookName: m.bookName,
      aliases: m.aliases,
      chainId: m.chainId,
      poolAddressesProvider: m.poolAddressesProvider,
      pool: m.pool,
      ...(m.deploymentBlock !== undefined && { deploymentBlock: m.deploymentBlock.toString() }),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  console.log(
    formatTable(
      ["name", "address book", "chain id", "pool addresses provider"],
      KNOWN_MARKETS.map((m) => [[m.name, ...m.aliases].join(", "), m.bookName, String(m.chainId), m.poolAddressesProvider]),
    ),
  );
  return 0;
}
