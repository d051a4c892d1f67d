// The sandbox markets. Aave 3.0: six reserves with risk parameters close to Aave V3 Ethereum's at
// launch (2023), decimals 6, 8 and 18, and one stablecoin eMode category. Aave 3.6: the same six
// plus two ETH-correlated reserves, two eMode categories set by bitmaps (one with an LTV-zero asset),
// one reserve whose liquidation threshold is 0 outside eMode. Percentages are basis points.

/** The Aave versions the sandbox can deploy (POOL_REVISION 1 and 10). */
export type AaveVersion = "3.0" | "3.6";
export const AAVE_VERSIONS: readonly AaveVersion[] = ["3.0", "3.6"];

export interface RateStrategySpec {
  /** all in ray (1e27) */
  optimalUsageRatio: bigint;
  baseVariableBorrowRate: bigint;
  variableRateSlope1: bigint;
  variableRateSlope2: bigint;
}

export interface AssetSpec {
  symbol: string;
  name: string;
  decimals: number;
  /** USD, 8 decimals, as a Chainlink feed answers */
  priceUsd: bigint;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  reserveFactor: number;
  liquidationProtocolFee: number;
  /** Aave 3.0 only (the category id lives in the reserve's configuration); 0 = none. 3.6 uses EModeSpec's lists. */
  eModeCategory: number;
  /** false: the reserve cannot be borrowed outside an eMode category that lists it (default true) */
  borrowingEnabled?: boolean;
  rates: RateStrategySpec;
  /** liquidity the sandbox supplies at deployment, in USD */
  seedLiquidityUsd: bigint;
}

export interface EModeSpec {
  id: number;
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  label: string;
  /** Aave 3.6 bitmaps, by symbol: assets that count with the category's LTV/LT, may be borrowed, */
  collateral?: readonly string[];
  borrowable?: readonly string[];
  /** and count with LTV 0 (LT unchanged) in the category */
  ltvzero?: readonly string[];
}

const RAY = 10n ** 27n;
const pct = (basisPoints: number): bigint => (RAY * BigInt(basisPoints)) / 10_000n;

const volatileRates: RateStrategySpec = {
  optimalUsageRatio: pct(8000),
  baseVariableBorrowRate: 0n,
  variableRateSlope1: pct(380),
  variableRateSlope2: pct(8000),
};
const stableRates: RateStrategySpec = {
  optimalUsageRatio: pct(9000),
  baseVariableBorrowRate: 0n,
  variableRateSlope1: pct(400),
  variableRateSlope2: pct(6000),
};

const usd = (dollars: number): bigint => BigInt(Math.round(dollars * 1e8));

export const SANDBOX_ASSETS: readonly AssetSpec[] = [
  {
    symbol: "WETH",
    name: "Wrapped Ether",
    decimals: 18,
    priceUsd: usd(3000),
    ltv: 8050,
    liquidationThreshold: 8300,
    liquidationBonus: 10500,
    reserveFactor: 1500,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    rates: volatileRates,
    seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "USDC",
    name: "USD Coin",
    decimals: 6,
    priceUsd: usd(1),
    ltv: 7700,
    liquidationThreshold: 7900,
    liquidationBonus: 10450,
    reserveFactor: 1000,
    liquidationProtocolFee: 1000,
    eModeCategory: 1,
    rates: stableRates,
    seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "WBTC",
    name: "Wrapped BTC",
    decimals: 8,
    priceUsd: usd(60000),
    ltv: 7300,
    liquidationThreshold: 7800,
    liquidationBonus: 10500,
    reserveFactor: 2000,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    rates: volatileRates,
    seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "DAI",
    name: "Dai Stablecoin",
    decimals: 18,
    priceUsd: usd(1),
    ltv: 6700,
    liquidationThreshold: 7700,
    liquidationBonus: 10400,
    reserveFactor: 1000,
    liquidationProtocolFee: 1000,
    eModeCategory: 1,
    rates: stableRates,
    seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "LINK",
    name: "ChainLink Token",
    decimals: 18,
    priceUsd: usd(15),
    ltv: 5300,
    liquidationThreshold: 6800,
    liquidationBonus: 10700,
    reserveFactor: 2000,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    rates: volatileRates,
    seedLiquidityUsd: 200_000_000n,
  },
  {
    symbol: "USDT",
    name: "Tether USD",
    decimals: 6,
    priceUsd: usd(1),
    ltv: 7400,
    liquidationThreshold: 7600,
    liquidationBonus: 10450,
    reserveFactor: 1000,
    liquidationProtocolFee: 1000,
    eModeCategory: 1,
    rates: stableRates,
    seedLiquidityUsd: 500_000_000n,
  },
];

export const SANDBOX_EMODES: readonly EModeSpec[] = [
  { id: 1, ltv: 9300, liquidationThreshold: 9500, liquidationBonus: 10100, label: "Stablecoins" },
];

/**
 * Aave 3.6: the six 3.0 reserves with the same parameters (eMode now by bitmaps), plus
 * wstETH, a reserve with LTV and LT 0 that is collateral only inside the ETH-correlated eMode (as
 * mainnet lists Pendle PTs), and weETH, collateral in that category with LTV 0 there.
 */
export const SANDBOX_ASSETS_V36: readonly AssetSpec[] = [
  ...SANDBOX_ASSETS.map((a) => ({ ...a, eModeCategory: 0 })),
  {
    symbol: "wstETH",
    name: "Wrapped liquid staked Ether",
    decimals: 18,
    priceUsd: usd(3600),
    ltv: 0,
    liquidationThreshold: 0,
    liquidationBonus: 0,
    reserveFactor: 500,
    borrowingEnabled: false,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    rates: volatileRates,
    seedLiquidityUsd: 200_000_000n,
  },
  {
    symbol: "weETH",
    name: "Wrapped eETH",
    decimals: 18,
    priceUsd: usd(3200),
    ltv: 7250,
    liquidationThreshold: 7500,
    liquidationBonus: 10750,
    reserveFactor: 1500,
    liquidationProtocolFee: 1000,
    eModeCategory: 0,
    rates: volatileRates,
    seedLiquidityUsd: 200_000_000n,
  },
];

export const SANDBOX_EMODES_V36: readonly EModeSpec[] = [
  {
    id: 1,
    ltv: 9300,
    liquidationThreshold: 9500,
    liquidationBonus: 10100,
    label: "Stablecoins",
    collateral: ["USDC", "DAI", "USDT"],
    borrowable: ["USDC", "DAI", "USDT"],
    ltvzero: [],
  },
  {
    id: 2,
    ltv: 9300,
    liquidationThreshold: 9500,
    liquidationBonus: 10100,
    label: "ETH correlated",
    collateral: ["WETH", "wstETH", "weETH"],
    borrowable: ["WETH", "weETH"],
    ltvzero: ["weETH"],
  },
];

/** Total flash-loan premium on 3.6, as on Ethereum Core (5 bps); 3.0 keeps the pool's default (9 bps). */
export const FLASH_LOAN_PREMIUM_V36 = 5n;

export function sandboxSpec(version: AaveVersion): { assets: readonly AssetSpec[]; eModes: readonly EModeSpec[] } {
  return version === "3.6"
    ? { assets: SANDBOX_ASSETS_V36, eModes: SANDBOX_EMODES_V36 }
    : { assets: SANDBOX_ASSETS, eModes: SANDBOX_EMODES };
}

/** Price of the USD "market reference currency" feed UiPoolDataProviderV3 wants; 1 USD. */
export const USD_PRICE = usd(1);
