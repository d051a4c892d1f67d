// Reading what the keeper did from the chain itself: liquidation events, its transactions and
// their status, and who was liquidatable at a block.
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { multicallOptions } from "../../src/chain/multicall.js";

export async function liquidatableAt(
  client: PublicClient,
  pool: Address,
  users: readonly Address[],
  blockNumber: bigint,
): Promise<Address[]> {
  const data = await client.multicall({
    ...multicallOptions,
    allowFailure: false,
    blockNumber,
    contracts: users.map((user) => ({ address: pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }) as const),
  });
  return users.filter((_, i) => data[i]![5] < 10n ** 18n);
}

export interface KeeperLiquidation {
  user: Address;
  collateralAsset: Address;
  debtAsset: Address;
  blockNumber: bigint;
  transactionHash: Hex;
  debtToCover: bigint;
  collateral: bigint;
}

export async function liquidationsBy(
  client: PublicClient,
  pool: Address,
  liquidator: Address,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<KeeperLiquidation[]> {
  const logs = await client.getLogs({ address: pool, fromBlock, toBlock });
  return parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs })
    .filter((l) => l.args.liquidator.toLowerCase() === liquidator.toLowerCase())
    .map((l) => ({
      user: l.args.user,
      collateralAsset: l.args.collateralAsset,
      debtAsset: l.args.debtAsset,
      blockNumber: l.blockNumber,
      transactionHash: l.transactionHash,
      debtToCover: l.args.debtToCover,
      collateral: l.args.liquidatedCollateralAmount,
    }));
}

/** Every transaction `from` sent in the range, with its receipt status. */
export async function transactionsFrom(
  client: PublicClient,
  from: Address,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<{ hash: Hex; status: string; blockNumber: bigint }[]> {
  const out: { hash: Hex; status: string; blockNumber: bigint }[] = [];
  for (let b = fromBlock; b <= toBlock; b++) {
    const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== from.toLowerCase()) continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      out.push({ hash: tx.hash, status: receipt.status, blockNumber: b });
    }
  }
  return out;
}

export async function waitForBlock(client: PublicClient, target: bigint, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while ((await client.getBlockNumber({ cacheTime: 0 })) < target) {
    if (Date.now() - started > timeoutMs) throw new Error(`block ${target} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Where each of `from`'s transactions in the range would land if every block from `fromBlock` on were
 * filled with them in the order they were mined: 1 + the gas of those before it ÷ the block gas limit,
 * rounded up (the block-gas floor, counted from fromBlock - 1 as 0). By hash.
 */
export async function blockGasFloors(client: PublicClient, from: Address, fromBlock: bigint, toBlock: bigint): Promise<Map<Hex, number>> {
  const { gasLimit } = await client.getBlock({ blockNumber: fromBlock });
  const floors = new Map<Hex, number>();
  let cumulative = 0n;
  for (let b = fromBlock; b <= toBlock; b++) {
    const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== from.toLowerCase()) continue;
      cumulative += (await client.getTransactionReceipt({ hash: tx.hash })).gasUsed;
      floors.set(tx.hash, Number((cumulative + gasLimit - 1n) / gasLimit));
    }
  }
  return floors;
}

/** Reverts of a plan made on a stale view of the account (issue 16's four kinds): the keeper must never plan these. */
export const STALE_VIEW =
  /HEALTH_FACTOR_NOT_BELOW_THRESHOLD|HealthFactorNotBelowThreshold|COLLATERAL_CANNOT_BE_LIQUIDATED|CollateralCannotBeLiquidated|SPECIFIED_CURRENCY_NOT_BORROWED|SpecifiedCurrencyNotBorrowedByUser|PANIC|Panic|FlashloanDisabled|FLASHLOAN_DISABLED/;

/** A simulation failure's kind: its reason's first word ("PROFIT_BELOW_MINIMUM", "the simulated profit ..." → "the"). */
export function reasonKind(reason: unknown): string {
  const text = String(reason);
  return text.startsWith("the simulated profit") ? "below its floor" : (text.split(/[:( ]/)[0] ?? text);
}
