// The parts for a discovered pool: the executor (the wallet's key, nonces, sends), the capital
// sources (the wallet's tokens; flash loans through the Liquidator when one is set) and the scheduler
// over them. With a Liquidator every liquidation goes through it (guarded), the wallet's tokens
// pulled by it.
import { zeroAddress, type Address } from "viem";
import type { Connections } from "../chain/connections.js";
import { UniswapQuoter } from "../chain/uniswapQuoter.js";
import { FlashLoanSource } from "../capital/flashLoan/flashLoanSource.js";
import type { CapitalSource } from "../capital/source.js";
import { WalletSource } from "../capital/wallet/walletSource.js";
import type { Settings } from "../config/settings.js";
import { Executor } from "../executor/executor.js";
import type { Logger } from "../logging.js";
import type { AccountBook } from "../risk/accountBook.js";
import type { ProtocolRules } from "../risk/rules.js";
import { Scheduler } from "../scheduler/scheduler.js";
import type { MarketInfo } from "../watcher/marketReader.js";
import type { KeeperEventBus } from "./events.js";

/** The flash-loan path's settings: the Liquidator (owned by PRIVATE_KEY's address), Uniswap V3, slippage. */
export interface FlashSettings {
  liquidator: Address;
  /** UNISWAP_V3_FACTORY and UNISWAP_V3_QUOTER (resolveUniswap); the router is the contract's own */
  factory: Address;
  quoter: Address;
  routingHubs: readonly Address[];
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
}

export interface PartsOptions {
  connections: Connections;
  chainId: number;
  /** PRIVATE_KEY, DRY_RUN and the fee settings (PRIVATE_TX_URL is in the connections) */
  executor: Omit<Settings["executor"], "privateTxUrl">;
  scheduler: Settings["scheduler"];
  flash?: FlashSettings;
  logger: Logger;
  book: AccountBook;
  rules: () => ProtocolRules;
  events: KeeperEventBus;
}

export interface Parts {
  executor: Executor;
  wallet: WalletSource;
  flash?: FlashLoanSource;
  scheduler: Scheduler;
}

export function assembleParts(o: PartsOptions, info: MarketInfo): Parts {
  const dryRun = o.executor.dryRun;
  const f = o.flash;
  const executor = new Executor({
    connections: o.connections,
    chainId: o.chainId,
    pool: info.addresses.pool,
    ...o.executor,
    logger: o.logger,
    ...(f && { walletSpender: f.liquidator, slippageBps: f.slippageBps }),
  });
  // Who calls the pool (3.4+ refuses self-liquidation); without a liquidator a dry run counts the wallet unlimited.
  const wallet = new WalletSource({ liquidator: () => f?.liquidator ?? executor.address, limited: !dryRun || f !== undefined });
  const flash =
    f &&
    new FlashLoanSource({
      liquidator: f.liquidator,
      quoter: new UniswapQuoter(o.connections.client, { factory: f.factory, quoter: f.quoter, hubs: f.routingHubs }),
      slippageBps: f.slippageBps,
      logger: o.logger,
    });
  // Two-hop routes through any reserve of the market as well as the chain's usual hubs.
  flash?.useHubs(
    info.reservesList.filter((a) => a !== zeroAddress),
    f?.routingHubs ?? [],
  );
  const sources: CapitalSource[] = flash ? [wallet, flash] : [wallet];
  const scheduler = new Scheduler({
    book: o.book,
    rules: o.rules,
    executor,
    sources,
    pack: { pool: info.addresses.pool, ...(f && { liquidator: f.liquidator }), maxItems: o.scheduler.batchMaxItems },
    events: o.events,
    dryRun,
    ...(flash && { flash }),
  });
  return { executor, wallet, ...(flash && { flash }), scheduler };
}
