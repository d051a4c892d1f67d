// The Aave V3 markets keeper knows by name, so an operator can write
// POOL_ADDRESSES_PROVIDER=ethereum instead of pasting an address: every Aave V3 market of the npm
// address book (@aave-dao/aave-address-book), read from the small generated table addressBook.ts
// (scripts/generate-known-markets.ts; a unit test checks it equals the installed book).
//
// Naming rule: a market's name is its book name without "AaveV3", its words joined by "-" and
// lowercased (AaveV3Ethereum -> ethereum, AaveV3EthereumLido -> ethereum-lido, AaveV3ZkSync ->
// zk-sync). Lookups ignore case, "-", "_" and the "AaveV3" prefix, so "AaveV3EthereumLido",
// "ethereumlido" and "zksync" work too; "mainnet" is an extra alias of ethereum.
import { ADDRESS_BOOK_V3_MARKETS } from "./addressBook.js";

export interface KnownMarket {
  /** Canonical name, lowercase (the naming rule above); what describeConfig and error messages show. */
  name: string;
  /** The address book's name, e.g. "AaveV3Ethereum". */
  bookName: string;
  /** Other names accepted besides the book name; compared like names (case, "-", "_" ignored). */
  aliases: readonly string[];
  chainId: number;
  poolAddressesProvider: `0x${string}`;
  pool: `0x${string}`;
  /**
   * Block of the market's deployment: where a backfill of its events can start. The book has no
   * such field; only filled in where we are sure of it; without it the caller needs START_BLOCK.
   */
  deploymentBlock?: bigint;
}

/** Deployment blocks we know (the book does not carry them). */
const DEPLOYMENT_BLOCKS: Readonly<Record<string, bigint>> = { AaveV3Ethereum: 16291127n };

/** Names kept working from before the address book. */
const EXTRA_ALIASES: Readonly<Record<string, readonly string[]>> = { AaveV3Ethereum: ["mainnet"] };

/** "AaveV3EthereumLido" -> "ethereum-lido", "AaveV3BNB" -> "bnb", "AaveV3XLayer" -> "x-layer". */
export function marketNameOf(bookName: string): string {
  return bookName
    .replace(/^AaveV3/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

/** What names are compared by: "AaveV3-Ethereum_Lido", "ethereum-lido" and "EthereumLido" are one name. */
function nameKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[-_\s]/g, "")
    .replace(/^aavev3/, "");
}

export const KNOWN_MARKETS: readonly KnownMarket[] = Object.freeze(
  ADDRESS_BOOK_V3_MARKETS.map((m): KnownMarket => {
    const deploymentBlock = DEPLOYMENT_BLOCKS[m.book];
    return {
      name: marketNameOf(m.book),
      bookName: m.book,
      aliases: EXTRA_ALIASES[m.book] ?? [],
      chainId: m.chainId,
      poolAddressesProvider: m.poolAddressesProvider,
      pool: m.pool,
      ...(deploymentBlock !== undefined && { deploymentBlock }),
    };
  }),
);

/** The market called `name` (its name, book name or an alias; case, "-" and "_" ignored). */
export function findMarketByName(name: string): KnownMarket | undefined {
  const wanted = nameKey(name);
  if (wanted === "") return undefined;
  return KNOWN_MARKETS.find((m) => nameKey(m.bookName) === wanted || m.aliases.some((a) => nameKey(a) === wanted));
}

/**
 * The known market with this PoolAddressesProvider. Several chains share one
 * provider address, so without a chain id this answers only when the address is
 * unambiguous; callers that learn the chain id from the node can ask again.
 */
export function findKnownMarket(provider: string, chainId?: number): KnownMarket | undefined {
  const wanted = provider.toLowerCase();
  const matches = KNOWN_MARKETS.filter(
    (m) => m.poolAddressesProvider.toLowerCase() === wanted && (chainId === undefined || m.chainId === chainId),
  );
  return matches.length === 1 ? matches[0] : undefined;
}
