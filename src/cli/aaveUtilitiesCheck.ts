// An independent cross-check of one account's health factor with Aave's official JS utilities:
// @aave/contract-helpers (UiPoolDataProvider over ethers v5) reads the market and the user, and
// @aave/math-utils (formatReserves + formatUserSummary) computes the summary. `keeper inspect` shows
// it next to keeper's own engine and Pool.getUserAccountData. It is slow and not bit-exact
// (math-utils accrues interest with its own BigNumber rounding), so it is for eyeballing and tests
// with a tolerance, never for the hot path.
//
// The libraries (~250 ms to load, mostly contract-helpers) are imported lazily inside the function.
// They are CommonJS; Node's ESM loader exposes their named exports (cjs-module-lexer understands
// tslib's __exportStar), and contract-helpers imports reflect-metadata itself.
//
// Version caveat: contract-helpers 1.38 and math-utils 1.38 speak the Aave V3.2+ periphery:
// UiPoolDataProviderV3 with getEModes(), eMode bitmaps, no stable debt. The sandbox (and any V3.0
// market) has the V3.0 UiPoolDataProviderV3 (periphery-v3 3.0.1), whose structs have a different
// layout. contract-helpers' getUserReservesHumanized does NOT fail on it — it silently decodes garbage
// (0x00…01 underlying assets, 1e47 debts). So we probe getEModes(): if it reverts, the provider is the
// V3.0 one and we read it ourselves with ethers and the V3.0 ABI, humanise the result into the shape
// contract-helpers would give, and synthesise math-utils' eMode bitmaps from the per-reserve eMode
// category ids. Aave 3.6's UiPoolDataProviderV3 (aave-v3-origin 3.6) returns eModes without the `isolated`
// flag contract-helpers 1.38 decodes between collateralBitmap and label, so ethers fails on getEModes():
// the caller says the pool is 3.6 (`aaveVersion`) and we read all of it with the 3.6 ABI
// (contracts-abi/aave-v3.6), eMode bitmaps included.
// Either way the result is sanity-checked against getReservesList().
//
// This module does I/O (RPC reads), so it lives in src/cli next to its only user, `keeper inspect`.
//
// Block pinning: UiPoolDataProvider's methods take no call overrides, so we give it a provider whose
// eth_call defaults to a pinned block (the requested one, or the latest block resolved once at the
// start), which keeps all reads and the default timestamp on one block.
import { getAddress } from "viem";
import type { providers as EthersProviders } from "ethers";
import type { FormatReservesUSDRequest, FormatReserveUSDResponse, ReserveDataWithPrice, UserReserveData } from "@aave/math-utils";

/** math-utils' V3.2-style eMode category (its type is not re-exported from the package root). */
type EModeData = NonNullable<FormatReservesUSDRequest<ReserveDataWithPrice>["eModes"]>[number];

export interface AaveUtilitiesReserve {
  symbol: string;
  underlyingAsset: `0x${string}`;
  underlyingBalance: string;
  underlyingBalanceUSD: string;
  variableBorrows: string;
  /** V3.0/3.1 stable debt (principal accrued with math-utils' compounding); "0" on 3.2+ */
  stableBorrows: string;
  totalBorrowsUSD: string;
  usageAsCollateralEnabledOnUser: boolean;
}

export interface AaveUtilitiesAccount {
  /** math-utils' health factor as a decimal string; null when the user has no debt (math-utils says "-1") */
  healthFactor: string | null;
  healthFactorNumber: number | null;
  totalCollateralUSD: string;
  totalBorrowsUSD: string;
  /** weighted average liquidation threshold as a fraction, e.g. "0.825" */
  currentLiquidationThreshold: string;
  /** only reserves where the user has a balance or debt */
  reserves: AaveUtilitiesReserve[];
  userEmodeCategoryId: number;
  /** the block read and the timestamp interest was accrued to */
  blockNumber: bigint;
  currentTimestamp: number;
  /** "contract-helpers": UiPoolDataProvider from @aave/contract-helpers (V3.2+ periphery);
   *  "v3.0-abi": the V3.0 UiPoolDataProviderV3 read directly (contract-helpers 1.38 cannot decode it)
   *  "v3.6-abi": the 3.6 UiPoolDataProviderV3 read directly with the 3.6 ABI (same reason) */
  dataPath: "contract-helpers" | "v3.0-abi" | "v3.6-abi";
  /** things the numbers do not account for (e.g. stable debt, which math-utils 1.38 ignores) */
  warnings: string[];
}

export interface AaveUtilitiesParams {
  rpcUrl: string;
  chainId: number;
  uiPoolDataProvider: `0x${string}`;
  poolAddressesProvider: `0x${string}`;
  user: `0x${string}`;
  /** read at this block; default: the latest block, resolved once */
  blockTag?: bigint;
  /** seconds; default: the timestamp of the block read */
  currentTimestamp?: number;
  /** "3.6": read the 3.6 UiPoolDataProviderV3 layout; otherwise probe V3.0 vs contract-helpers' V3.2+ */
  aaveVersion?: "3.6";
}

/** What math-utils needs from a reserve, plus the fields we report. */
type HumanReserve = ReserveDataWithPrice & { symbol: string; eModeCategoryId?: number };
interface HumanUserReserve extends UserReserveData {
  /** V3.0 only */
  principalStableDebt?: string;
  stableBorrowRate?: string;
  stableBorrowLastUpdateTimestamp?: number;
}
interface MarketRead {
  reserves: HumanReserve[];
  eModes: EModeData[];
  marketReferenceCurrencyDecimals: number;
  marketReferenceCurrencyPriceInUsd: string;
  userReserves: HumanUserReserve[];
  userEmodeCategoryId: number;
}

export async function computeWithAaveUtilities(params: AaveUtilitiesParams): Promise<AaveUtilitiesAccount> {
  const [{ providers, Contract }, contractHelpers, mathUtils] = await Promise.all([
    import("ethers"),
    import("@aave/contract-helpers"),
    import("@aave/math-utils"),
  ]);

  // eth_call without an explicit blockTag (all of UiPoolDataProvider's calls) goes to `pinned`.
  class PinnedProvider extends providers.StaticJsonRpcProvider {
    pinned: number | undefined;
    override call(
      transaction: Parameters<EthersProviders.StaticJsonRpcProvider["call"]>[0],
      blockTag?: Parameters<EthersProviders.StaticJsonRpcProvider["call"]>[1],
    ): Promise<string> {
      return super.call(transaction, blockTag ?? this.pinned);
    }
  }
  const provider = new PinnedProvider(params.rpcUrl, params.chainId);
  const blockNumber = params.blockTag ?? BigInt(await provider.getBlockNumber());
  provider.pinned = Number(blockNumber);
  const blockPromise = params.currentTimestamp === undefined ? provider.getBlock(Number(blockNumber)) : undefined;

  const ui = new contractHelpers.UiPoolDataProvider({
    uiPoolDataProviderAddress: params.uiPoolDataProvider,
    provider,
    chainId: params.chainId,
  });
  const lendingPoolAddressProvider = params.poolAddressesProvider;
  const v36 = params.aaveVersion === "3.6";
  const [reservesList, eModesProbe] = await Promise.all([
    ui.getReservesList({ lendingPoolAddressProvider }),
    v36
      ? { ok: false as const }
      : ui.getEModesHumanized({ lendingPoolAddressProvider }).then(
          (eModes) => ({ ok: true as const, eModes }),
          (err: unknown) => {
            if ((err as { code?: string }).code === "CALL_EXCEPTION") return { ok: false as const };
            throw err;
          },
        ),
  ]);

  let read: MarketRead;
  let dataPath: AaveUtilitiesAccount["dataPath"];
  if (eModesProbe.ok) {
    dataPath = "contract-helpers";
    const [reserves, user] = await Promise.all([
      ui.getReservesHumanized({ lendingPoolAddressProvider }),
      ui.getUserReservesHumanized({ lendingPoolAddressProvider, user: params.user }),
    ]);
    read = {
      reserves: reserves.reservesData,
      eModes: eModesProbe.eModes,
      marketReferenceCurrencyDecimals: reserves.baseCurrencyData.marketReferenceCurrencyDecimals,
      marketReferenceCurrencyPriceInUsd: reserves.baseCurrencyData.marketReferenceCurrencyPriceInUsd,
      userReserves: user.userReserves,
      userEmodeCategoryId: user.userEmodeCategoryId,
    };
  } else if (v36) {
    dataPath = "v3.6-abi";
    const { uiPoolDataProviderV3V36Abi } = await import("../../contracts-abi/aave-v3.6/uiPoolDataProviderV3.js");
    const contract = new Contract(params.uiPoolDataProvider, uiPoolDataProviderV3V36Abi, provider);
    read = await readV36(contract, lendingPoolAddressProvider, params.user);
  } else {
    dataPath = "v3.0-abi";
    const { uiPoolDataProviderV3Abi } = await import("../../contracts-abi/aave/uiPoolDataProviderV3.js");
    const contract = new Contract(params.uiPoolDataProvider, uiPoolDataProviderV3Abi, provider);
    read = await readV30(contract, lendingPoolAddressProvider, params.user);
  }
  checkDecoded(read, reservesList);

  const currentTimestamp = params.currentTimestamp ?? (await blockPromise!).timestamp;
  const formattedReserves: (HumanReserve & FormatReserveUSDResponse)[] = mathUtils.formatReserves({
    reserves: read.reserves,
    eModes: read.eModes,
    currentTimestamp,
    marketReferencePriceInUsd: read.marketReferenceCurrencyPriceInUsd,
    marketReferenceCurrencyDecimals: read.marketReferenceCurrencyDecimals,
  });
  const summary = mathUtils.formatUserSummary({
    currentTimestamp,
    marketReferencePriceInUsd: read.marketReferenceCurrencyPriceInUsd,
    marketReferenceCurrencyDecimals: read.marketReferenceCurrencyDecimals,
    userReserves: read.userReserves,
    formattedReserves,
    userEmodeCategoryId: read.userEmodeCategoryId,
  });

  const warnings: string[] = [];
  const rawByAsset = new Map(read.userReserves.map((r) => [r.underlyingAsset.toLowerCase(), r]));
  const reserves: AaveUtilitiesReserve[] = [];
  for (const r of summary.userReservesData) {
    const raw = rawByAsset.get(r.underlyingAsset.toLowerCase());
    let stableBorrows = "0";
    if (raw?.principalStableDebt && raw.principalStableDebt !== "0") {
      // math-utils 1.38 has no stable debt; accrue it with its own helpers for the report.
      const factor = mathUtils.calculateCompoundedInterest({
        rate: raw.stableBorrowRate ?? "0",
        currentTimestamp,
        lastUpdateTimestamp: raw.stableBorrowLastUpdateTimestamp ?? currentTimestamp,
      });
      stableBorrows = mathUtils.normalize(mathUtils.rayMul(raw.principalStableDebt, factor), r.reserve.decimals);
      warnings.push(`${r.reserve.symbol}: stable debt ${stableBorrows} is not in math-utils' totals or health factor`);
    }
    if (r.scaledATokenBalance === "0" && r.scaledVariableDebt === "0" && stableBorrows === "0") continue;
    reserves.push({
      symbol: r.reserve.symbol,
      underlyingAsset: getAddress(r.underlyingAsset),
      underlyingBalance: r.underlyingBalance,
      underlyingBalanceUSD: r.underlyingBalanceUSD,
      variableBorrows: r.variableBorrows,
      stableBorrows,
      totalBorrowsUSD: r.totalBorrowsUSD,
      usageAsCollateralEnabledOnUser: r.usageAsCollateralEnabledOnUser,
    });
  }

  const noDebt = summary.healthFactor === "-1";
  return {
    healthFactor: noDebt ? null : summary.healthFactor,
    healthFactorNumber: noDebt ? null : Number(summary.healthFactor),
    totalCollateralUSD: summary.totalCollateralUSD,
    totalBorrowsUSD: summary.totalBorrowsUSD,
    currentLiquidationThreshold: summary.currentLiquidationThreshold,
    reserves,
    userEmodeCategoryId: summary.userEmodeCategoryId,
    blockNumber,
    currentTimestamp,
    dataPath,
    warnings,
  };
}

/** Rejects a decode that does not name the pool's reserves (a struct layout we do not know). */
function checkDecoded(read: MarketRead, reservesList: string[]): void {
  const listed = reservesList.map((a) => a.toLowerCase());
  const known = new Set(listed);
  const decoded = read.reserves.map((r) => r.underlyingAsset.toLowerCase());
  const badUser = read.userReserves.find((r) => !known.has(r.underlyingAsset.toLowerCase()));
  if (decoded.join() !== listed.join() || badUser) {
    throw new Error(
      "UiPoolDataProvider data does not match Pool.getReservesList(): unsupported UiPoolDataProviderV3 version " +
        "(contract-helpers 1.38 decodes V3.2+; the V3.0 and 3.6 layouts are read directly; V3.1 is not supported)",
    );
  }
}

// ---- V3.0 UiPoolDataProviderV3 (periphery-v3 3.0.1) ----

/** The fields of ethers' decoded structs that we use (ethers v5 BigNumber has toString()). */
type Num = { toString(): string };
interface V30Reserve {
  underlyingAsset: string;
  name: string;
  symbol: string;
  decimals: Num;
  baseLTVasCollateral: Num;
  reserveLiquidationThreshold: Num;
  reserveLiquidationBonus: Num;
  reserveFactor: Num;
  usageAsCollateralEnabled: boolean;
  borrowingEnabled: boolean;
  isActive: boolean;
  isFrozen: boolean;
  liquidityIndex: Num;
  variableBorrowIndex: Num;
  liquidityRate: Num;
  variableBorrowRate: Num;
  lastUpdateTimestamp: number;
  availableLiquidity: Num;
  totalScaledVariableDebt: Num;
  priceInMarketReferenceCurrency: Num;
  borrowCap: Num;
  supplyCap: Num;
  debtCeiling: Num;
  debtCeilingDecimals: Num;
  isolationModeTotalDebt: Num;
  eModeCategoryId: number;
  eModeLtv: number;
  eModeLiquidationThreshold: number;
  eModeLiquidationBonus: number;
  eModeLabel: string;
}
interface V30BaseCurrency {
  marketReferenceCurrencyUnit: Num;
  marketReferenceCurrencyPriceInUsd: Num;
}
interface V30UserReserve {
  underlyingAsset: string;
  scaledATokenBalance: Num;
  usageAsCollateralEnabledOnUser: boolean;
  stableBorrowRate: Num;
  scaledVariableDebt: Num;
  principalStableDebt: Num;
  stableBorrowLastUpdateTimestamp: Num;
}
interface V30Contract {
  getReservesData(provider: string): Promise<[V30Reserve[], V30BaseCurrency]>;
  getUserReservesData(provider: string, user: string): Promise<[V30UserReserve[], number]>;
}

/** The reserve fields both UiPoolDataProvider versions answer alike, in math-utils' shape. */
function reserveFields(r: V30Reserve | V36Reserve, index: number, provider: string) {
  return {
    originalId: index,
    id: `${r.underlyingAsset}-${provider}`.toLowerCase(),
    underlyingAsset: r.underlyingAsset.toLowerCase(),
    name: r.name,
    symbol: r.symbol,
    decimals: Number(r.decimals.toString()),
    baseLTVasCollateral: r.baseLTVasCollateral.toString(),
    reserveLiquidationThreshold: r.reserveLiquidationThreshold.toString(),
    reserveLiquidationBonus: r.reserveLiquidationBonus.toString(),
    reserveFactor: r.reserveFactor.toString(),
    usageAsCollateralEnabled: r.usageAsCollateralEnabled,
    liquidityIndex: r.liquidityIndex.toString(),
    variableBorrowIndex: r.variableBorrowIndex.toString(),
    liquidityRate: r.liquidityRate.toString(),
    variableBorrowRate: r.variableBorrowRate.toString(),
    lastUpdateTimestamp: Number(r.lastUpdateTimestamp),
    availableLiquidity: r.availableLiquidity.toString(),
    totalScaledVariableDebt: r.totalScaledVariableDebt.toString(),
    priceInMarketReferenceCurrency: r.priceInMarketReferenceCurrency.toString(),
    borrowCap: r.borrowCap.toString(),
    supplyCap: r.supplyCap.toString(),
    debtCeiling: r.debtCeiling.toString(),
    debtCeilingDecimals: Number(r.debtCeilingDecimals.toString()),
    isolationModeTotalDebt: r.isolationModeTotalDebt.toString(),
  };
}

async function readV30(contract: unknown, provider: string, user: string): Promise<MarketRead> {
  const c = contract as V30Contract;
  const [[reservesRaw, base], [userRaw, userEmodeCategoryId]] = await Promise.all([
    c.getReservesData(provider),
    c.getUserReservesData(provider, user),
  ]);
  const reserves: HumanReserve[] = reservesRaw.map((r, index) => ({
    ...reserveFields(r, index, provider),
    // V3.0 has neither virtual accounting nor deficits.
    virtualUnderlyingBalance: "0",
    deficit: "0",
    eModeCategoryId: Number(r.eModeCategoryId),
  }));

  // V3.0 eModes live on the reserves (category id + the category's parameters); math-utils wants
  // V3.2-style categories with 256-char bitmaps, bit i (from the right) = reserve i. In V3.0 a member
  // asset is both collateral and borrowable in its category, and there is no LTV-zero list.
  const eModes = new Map<number, { ltv: string; liquidationThreshold: string; liquidationBonus: string; label: string; bits: string[] }>();
  reservesRaw.forEach((r, index) => {
    const id = Number(r.eModeCategoryId);
    if (id === 0) return;
    let e = eModes.get(id);
    if (!e) {
      e = {
        ltv: String(r.eModeLtv),
        liquidationThreshold: String(r.eModeLiquidationThreshold),
        liquidationBonus: String(r.eModeLiquidationBonus),
        label: r.eModeLabel,
        bits: Array<string>(256).fill("0"),
      };
      eModes.set(id, e);
    }
    e.bits[255 - index] = "1";
  });
  const zeros = "0".repeat(256);
  const eModeData: EModeData[] = [...eModes].map(([id, e]) => ({
    id,
    eMode: {
      ltv: e.ltv,
      liquidationThreshold: e.liquidationThreshold,
      liquidationBonus: e.liquidationBonus,
      collateralBitmap: e.bits.join(""),
      borrowableBitmap: e.bits.join(""),
      ltvzeroBitmap: zeros,
      isolated: false,
      label: e.label,
    },
  }));

  return {
    reserves,
    eModes: eModeData,
    // as contract-helpers does it: the unit 1e8 has 8 zeros
    marketReferenceCurrencyDecimals: base.marketReferenceCurrencyUnit.toString().length - 1,
    marketReferenceCurrencyPriceInUsd: base.marketReferenceCurrencyPriceInUsd.toString(),
    userReserves: userRaw.map((u) => ({
      underlyingAsset: u.underlyingAsset.toLowerCase(),
      scaledATokenBalance: u.scaledATokenBalance.toString(),
      usageAsCollateralEnabledOnUser: u.usageAsCollateralEnabledOnUser,
      scaledVariableDebt: u.scaledVariableDebt.toString(),
      principalStableDebt: u.principalStableDebt.toString(),
      stableBorrowRate: u.stableBorrowRate.toString(),
      stableBorrowLastUpdateTimestamp: Number(u.stableBorrowLastUpdateTimestamp.toString()),
    })),
    userEmodeCategoryId: Number(userEmodeCategoryId),
  };
}

// ---- Aave 3.6 UiPoolDataProviderV3 (aave-v3-origin 3.6.0) ----

interface V36Reserve {
  underlyingAsset: string;
  name: string;
  symbol: string;
  decimals: Num;
  baseLTVasCollateral: Num;
  reserveLiquidationThreshold: Num;
  reserveLiquidationBonus: Num;
  reserveFactor: Num;
  usageAsCollateralEnabled: boolean;
  liquidityIndex: Num;
  variableBorrowIndex: Num;
  liquidityRate: Num;
  variableBorrowRate: Num;
  lastUpdateTimestamp: number;
  availableLiquidity: Num;
  totalScaledVariableDebt: Num;
  priceInMarketReferenceCurrency: Num;
  borrowCap: Num;
  supplyCap: Num;
  debtCeiling: Num;
  debtCeilingDecimals: Num;
  isolationModeTotalDebt: Num;
  virtualUnderlyingBalance: Num;
  deficit: Num;
}
interface V36EMode {
  id: number;
  eMode: {
    ltv: number;
    liquidationThreshold: number;
    liquidationBonus: number;
    collateralBitmap: Num;
    label: string;
    borrowableBitmap: Num;
    ltvzeroBitmap: Num;
  };
}
interface V36UserReserve {
  underlyingAsset: string;
  scaledATokenBalance: Num;
  usageAsCollateralEnabledOnUser: boolean;
  scaledVariableDebt: Num;
}
interface V36Contract {
  getReservesData(provider: string): Promise<[V36Reserve[], V30BaseCurrency]>;
  getUserReservesData(provider: string, user: string): Promise<[V36UserReserve[], number]>;
  getEModes(provider: string): Promise<V36EMode[]>;
}

/** math-utils reads bitmaps as binary strings, bit i counted from the right = reserve i. */
const bits = (bitmap: Num): string => BigInt(bitmap.toString()).toString(2).padStart(256, "0");

async function readV36(contract: unknown, provider: string, user: string): Promise<MarketRead> {
  const c = contract as V36Contract;
  const [[reservesRaw, base], [userRaw, userEmodeCategoryId], eModesRaw] = await Promise.all([
    c.getReservesData(provider),
    c.getUserReservesData(provider, user),
    c.getEModes(provider),
  ]);
  const reserves: HumanReserve[] = reservesRaw.map((r, index) => ({
    ...reserveFields(r, index, provider),
    virtualUnderlyingBalance: r.virtualUnderlyingBalance.toString(),
    deficit: r.deficit.toString(),
  }));
  // 3.6 keeps eModes as categories with bitmaps (EModeConfiguration), as math-utils expects; its struct
  // has no `isolated` flag (3.6 has no isolated eModes).
  const eModes: EModeData[] = eModesRaw.map((e) => ({
    id: Number(e.id),
    eMode: {
      ltv: String(e.eMode.ltv),
      liquidationThreshold: String(e.eMode.liquidationThreshold),
      liquidationBonus: String(e.eMode.liquidationBonus),
      label: e.eMode.label,
      collateralBitmap: bits(e.eMode.collateralBitmap),
      borrowableBitmap: bits(e.eMode.borrowableBitmap),
      ltvzeroBitmap: bits(e.eMode.ltvzeroBitmap),
      isolated: false,
    },
  }));
  return {
    reserves,
    eModes,
    marketReferenceCurrencyDecimals: base.marketReferenceCurrencyUnit.toString().length - 1,
    marketReferenceCurrencyPriceInUsd: base.marketReferenceCurrencyPriceInUsd.toString(),
    userReserves: userRaw.map((u) => ({
      underlyingAsset: u.underlyingAsset.toLowerCase(),
      scaledATokenBalance: u.scaledATokenBalance.toString(),
      usageAsCollateralEnabledOnUser: u.usageAsCollateralEnabledOnUser,
      scaledVariableDebt: u.scaledVariableDebt.toString(),
    })),
    userEmodeCategoryId: Number(userEmodeCategoryId),
  };
}

/** One of the account's balances: in the token's smallest unit and in base-currency units (1e-8). */
export interface BalanceUnits {
  amount: bigint;
  base: bigint;
}

/**
 * How far math-utils' health factor may sit from getUserAccountData's, relative. Measured on the
 * sandbox (test/fork/aaveUtilitiesCheck.test.ts); the rest of math-utils' arithmetic stays below 1e-9.
 * - 3.0: the pool floors the average liquidation threshold to a basis point, math-utils keeps the
 *   fraction (AAVE-V3.md §7): up to 1/avgLT.
 * - 3.6: no avgLT floor, but balances round the pool's way (aToken floor, debt ceil: rayMulFloor /
 *   rayMulCeil) where math-utils rounds half-up, and base values floor/ceil to 1e-8: up to one
 *   smallest unit of each balance and of its base value, e.g. 1 sat on a 0.0032 WBTC debt = 3e-6.
 */
export function mathUtilsTolerance(aaveVersion: "3.0" | "3.6", avgLiquidationThresholdBps: bigint, balances: BalanceUnits[]): number {
  if (aaveVersion === "3.0") return 1 / Math.max(1, Number(avgLiquidationThresholdBps)) + 1e-9;
  let tolerance = 1e-9;
  for (const b of balances) {
    if (b.amount > 0n) tolerance += 1 / Number(b.amount);
    if (b.base > 0n) tolerance += 1 / Number(b.base);
  }
  return tolerance;
}
