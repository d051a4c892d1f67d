// The events the watcher listens to, and what each one means for the account book: which users'
// positions it may have changed (they are re-read from chain, so the event is only a dirty marker)
// and whether the market's shape changed (new reserve, eMode category, moved contracts).
import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type Hex, type Log } from "viem";
import { aaveOracleAbi, aTokenAbi, poolAbi, poolAddressesProviderAbi, poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";

const eventsOf = (abi: readonly unknown[], names: readonly string[]): AbiEvent[] =>
  names.map((name) => {
    const item = (abi as AbiEvent[]).find((x) => x.type === "event" && x.name === name);
    if (!item) throw new Error(`event ${name} is not in the ABI`);
    return item;
  });

/** Pool events that change a user's position; see AAVE-V3.md §4. */
const POOL_USER_EVENTS = eventsOf(poolAbi, [
  "Supply", "Withdraw", "Borrow", "Repay", "LiquidationCall", "ReserveUsedAsCollateralEnabled",
  "ReserveUsedAsCollateralDisabled", "UserEModeSet", "SwapBorrowRateMode", "RebalanceStableBorrowRate", "MintUnbacked",
]);
/** aToken transfers move collateral with no Pool event. */
const ATOKEN_EVENTS = eventsOf(aTokenAbi, ["BalanceTransfer"]);
/** Reserve set, eMode categories or contract addresses changed: reload the market's shape. */
const MARKET_SHAPE_EVENTS = [
  ...eventsOf(poolConfiguratorAbi, ["ReserveInitialized", "ReserveDropped", "EModeCategoryAdded", "EModeAssetCategoryChanged"]),
  ...eventsOf(poolAddressesProviderAbi, ["PoolUpdated", "PriceOracleUpdated", "PoolConfiguratorUpdated"]),
];
/**
 * Configuration and price-source changes. The reserve reader reads every reserve's configuration
 * and every price each block anyway; these are logged so an operator sees why numbers moved.
 */
const MARKET_INFO_EVENTS = [
  ...eventsOf(poolConfiguratorAbi, [
    "CollateralConfigurationChanged", "LiquidationProtocolFeeChanged", "ReserveActive", "ReserveFrozen", "ReservePaused",
  ]),
  ...eventsOf(aaveOracleAbi, ["AssetSourceUpdated", "FallbackOracleUpdated"]),
];

const ALL_EVENTS = [...POOL_USER_EVENTS, ...ATOKEN_EVENTS, ...MARKET_SHAPE_EVENTS, ...MARKET_INFO_EVENTS];
const BY_SELECTOR = new Map<Hex, AbiEvent>(ALL_EVENTS.map((e) => [toEventSelector(e), e]));
const SHAPE_SELECTORS = new Set(MARKET_SHAPE_EVENTS.map((e) => toEventSelector(e)));

/** topic0 values for the eth_getLogs filter. */
export const WATCHED_TOPICS: Hex[] = [...BY_SELECTOR.keys()];

export interface LogMeaning {
  /** users whose position may have changed */
  users: Address[];
  /** the reserve list, eMode categories or contract addresses may have changed */
  marketShapeChanged: boolean;
  /** decoded event name, for logs */
  event: string;
}

/**
 * What one log means. `aTokens` are the market's aToken addresses: BalanceTransfer from any other
 * contract (a debt token, an unrelated ERC-20 that happens to share the signature) is ignored.
 */
export function interpretLog(log: Log, aTokens: ReadonlySet<string>): LogMeaning | undefined {
  const selector = log.topics[0];
  const abiEvent = selector ? BY_SELECTOR.get(selector) : undefined;
  if (!abiEvent) return undefined;
  if (SHAPE_SELECTORS.has(selector!)) return { users: [], marketShapeChanged: true, event: abiEvent.name };
  let args: Record<string, unknown>;
  try {
    args = decodeEventLog({ abi: [abiEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] }).args as Record<string, unknown>;
  } catch {
    // A log with this topic0 but another layout (non-indexed variant from an unrelated contract).
    return undefined;
  }
  switch (abiEvent.name) {
    case "Supply":
    case "Borrow":
    case "MintUnbacked":
      return meaning(abiEvent.name, args.onBehalfOf);
    case "Withdraw":
    case "Repay":
    case "ReserveUsedAsCollateralEnabled":
    case "ReserveUsedAsCollateralDisabled":
    case "UserEModeSet":
    case "SwapBorrowRateMode":
    case "RebalanceStableBorrowRate":
      return meaning(abiEvent.name, args.user);
    case "LiquidationCall":
      // The liquidator's own position changes too when it takes aTokens.
      return meaning(abiEvent.name, args.user, args.receiveAToken ? args.liquidator : undefined);
    case "BalanceTransfer":
      if (!aTokens.has(log.address.toLowerCase())) return undefined;
      return meaning(abiEvent.name, args.from, args.to);
    default:
      return { users: [], marketShapeChanged: false, event: abiEvent.name };
  }
}

const ZERO = "0x0000000000000000000000000000000000000000";

function meaning(event: string, ...users: unknown[]): LogMeaning {
  return {
    event,
    marketShapeChanged: false,
    users: users.filter((u): u is Address => typeof u === "string" && u !== ZERO),
  };
}
