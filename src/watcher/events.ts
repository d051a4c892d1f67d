// The events the watcher listens to, and what each one means for the account book: which users'
// positions it may have changed (they are re-read from chain, so the event is only a dirty marker)
// and whether the market's shape changed (new reserve, eMode category, moved contracts).
import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type Hex, type Log } from "viem";
import { aaveOracleAbi, aTokenAbi, poolAbi, poolAddressesProviderAbi, poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";
import { poolConfiguratorV36Abi, poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";

/** Each event from the first ABI that has it: the watched set is the union of 3.0's and 3.6's events. */
const eventsOf = (abis: readonly (readonly unknown[])[], names: readonly string[]): AbiEvent[] =>
  names.map((name) => {
    for (const abi of abis) {
      const item = (abi as AbiEvent[]).find((x) => x.type === "event" && x.name === name);
      if (item) return item;
    }
    throw new Error(`event ${name} is not in the ABIs`);
  });
const POOL = [poolAbi, poolV36Abi];
const CONFIGURATOR = [poolConfiguratorAbi, poolConfiguratorV36Abi];

/**
 * Pool events that change a user's position; see AAVE-V3.md §4. One list for every version: an event a
 * version does not have is never emitted there (SwapBorrowRateMode, RebalanceStableBorrowRate and
 * MintUnbacked are ≤3.1-3.3; DeficitCreated and DeficitCovered are 3.3+). DeficitCreated is also emitted
 * by the bad-debt burn of a liquidation for the user's other debt reserves (no other user event there).
 */
const POOL_USER_EVENTS = eventsOf(POOL, [
  "Supply",
  "Withdraw",
  "Borrow",
  "Repay",
  "LiquidationCall",
  "ReserveUsedAsCollateralEnabled",
  "ReserveUsedAsCollateralDisabled",
  "UserEModeSet",
  "SwapBorrowRateMode",
  "RebalanceStableBorrowRate",
  "MintUnbacked",
  "DeficitCreated",
  "DeficitCovered",
]);
/** aToken transfers move collateral with no Pool event. */
const ATOKEN_EVENTS = eventsOf([aTokenAbi], ["BalanceTransfer"]);
/**
 * Reserve set, eMode categories or contract addresses changed: reload the market's shape and recompute
 * every account. eMode membership (3.0: the reserve's category bits; 3.2+: the category's bitmaps) is
 * rare admin work, so a full recompute is the simple exact answer.
 */
const MARKET_SHAPE_EVENTS = [
  ...eventsOf(CONFIGURATOR, [
    "ReserveInitialized",
    "ReserveDropped",
    "EModeCategoryAdded",
    "EModeAssetCategoryChanged",
    "AssetCollateralInEModeChanged",
    "AssetLtvzeroInEModeChanged",
  ]),
  ...eventsOf([poolAddressesProviderAbi], ["PoolUpdated", "PriceOracleUpdated", "PoolConfiguratorUpdated"]),
];
/**
 * Configuration, grace period, premium and price-source changes. The market reader reads every
 * reserve's configuration and grace period, the premium and every price each block anyway; these are
 * logged so an operator sees why numbers moved. ReserveFlashLoaning (bit 63, the same event on 3.0 and
 * 3.6) decides whether a flash loan of the reserve reverts with FlashloanDisabled().
 */
const MARKET_INFO_EVENTS = [
  ...eventsOf(CONFIGURATOR, [
    "CollateralConfigurationChanged",
    "LiquidationProtocolFeeChanged",
    "ReserveActive",
    "ReserveFrozen",
    "ReservePaused",
    "ReserveFlashLoaning",
    "LiquidationGracePeriodChanged",
    "LiquidationGracePeriodDisabled",
    "AssetBorrowableInEModeChanged",
    "PendingLtvChanged",
    "FlashloanPremiumTotalUpdated",
  ]),
  ...eventsOf([aaveOracleAbi], ["AssetSourceUpdated", "FallbackOracleUpdated"]),
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
    case "DeficitCreated":
      return meaning(abiEvent.name, args.user);
    case "DeficitCovered":
      // eliminateReserveDeficit burns the caller's aTokens (Burn, which is not watched).
      return meaning(abiEvent.name, args.caller);
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
