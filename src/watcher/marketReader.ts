// Reads the market: its addresses (discovered from the PoolAddressesProvider), its version, and per
// block every reserve's indexes, rates, configuration and price plus the eMode categories, in ONE
// eth_call (a Multicall3 aggregate3), whatever the number of reserves.
import {
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  zeroAddress,
  type Address,
  type PublicClient,
} from "viem";
import { aaveOracleAbi, poolAbi, poolAddressesProviderAbi } from "../../contracts-abi/aave/index.js";
import { MULTICALL3_ADDRESS } from "../chain/multicall.js";
import { EXIT_BAD_INPUT, KeeperError } from "../errors.js";
import type { EModeCategoryState, MarketState, ReserveState } from "../risk/types.js";
import { marketReadingFor, type MarketReading } from "./marketReading.js";

export interface MarketAddresses {
  addressesProvider: Address;
  pool: Address;
  poolConfigurator: Address;
  oracle: Address;
  dataProvider: Address;
}

export interface MarketInfo {
  addresses: MarketAddresses;
  poolRevision: bigint;
  baseCurrencyUnit: bigint;
  /** Pool.getReservesList(): index = reserve id for V3 (dropped reserves leave address(0)) */
  reservesList: Address[];
}

/** A non-contract or wrong address answers garbage; say which setting is wrong. */
export class MarketDiscoveryError extends KeeperError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: EXIT_BAD_INPUT, retryable: false, cause: options.cause });
    this.name = "MarketDiscoveryError";
  }
}

/** The contract itself answered the call with a revert or with nothing to decode (not a transport failure). */
function contractAnswered(err: unknown): boolean {
  const answer = (e: unknown) => e instanceof ContractFunctionRevertedError || e instanceof ContractFunctionZeroDataError;
  return err instanceof BaseError && err.walk(answer) !== null;
}

export async function discoverMarket(client: PublicClient, addressesProvider: Address, blockNumber?: bigint): Promise<MarketInfo> {
  const at = blockNumber === undefined ? {} : { blockNumber };
  const read = <F extends "getPool" | "getPoolConfigurator" | "getPriceOracle" | "getPoolDataProvider">(functionName: F) =>
    client.readContract({ address: addressesProvider, abi: poolAddressesProviderAbi, functionName, ...at });
  // The code check and the provider's reads at once: one round trip fewer before every start's first liquidation.
  const [code, ...reads] = await Promise.allSettled([
    client.getCode({ address: addressesProvider, ...at }),
    read("getPool"),
    read("getPoolConfigurator"),
    read("getPriceOracle"),
    read("getPoolDataProvider"),
  ]);
  if (code.status === "rejected") throw code.reason;
  if (!code.value || code.value === "0x") {
    throw new MarketDiscoveryError(`POOL_ADDRESSES_PROVIDER: no contract at ${addressesProvider} on this chain`);
  }
  const failed = reads.find((r) => r.status === "rejected");
  if (failed) {
    // A node that did not answer is an outage (retried), not a wrong address (exit 2).
    if (!contractAnswered(failed.reason)) throw failed.reason;
    throw new MarketDiscoveryError(`POOL_ADDRESSES_PROVIDER: ${addressesProvider} is not an Aave V3 PoolAddressesProvider`, {
      cause: failed.reason,
    });
  }
  const [pool, poolConfigurator, oracle, dataProvider] = reads.map((r) => (r as PromiseFulfilledResult<Address>).value) as [
    Address,
    Address,
    Address,
    Address,
  ];
  const addresses: MarketAddresses = { addressesProvider, pool, poolConfigurator, oracle, dataProvider };
  if (addresses.pool === zeroAddress) throw new MarketDiscoveryError(`POOL_ADDRESSES_PROVIDER: ${addressesProvider} has no pool set`);
  const [poolRevision, reservesList, baseCurrencyUnit] = await Promise.all([
    client.readContract({ address: addresses.pool, abi: poolAbi, functionName: "POOL_REVISION", ...at }),
    client.readContract({ address: addresses.pool, abi: poolAbi, functionName: "getReservesList", ...at }),
    client.readContract({ address: addresses.oracle, abi: aaveOracleAbi, functionName: "BASE_CURRENCY_UNIT", ...at }),
  ]);
  return { addresses, poolRevision, baseCurrencyUnit, reservesList: [...reservesList] };
}

/**
 * Reads MarketState at a block in ONE eth_call: every reserve (getReserveData, and on 3.1+ its grace
 * period), every price, the flash-loan premium and the eMode categories to know. Those are the ones named
 * by reserves' configuration (V3.0/3.1 bits 168-175) and any the caller adds (users' categories; on 3.2+
 * the only way a category is met). What is read per version is in marketReading.ts.
 */
export class MarketReader {
  private readonly eModeIds = new Set<number>();
  private reading: MarketReading;

  constructor(
    private readonly client: PublicClient,
    private info: MarketInfo,
  ) {
    this.reading = marketReadingFor(info.poolRevision);
  }

  reload(info: MarketInfo): void {
    this.info = info;
    this.reading = marketReadingFor(info.poolRevision);
  }

  /** eMode categories users are in, so their parameters are read too. */
  addEModeCategories(ids: Iterable<number>): void {
    for (const id of ids) if (id !== 0) this.eModeIds.add(id);
  }

  async read(blockNumber: bigint, previous?: MarketState): Promise<MarketState> {
    const { pool, oracle } = this.info.addresses;
    const reading = this.reading;
    const assets = this.info.reservesList.filter((a) => a !== zeroAddress);
    const eModeIds = [...this.eModeIds];
    // Price sources of eMode categories (V3.0/3.1) are priced in the same call when already known.
    const priceSources = previous ? [...previous.eModes.values()].map((e) => e.priceSource).filter((s) => s !== zeroAddress) : [];
    const reserveCalls = assets.map((asset) => reading.reserveCalls(pool, asset));
    const eModeCalls = eModeIds.map((id) => reading.eModeCalls(pool, id));
    const results = (await this.client.multicall({
      allowFailure: false,
      multicallAddress: MULTICALL3_ADDRESS,
      batchSize: 0, // one eth_call, however many reserves
      blockNumber,
      // Heterogeneous calls, decoded per element by the version's reading.
      contracts: [
        { address: oracle, abi: aaveOracleAbi, functionName: "getAssetsPrices", args: [[...assets, ...priceSources]] },
        { address: pool, abi: poolAbi, functionName: "FLASHLOAN_PREMIUM_TOTAL", args: [] },
        ...reserveCalls.flat(),
        ...eModeCalls.flat(),
      ] as never[],
    })) as unknown[];
    const prices = results[0] as readonly bigint[];
    const flashLoanPremiumTotal = BigInt(results[1] as bigint);
    let k = 2;
    const reserves: (ReserveState | undefined)[] = [];
    const namedCategories = new Set<number>();
    assets.forEach((asset, i) => {
      const n = reserveCalls[i]!.length;
      const r = reading.decodeReserve(asset, results.slice(k, k + n), prices[i]!);
      k += n;
      if (r.eModeCategory !== 0) namedCategories.add(r.eModeCategory);
      reserves[r.id] = r;
    });
    const sourcePrice = new Map(priceSources.map((s, i) => [s.toLowerCase(), prices[assets.length + i]!]));
    const eModes = new Map<number, EModeCategoryState>();
    let unpriced = false;
    eModeIds.forEach((id, i) => {
      const n = eModeCalls[i]!.length;
      const category = reading.decodeEMode(id, results.slice(k, k + n), (source) => {
        const price = sourcePrice.get(source.toLowerCase());
        if (price === undefined) unpriced = true;
        return price ?? 0n;
      });
      k += n;
      if (category !== undefined) eModes.set(id, category);
    });
    const market: MarketState = { reserves, eModes, baseCurrencyUnit: this.info.baseCurrencyUnit, flashLoanPremiumTotal };

    // Categories met for the first time, or a price source not priced yet: one more read, rarely.
    const unknown = [...namedCategories].filter((id) => !this.eModeIds.has(id));
    if (unknown.length > 0 || unpriced) {
      this.addEModeCategories(unknown);
      return this.read(blockNumber, market);
    }
    return market;
  }
}

/** Reserve ids whose price, indexes, rates or configuration differ between two reads. */
export function changedReserves(before: MarketState, after: MarketState): number[] {
  const changed: number[] = [];
  const ids = Math.max(before.reserves.length, after.reserves.length);
  for (let id = 0; id < ids; id++) {
    const a = before.reserves[id];
    const b = after.reserves[id];
    if (!a || !b) {
      if (a !== b) changed.push(id);
      continue;
    }
    if (
      a.price !== b.price ||
      a.liquidityIndex !== b.liquidityIndex ||
      a.variableBorrowIndex !== b.variableBorrowIndex ||
      a.currentLiquidityRate !== b.currentLiquidityRate ||
      a.currentVariableBorrowRate !== b.currentVariableBorrowRate ||
      a.lastUpdateTimestamp !== b.lastUpdateTimestamp ||
      a.liquidationThreshold !== b.liquidationThreshold ||
      a.ltv !== b.ltv ||
      a.eModeCategory !== b.eModeCategory ||
      a.asset !== b.asset
    ) {
      changed.push(id);
    }
  }
  return changed;
}

/** Whether any eMode category's parameters differ (its members must be re-evaluated). */
export function changedEModes(before: MarketState, after: MarketState): number[] {
  const ids = new Set([...before.eModes.keys(), ...after.eModes.keys()]);
  return [...ids].filter((id) => {
    const a = before.eModes.get(id);
    const b = after.eModes.get(id);
    return (
      !a ||
      !b ||
      a.liquidationThreshold !== b.liquidationThreshold ||
      a.ltv !== b.ltv ||
      a.priceSourcePrice !== b.priceSourcePrice ||
      a.liquidationBonus !== b.liquidationBonus ||
      a.collateralBitmap !== b.collateralBitmap ||
      a.ltvzeroBitmap !== b.ltvzeroBitmap
    );
  });
}
