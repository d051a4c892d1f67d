// The sandbox market: six reserves with risk parameters close to Aave V3 Ethereum's at launch
// (2023), decimals 6, 8 and 18, and one stablecoin eMode category. Percentages are basis points.

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
  /** 0 = none */
  eModeCategory: number;
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
    symbol: "WETH", name: "Wrapped Ether", decimals: 18, priceUsd: usd(3000),
    ltv: 8050, liquidationThreshold: 8300, liquidationBonus: 10500, reserveFactor: 1500,
    liquidationProtocolFee: 1000, eModeCategory: 0, rates: volatileRates, seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "USDC", name: "USD Coin", decimals: 6, priceUsd: usd(1),
    ltv: 7700, liquidationThreshold: 7900, liquidationBonus: 10450, reserveFactor: 1000,
    liquidationProtocolFee: 1000, eModeCategory: 1, rates: stableRates, seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "WBTC", name: "Wrapped BTC", decimals: 8, priceUsd: usd(60000),
    ltv: 7300, liquidationThreshold: 7800, liquidationBonus: 10500, reserveFactor: 2000,
    liquidationProtocolFee: 1000, eModeCategory: 0, rates: volatileRates, seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "DAI", name: "Dai Stablecoin", decimals: 18, priceUsd: usd(1),
    ltv: 6700, liquidationThreshold: 7700, liquidationBonus: 10400, reserveFactor: 1000,
    liquidationProtocolFee: 1000, eModeCategory: 1, rates: stableRates, seedLiquidityUsd: 500_000_000n,
  },
  {
    symbol: "LINK", name: "ChainLink Token", decimals: 18, priceUsd: usd(15),
    ltv: 5300, liquidationThreshold: 6800, liquidationBonus: 10700, reserveFactor: 2000,
    liquidationProtocolFee: 1000, eModeCategory: 0, rates: volatileRates, seedLiquidityUsd: 200_000_000n,
  },
  {
    symbol: "USDT", name: "Tether USD", decimals: 6, priceUsd: usd(1),
    ltv: 7400, liquidationThreshold: 7600, liquidationBonus: 10450, reserveFactor: 1000,
    liquidationProtocolFee: 1000, eModeCategory: 1, rates: stableRates, seedLiquidityUsd: 500_000_000n,
  },
];

export const SANDBOX_EMODES: readonly EModeSpec[] = [
  { id: 1, ltv: 9300, liquidationThreshold: 9500, liquidationBonus: 10100, label: "Stablecoins" },
];

/** Price of the USD "market reference currency" feed UiPoolDataProviderV3 wants; 1 USD. */
export const USD_PRICE = usd(1);
