// The Aave V3 markets keeper knows by name, so an operator can write
// POOL_ADDRESSES_PROVIDER=ethereum instead of pasting an address.
//
// A small hand-written table rather than a dependency on
// @bgd-labs/aave-address-book: we need a handful of addresses. The values are
// the address book's (AaveV3Ethereum.ts, AaveV3Arbitrum.ts, AaveV3Base.ts, ...);
// test/unit/config.test.ts checks their EIP-55 checksums.

export interface KnownMarket {
  /** Canonical name, lowercase; what describeConfig and error messages show. */
  name: string;
  /** Other names accepted (case-insensitive), e.g. the address book's "AaveV3Ethereum". */
  aliases: readonly string[];
  chainId: number;
  poolAddressesProvider: `0x${string}`;
  pool: `0x${string}`;
  /**
   * Block of the market's deployment: where a backfill of its events can start.
   * Only filled in where we are sure of it; without it the caller needs START_BLOCK.
   */
  deploymentBlock?: bigint;
}

// Arbitrum, Optimism, Polygon and Avalanche V3 were deployed at the same
// addresses on each chain, so an address alone does not say which market it is.
const L2_PROVIDER = "0xa97684ead0e402dC232d5A977953DF7ECBaB3CDb";
const L2_POOL = "0x794a61358D6845594F94dc1DB02A252b5b4814aD";

export const KNOWN_MARKETS: readonly KnownMarket[] = Object.freeze([
  {
    name: "ethereum",
    aliases: ["mainnet", "AaveV3Ethereum"],
    chainId: 1,
    poolAddressesProvider: "0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e",
    pool: "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2",
    deploymentBlock: 16291127n,
  },
  {
    name: "arbitrum",
    aliases: ["AaveV3Arbitrum"],
    chainId: 42161,
    poolAddressesProvider: L2_PROVIDER,
    pool: L2_POOL,
  },
  {
    name: "optimism",
    aliases: ["AaveV3Optimism"],
    chainId: 10,
    poolAddressesProvider: L2_PROVIDER,
    pool: L2_POOL,
  },
  {
    name: "polygon",
    aliases: ["AaveV3Polygon"],
    chainId: 137,
    poolAddressesProvider: L2_PROVIDER,
    pool: L2_POOL,
  },
  {
    name: "avalanche",
    aliases: ["AaveV3Avalanche"],
    chainId: 43114,
    poolAddressesProvider: L2_PROVIDER,
    pool: L2_POOL,
  },
  {
    name: "base",
    aliases: ["AaveV3Base"],
    chainId: 8453,
    poolAddressesProvider: "0xe20fCBdBfFC4Dd138cE8b2E6FBb6CB49777ad64D",
    pool: "0xA238Dd80C259a72e81d7e4664a9801593F98d1c5",
  },
] satisfies KnownMarket[]);

/** The market called `name` (or one of its aliases), case-insensitively. */
export function findMarketByName(name: string): KnownMarket | undefined {
  const wanted = name.toLowerCase();
  return KNOWN_MARKETS.find((m) => m.name === wanted || m.aliases.some((a) => a.toLowerCase() === wanted));
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
