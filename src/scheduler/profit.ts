// The profit model: for one account at one block, every (collateral, debt) pair a liquidationCall
// could take, with the amounts the pool will move (bit-exact with LiquidationLogic of the deployed
// version, through the ProtocolRules object) and what that is worth after gas and the swap.
// Pure: bigint math on a CompiledAccount and a MarketSnapshot, no I/O.
import { evaluateAccount, healthOf, type CompiledAccount, type DebtSlot, type CollateralSlot } from "../risk/healthFactor.js";
import type { MarketSnapshot, ReserveSnapshot } from "../risk/marketSnapshot.js";
import type { CollateralToLiquidate } from "../risk/liquidationAmounts.js";
import { RULES_V3_0, type ProtocolRules } from "../risk/rules.js";
import type { Address } from "../risk/types.js";
import type { Hex } from "viem";
import { MathRevertError, MAX_UINT256, WAD } from "../risk/wadRayMath.js";
import { formatDecimal } from "../util/decimal.js";
import type { ExpectedDeficit, FlashLoanTerms, LiquidationPlan } from "./plan.js";

export interface GasModel {
  gasUnits: bigint;
  /** wei */
  maxFeePerGas: bigint;
  /** base-currency price of 1e18 wei of the native token, e.g. the WETH oracle price */
  nativePriceBase: bigint;
}

export interface PlanOptions {
  gas: GasModel;
  /** debt-token units the wallet holds, by reserve id; undefined = unlimited (e.g. flash loan, later) */
  walletBalances?: ReadonlyMap<number, bigint>;
  /** MIN_PROFIT_USD converted to base units by the caller */
  minProfitBase: bigint;
  /** haircut (bps) on the seized collateral's value for selling it (default 0) */
  swapCostBps?: number;
  /** default false */
  receiveAToken?: boolean;
  /** copied into the plan */
  blockNumber: bigint;
  /** reserve id -> token symbol, for the plan's symbol fields and the skip reasons (optional, no I/O) */
  symbols?: ReadonlyMap<number, string>;
  /**
   * The address that will call Pool.liquidationCall (the wallet, or the liquidator contract that
   * calls the pool). From Aave 3.4 the pool reverts SelfLiquidation when it is the borrower, so such
   * pairs are skipped; undefined = not checked.
   */
  liquidator?: Address;
  /**
   * 3.3+ MustNotLeaveDust with a margin: a partial amount is planned only if it also passes with the
   * debt and collateral balances 1/leftoverMarginDivisor smaller (LEFTOVER_MARGIN_DIVISOR for the
   * daemon); undefined = the pool's rule exactly, at the planned timestamp.
   */
  leftoverMarginDivisor?: bigint;
}

export type PairOutcome = { plan: LiquidationPlan } | { collateralReserveId: number; debtReserveId: number; skip: string };

export interface PlanResult {
  best?: LiquidationPlan;
  pairs: PairOutcome[];
  /** why nothing is planned, for the dry-run log */
  skip?: string;
}

const BPS = 10_000n;
/**
 * Extra gas of a liquidation that burns bad debt, per other debt reserve burned: "Each additional
 * debt asset already adds around ~75k gas to the liquidation" (LiquidationLogic 3.6, _burnBadDebt).
 */
export const BAD_DEBT_GAS_PER_DEBT_RESERVE = 75_000n;

/**
 * The keeper's margin on the 3.3+ leftover rule (PlanOptions.leftoverMarginDivisor): balances 1/10,000
 * smaller (at a 5% rate, 17 hours of interest; on a $1M position, $100) must still leave the minimum.
 */
export const LEFTOVER_MARGIN_DIVISOR = 10_000n;

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

const formatUnits = (x: bigint, unit: bigint): string => formatDecimal(x, unit);

// 4 decimals, truncated: enough to see which side of 0.95 / 1.0 an account is on
const formatHf = (hf: bigint): string => (hf >= 2n ** 255n ? "max" : formatDecimal(hf, WAD, 4));

function checkOptions(o: PlanOptions): number {
  const bps = o.swapCostBps ?? 0;
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`swapCostBps must be an integer in [0, 10000], got ${bps}`);
  if (o.leftoverMarginDivisor !== undefined && o.leftoverMarginDivisor < 2n)
    throw new RangeError("leftoverMarginDivisor must be at least 2");
  if (o.gas.gasUnits < 0n || o.gas.maxFeePerGas < 0n || o.gas.nativePriceBase < 0n)
    throw new RangeError("gas model values must be non-negative");
  return bps;
}

/** Gas cost of one liquidation in base currency, rounded up. */
export function gasCostBase(gas: GasModel): bigint {
  return ceilDiv(gas.gasUnits * gas.maxFeePerGas * gas.nativePriceBase, WAD);
}

/**
 * Protocol fee the treasury actually receives. LiquidationLogic moves the fee's scaled aTokens from
 * the user after the liquidator's share has left (burned or transferred), and when that exceeds
 * what is left of the user's scaled balance (a 1-wei rounding case when the whole collateral is
 * taken) it sends the remainder's balance instead. The scaled conversions are the version's:
 * V3.0 `rayDiv` / `rayMul` (half-up); 3.5+ TokenMath getATokenTransferScaledAmount /
 * getATokenBurnScaledAmount (ceil) and getATokenBalance (floor).
 */
export function treasuryFeeTransfer(
  fee: bigint,
  seized: bigint,
  userScaledCollateral: bigint,
  normalizedIncome: bigint,
  rules: ProtocolRules = RULES_V3_0,
): bigint {
  if (fee === 0n) return 0n;
  const left = userScaledCollateral - rules.aTokenLiquidationScaled(seized, normalizedIncome);
  const feeScaled = rules.aTokenLiquidationScaled(fee, normalizedIncome);
  return feeScaled > left ? rules.collateralBalance(left > 0n ? left : 0n, normalizedIncome) : fee;
}

interface PairContext {
  account: CompiledAccount;
  snapshot: MarketSnapshot;
  options: PlanOptions;
  swapBps: bigint;
  gasBase: bigint;
  healthFactor: bigint;
}

type PairResult = { plan: LiquidationPlan } | { skip: string };

function name(snapshot: MarketSnapshot, id: number, symbols: ReadonlyMap<number, string> | undefined): string {
  const s = symbols?.get(id);
  if (s !== undefined) return s;
  const asset = snapshot.reserves[id]?.state.asset;
  return asset === undefined ? `reserve #${id}` : `reserve #${id} (${asset})`;
}

function formatBase(snapshot: MarketSnapshot, x: bigint): string {
  return formatUnits(x, snapshot.market.baseCurrencyUnit);
}

function isSelfLiquidation(ctx: PairContext): boolean {
  const l = ctx.options.liquidator;
  return !ctx.snapshot.rules.selfLiquidationAllowed && l !== undefined && l.toLowerCase() === ctx.account.user.toLowerCase();
}
const SELF_LIQUIDATION = "self-liquidation: the liquidator is the borrower (SelfLiquidation, Aave 3.4+)";

/**
 * One pair, in the order of Pool.liquidationCall: validateLiquidationCall's checks (3.4+ not the
 * liquidator itself; active, paused; 3.1+ grace period; HF; collateral enabled, with LT != 0 up to
 * 3.5; debt != 0), then the close factor, prices and bonus, the collateral seized, and (3.3+) the
 * MustNotLeaveDust and bad-debt post-conditions.
 */
function planOnePair(ctx: PairContext, collateralId: number, debtId: number): PairResult {
  const { account, snapshot, options } = ctx;
  const rules = snapshot.rules;
  const cName = name(snapshot, collateralId, options.symbols);
  const dName = name(snapshot, debtId, options.symbols);
  const c = snapshot.reserves[collateralId];
  const d = snapshot.reserves[debtId];
  if (c === undefined) return { skip: `collateral ${cName} is not a reserve of the market` };
  if (d === undefined) return { skip: `debt ${dName} is not a reserve of the market` };
  const cs = c.state;
  const ds = d.state;
  // ValidationLogic.validateLiquidationCall 3.4+: `borrower != liquidator` comes first.
  if (isSelfLiquidation(ctx)) return { skip: SELF_LIQUIDATION };
  // RESERVE_INACTIVE (27) / ReserveInactive, then RESERVE_PAUSED (29) / ReservePaused. Frozen is fine.
  if (!cs.active) return { skip: `collateral ${cName} is not active` };
  if (!ds.active) return { skip: `debt ${dName} is not active` };
  if (cs.paused) return { skip: `collateral ${cName} is paused` };
  if (ds.paused) return { skip: `debt ${dName} is paused` };
  // (the price-oracle sentinel, L2s only, is not modelled: no sentinel in the markets served so far)
  // 3.1+ LiquidationGraceSentinelCheckFailed: both reserves need `liquidationGracePeriodUntil < block.timestamp`.
  if (cs.liquidationGracePeriodUntil >= snapshot.timestamp) {
    return { skip: `collateral ${cName} is in its liquidation grace period until ${cs.liquidationGracePeriodUntil}` };
  }
  if (ds.liquidationGracePeriodUntil >= snapshot.timestamp) {
    return { skip: `debt ${dName} is in its liquidation grace period until ${ds.liquidationGracePeriodUntil}` };
  }
  if (ctx.healthFactor >= rules.liquidationThreshold) return { skip: `healthy (HF ${formatHf(ctx.healthFactor)})` };
  // COLLATERAL_CANNOT_BE_LIQUIDATED (46): the user's collateral bit, and up to 3.5 the reserve's own LT != 0.
  const cSlot: CollateralSlot | undefined = account.collateral.find((s) => s.id === collateralId);
  if (cSlot === undefined) return { skip: `${cName} is not enabled as collateral by the user` };
  if (!rules.collateralLiquidatable(cs)) return { skip: `collateral ${cName} has liquidation threshold 0` };
  // SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER (47): stable + variable balanceOf == 0.
  const dSlot: DebtSlot | undefined = account.debt.find((s) => s.id === debtId);
  const userReserveDebt = dSlot === undefined ? 0n : dSlot.varBal + dSlot.stableBal;
  if (userReserveDebt === 0n) return { skip: `user has no ${dName} debt` };

  const cat = account.eModeCategory === 0 ? undefined : snapshot.market.eModes.get(account.eModeCategory);
  const { collateralPrice, debtPrice, liquidationBonus } = rules.liquidationPricesAndBonus(cs, ds, account.eModeCategory, cat);
  const userCollateralBalance = cSlot.bal;
  let maxDebt: bigint;
  try {
    maxDebt = rules.maxLiquidatableDebt({
      userReserveDebt,
      healthFactor: ctx.healthFactor,
      totalDebtBase: account.totalDebtBase,
      userCollateralBalance,
      collateralPrice,
      collateralUnit: c.unit,
      debtPrice,
      debtUnit: d.unit,
    });
  } catch (err) {
    if (err instanceof MathRevertError) return { skip: `liquidationCall would revert: ${err.message}` };
    throw err;
  }
  const amounts = (debtToCover: bigint): CollateralToLiquidate =>
    rules.collateralToLiquidate({
      collateralPrice,
      debtAssetPrice: debtPrice,
      collateralUnit: c.unit,
      debtUnit: d.unit,
      // actualDebtToLiquidate = min(debtToCover, maxLiquidatableDebt)
      debtToCover: debtToCover > maxDebt ? maxDebt : debtToCover,
      userCollateralBalance,
      liquidationBonus,
      liquidationProtocolFee: BigInt(cs.liquidationProtocolFee),
    });
  const leavesDustWith = (r: CollateralToLiquidate, debt: bigint, collateral: bigint): boolean =>
    rules.leavesDust({
      userReserveDebt: debt,
      debtRepaid: r.debtAmountNeeded,
      userCollateralBalance: collateral,
      collateralTaken: r.collateralToLiquidator + r.protocolFee,
      debtPrice,
      debtUnit: d.unit,
      collateralPrice,
      collateralUnit: c.unit,
    });
  // The pool checks the leftovers in the block the liquidation is mined in, whose balances differ from
  // the planned ones by interest (more when that block's time was mispredicted). With a margin, a
  // partial amount is kept only if it also passes with both balances a little smaller: a leftover
  // just over the minimum would revert MustNotLeaveDust if the pool saw the balances a little earlier.
  const margin = options.leftoverMarginDivisor;
  const leavesDust = (r: CollateralToLiquidate): boolean => {
    if (leavesDustWith(r, userReserveDebt, userCollateralBalance)) return true;
    const taken = r.collateralToLiquidator + r.protocolFee;
    if (margin === undefined || rules.minLeftoverBase === undefined) return false;
    if (r.debtAmountNeeded >= userReserveDebt || taken >= userCollateralBalance) return false;
    const debt = userReserveDebt - userReserveDebt / margin;
    const collateral = userCollateralBalance - userCollateralBalance / margin;
    return r.debtAmountNeeded >= debt || taken >= collateral || leavesDustWith(r, debt, collateral);
  };

  let debtToCover = maxDebt;
  let walletLimited = false;
  let r: CollateralToLiquidate;
  try {
    r = amounts(debtToCover);
    const wallet = options.walletBalances;
    if (wallet !== undefined) {
      const held = wallet.get(debtId) ?? 0n;
      if (held <= 0n) return { skip: `wallet holds no ${dName}` };
      if (held < r.debtAmountNeeded) {
        walletLimited = true;
        debtToCover = held;
        r = amounts(held);
        if (r.debtAmountNeeded > held) {
          // Still in the collateral-capped branch, whose repayment does not depend on debtToCover
          // (a rounding case a few wei wide): the largest debtToCover below the cap.
          let lo = 0n; // amounts(0) is never capped
          let hi = held; // capped
          while (hi - lo > 1n) {
            const mid = (lo + hi) / 2n;
            if (amounts(mid).debtAmountNeeded > held) hi = mid;
            else lo = mid;
          }
          debtToCover = lo;
          r = amounts(lo);
        }
      }
    }
    // 3.3+ MustNotLeaveDust: an amount that neither repays the whole debt reserve nor takes the
    // whole collateral must leave >= MIN_LEFTOVER_BASE of both. `r` is already the most the close
    // factor and the wallet allow, so the only way out is less: both leftovers shrink as the amount
    // grows (this is the uncapped branch), so the amounts that pass are exactly [1, x*].
    if (leavesDust(r)) {
      const tried = r;
      if (leavesDust(amounts(1n))) return { skip: dustSkip(ctx, rules, c, d, cName, dName, userReserveDebt, userCollateralBalance, tried) };
      let lo = 1n; // passes
      let hi = debtToCover; // leaves dust
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (leavesDust(amounts(mid))) hi = mid;
        else lo = mid;
      }
      debtToCover = lo;
      r = amounts(lo);
    }
  } catch (err) {
    if (err instanceof MathRevertError) return { skip: `liquidationCall would revert: ${err.message}` };
    throw err;
  }
  const seized = r.collateralToLiquidator;
  const repaid = r.debtAmountNeeded;
  const taken = seized + r.protocolFee;
  const receiveAToken = options.receiveAToken ?? false;

  // 3.3+ bad debt: when the collateral taken is all the account's collateral (in base currency), the
  // rest of this debt and every other active debt reserve are burned as deficit. The liquidator
  // still pays only `repaid`; the burns cost gas.
  const deficits: ExpectedDeficit[] = [];
  let otherDebtsBurned = 0n;
  const noCollateralLeft = rules.hasNoCollateralLeft(account.totalCollateralBase, taken, collateralPrice, c.unit);
  if (noCollateralLeft) {
    if (userReserveDebt > repaid) deficits.push({ reserveId: debtId, asset: ds.asset, amount: userReserveDebt - repaid });
    for (const other of account.debt) {
      const o = snapshot.reserves[other.id];
      // _burnBadDebt: every borrowed reserve still flagged, skipping address(0) and inactive reserves.
      if (other.id === debtId || o === undefined || !o.state.active) continue;
      otherDebtsBurned++;
      const bal = other.varBal + other.stableBal;
      if (bal > 0n) deficits.push({ reserveId: other.id, asset: o.state.asset, amount: bal });
    }
  }
  // _burnDebtTokens: `hasNoCollateralLeft ? borrowerReserveDebt : actualDebtToLiquidate`
  const debtBurned = noCollateralLeft ? userReserveDebt : repaid;

  // Token burns revert (INVALID_BURN_AMOUNT / InvalidBurnAmount) when the scaled amount is 0.
  if (repaid === 0n || seized === 0n) return { skip: `amounts round to zero (repay ${repaid} ${dName}, seize ${seized} ${cName})` };
  if (!receiveAToken && rules.aTokenLiquidationScaled(seized, c.normalizedIncome) === 0n) {
    return { skip: `collateral burn of ${seized} ${cName} rounds to 0 scaled` };
  }
  if (dSlot !== undefined && dSlot.varBal >= debtBurned && rules.vTokenBurnScaled(debtBurned, d.normalizedDebt) === 0n) {
    return { skip: `debt burn of ${debtBurned} ${dName} rounds to 0 scaled` };
  }
  const protocolFee = treasuryFeeTransfer(r.protocolFee, seized, cSlot.scaled, c.normalizedIncome, rules);

  // Where the dust rule exists, an amount that clears the debt or the collateral reserve is sent as
  // 2^256-1: the pool then takes whatever the reserve holds in the block it is mined in, while an
  // exact amount a few wei short (interest accrued since the plan) would revert MustNotLeaveDust.
  // Only when the pool would compute the same amounts from "as much as allowed".
  if (rules.minLeftoverBase !== undefined && (repaid === userReserveDebt || taken === userCollateralBalance)) {
    const atMax = amounts(maxDebt);
    if (atMax.debtAmountNeeded === repaid && atMax.collateralToLiquidator === seized && atMax.protocolFee === r.protocolFee)
      debtToCover = MAX_UINT256;
  }

  const gasUnits = options.gas.gasUnits + BAD_DEBT_GAS_PER_DEBT_RESERVE * otherDebtsBurned;
  const gasBase = otherDebtsBurned === 0n ? ctx.gasBase : gasCostBase({ ...options.gas, gasUnits });
  const plan = value(ctx, c, d, debtToCover, repaid, seized, protocolFee, receiveAToken, gasBase);
  if (otherDebtsBurned !== 0n) plan.gasUnits = gasUnits;
  if (deficits.length > 0) plan.expectedDeficits = deficits;
  if (walletLimited) plan.walletLimited = true;
  return { plan };
}

/** Why no amount of this pair passes MustNotLeaveDust (the debt or collateral reserve is under the minimum). */
function dustSkip(
  ctx: PairContext,
  rules: ProtocolRules,
  c: ReserveSnapshot,
  d: ReserveSnapshot,
  cName: string,
  dName: string,
  userReserveDebt: bigint,
  userCollateralBalance: bigint,
  tried: CollateralToLiquidate,
): string {
  const f = (x: bigint) => formatBase(ctx.snapshot, x);
  const debtBase = rules.debtInBase(userReserveDebt, d.state.price, d.unit);
  const collBase = rules.collateralInBase(userCollateralBalance, c.state.price, c.unit);
  return (
    `every amount leaves dust (MustNotLeaveDust): the most allowed repays ${tried.debtAmountNeeded} of ${userReserveDebt} ${dName} ` +
    `and takes ${tried.collateralToLiquidator + tried.protocolFee} of ${userCollateralBalance} ${cName}, and a smaller one ` +
    `cannot leave ${f(rules.minLeftoverBase ?? 0n)} of both (debt ${f(debtBase)}, collateral ${f(collBase)})`
  );
}

function value(
  ctx: PairContext,
  c: ReserveSnapshot,
  d: ReserveSnapshot,
  debtToCover: bigint,
  repaid: bigint,
  seized: bigint,
  protocolFee: bigint,
  receiveAToken: boolean,
  gasBase: bigint,
): LiquidationPlan {
  // Valued at the assets' own oracle prices (what the collateral sells for and the debt costs),
  // not at a V3.0 eMode priceSource price the pool may have used for the amounts.
  const collateralValueBase = (seized * c.state.price) / c.unit;
  const debtValueBase = ceilDiv(repaid * d.state.price, d.unit);
  const swapCostBase = ceilDiv(collateralValueBase * ctx.swapBps, BPS);
  const expectedProfitBase = collateralValueBase - debtValueBase - gasBase - swapCostBase;
  const symbols = ctx.options.symbols;
  return {
    user: ctx.account.user,
    collateralAsset: c.state.asset,
    collateralReserveId: c.id,
    collateralSymbol: symbols?.get(c.id),
    debtAsset: d.state.asset,
    debtReserveId: d.id,
    debtSymbol: symbols?.get(d.id),
    debtToCover,
    expectedDebtRepaid: repaid,
    expectedCollateralSeized: seized,
    expectedProtocolFee: protocolFee,
    receiveAToken,
    debtValueBase,
    collateralValueBase,
    gasCostBase: gasBase,
    swapCostBase,
    expectedProfitBase,
    healthFactor: ctx.healthFactor,
    timestamp: ctx.snapshot.timestamp,
    blockNumber: ctx.options.blockNumber,
    capital: "wallet",
  };
}

/** Brings the account to `snapshot` (its timestamp = the block the liquidation will be mined in). */
function ensureEvaluated(account: CompiledAccount, snapshot: MarketSnapshot): void {
  if (account.snapshot !== snapshot || account.exactSnapshot !== snapshot) evaluateAccount(account, snapshot);
}

function context(account: CompiledAccount, snapshot: MarketSnapshot, options: PlanOptions): PairContext {
  const swapBps = BigInt(checkOptions(options));
  ensureEvaluated(account, snapshot);
  return { account, snapshot, options, swapBps, gasBase: gasCostBase(options.gas), healthFactor: healthOf(account).healthFactor };
}

function profitable(ctx: PairContext, plan: LiquidationPlan): string | undefined {
  if (plan.expectedProfitBase >= ctx.options.minProfitBase) return undefined;
  const unit = ctx.snapshot.market.baseCurrencyUnit;
  const f = (x: bigint) => formatUnits(x, unit);
  return (
    `unprofitable: profit ${f(plan.expectedProfitBase)} < MIN_PROFIT ${f(ctx.options.minProfitBase)} ` +
    `(collateral ${f(plan.collateralValueBase)} - debt ${f(plan.debtValueBase)} - gas ${f(plan.gasCostBase)} - swap ${f(plan.swapCostBase)}; ` +
    `repay ${plan.expectedDebtRepaid}, seize ${plan.expectedCollateralSeized})`
  );
}

/**
 * One explicit pair (also ones the account does not hold, which come back as skips: "not enabled
 * as collateral", "no debt"), e.g. for `keeper liquidate --collateral X --debt Y`.
 */
export function planPair(
  account: CompiledAccount,
  snapshot: MarketSnapshot,
  collateralReserveId: number,
  debtReserveId: number,
  options: PlanOptions,
): PairOutcome {
  const ctx = context(account, snapshot, options);
  return outcome(ctx, collateralReserveId, debtReserveId);
}

function outcome(ctx: PairContext, collateralReserveId: number, debtReserveId: number): PairOutcome {
  const r = planOnePair(ctx, collateralReserveId, debtReserveId);
  if ("skip" in r) return { collateralReserveId, debtReserveId, skip: r.skip };
  const why = profitable(ctx, r.plan);
  return why === undefined ? r : { collateralReserveId, debtReserveId, skip: why };
}

/** Higher profit first; ties → more debt repaid (in base currency). */
function better(a: LiquidationPlan, b: LiquidationPlan): boolean {
  if (a.expectedProfitBase !== b.expectedProfitBase) return a.expectedProfitBase > b.expectedProfitBase;
  return a.debtValueBase > b.debtValueBase;
}

/**
 * Every (collateral, debt) pair of the account, each a plan or a skip, and the best plan: the
 * highest expected profit at or above minProfitBase. `account` is evaluated at `snapshot` if it
 * is not already.
 */
export function planLiquidation(account: CompiledAccount, snapshot: MarketSnapshot, options: PlanOptions): PlanResult {
  const ctx = context(account, snapshot, options);
  if (isSelfLiquidation(ctx)) return { pairs: [], skip: SELF_LIQUIDATION };
  if (ctx.healthFactor >= snapshot.rules.liquidationThreshold) {
    return { pairs: [], skip: `healthy (HF ${formatHf(ctx.healthFactor)})` };
  }
  const pairs: PairOutcome[] = [];
  let best: LiquidationPlan | undefined;
  for (const cSlot of account.collateral) {
    for (const dSlot of account.debt) {
      const o = outcome(ctx, cSlot.id, dSlot.id);
      pairs.push(o);
      if ("plan" in o && (best === undefined || better(o.plan, best))) best = o.plan;
    }
  }
  if (best !== undefined) return { best, pairs };
  const names = (cId: number, dId: number) => `${name(snapshot, cId, options.symbols)}/${name(snapshot, dId, options.symbols)}`;
  const skip =
    pairs.length === 0
      ? `no pair to liquidate (HF ${formatHf(ctx.healthFactor)}, ${account.collateral.length} collateral, ${account.debt.length} debt)`
      : `no pair to liquidate (HF ${formatHf(ctx.healthFactor)}): ` +
        pairs.map((o) => ("skip" in o ? `${names(o.collateralReserveId, o.debtReserveId)}: ${o.skip}` : "")).join("; ");
  return { pairs, skip };
}

// ---------------------------------------------------------------------------------------------------
// The flash-loan alternative: the same liquidation through the Liquidator contract, which borrows the
// debt asset (flashLoanSimple), liquidates, sells the collateral seized along a quoted Uniswap route and
// repays loan and premium. The quote is I/O (src/chain/uniswapQuoter.ts); here it is plain data.
// ---------------------------------------------------------------------------------------------------

/** What the flash model needs of a swap quote (src/chain/uniswapQuoter.ts's SwapQuote has these fields). */
export interface SwapQuoteData {
  amountIn: bigint;
  amountOut: bigint;
  /** packed Uniswap V3 path; "0x" for no swap */
  path: Hex;
  /** QuoterV2's estimate for the swap (0 without a swap) */
  gasEstimate: bigint;
}

export interface FlashLoanOptions {
  /** LIQUIDATOR_ADDRESS */
  liquidator: Address;
  /** gas of the Liquidator call (gasUnits: flashLiquidationGas), fee and native price as for the wallet path */
  gas: GasModel;
  /** SWAP_SLIPPAGE_BPS: minAmountOut = quote less this */
  slippageBps: number;
  /** MIN_PROFIT_USD in base units */
  minProfitBase: bigint;
}

/**
 * Gas of the Liquidator call beyond a plain liquidationCall, without the swap: flashLoanSimple, its
 * callback, the repayment and the transfer to the owner. Measured on the sandbox (README, "Gas"): the
 * same-asset flash liquidation minus the plain call, 56,657 gas on 3.0 and 71,381 on 3.6.
 */
export const FLASH_LOAN_OVERHEAD_GAS = 75_000n;
/**
 * Gas of the contract's swap beyond QuoterV2's estimate of the pool swaps: the router, the approval and
 * the collateral's transfer. Sandbox, WETH -> USDC: 123,462 gas in the call for a quoter estimate of ~90k.
 */
export const SWAP_OVERHEAD_GAS = 35_000n;

/** Gas units to price a flash liquidation with, from the plain liquidationCall's and the quote's (no swap: none). */
export function flashLiquidationGas(liquidationGasUnits: bigint, quote: SwapQuoteData): bigint {
  const swap = quote.path === "0x" ? 0n : quote.gasEstimate + SWAP_OVERHEAD_GAS;
  return liquidationGasUnits + FLASH_LOAN_OVERHEAD_GAS + swap;
}

/**
 * Headroom on a loan for a plan that sends 2^256-1 (repay the whole debt or take the whole collateral):
 * the contract borrows exactly debtToCover, so it borrows what the plan repays plus 1 bp, enough for the
 * interest of the blocks before it is mined; the pool takes only what it needs and the rest of the loan
 * is repaid unused (its premium is the cost).
 */
export const FLASH_LOAN_HEADROOM_BPS = 1n;

const debtToBase = (amount: bigint, price: bigint, unit: bigint, round: "down" | "up"): bigint =>
  round === "down" ? (amount * price) / unit : ceilDiv(amount * price, unit);

/**
 * The flash-loan plan for a liquidation, from the wallet-free plan of the same pair (planned with
 * walletBalances undefined and liquidator = the contract) and a quote of selling exactly its
 * expectedCollateralSeized for the debt asset. Profit = swap output - debt repaid - premium - gas.
 * Pure: the quote, the premium rate (snapshot.market.flashLoanPremiumTotal) and the gas are data.
 */
export function planFlashLoan(
  plan: LiquidationPlan,
  quote: SwapQuoteData,
  snapshot: MarketSnapshot,
  options: FlashLoanOptions,
): { plan: LiquidationPlan } | { skip: string } {
  const bps = options.slippageBps;
  if (!Number.isInteger(bps) || bps < 0 || bps >= 10_000) throw new RangeError(`slippageBps must be an integer in [0, 10000), got ${bps}`);
  const d = snapshot.reserves[plan.debtReserveId];
  if (d === undefined) throw new RangeError(`debt reserve ${plan.debtReserveId} is not in the snapshot`);
  if (quote.amountIn !== plan.expectedCollateralSeized) {
    throw new RangeError(`the quote sells ${quote.amountIn}, the plan seizes ${plan.expectedCollateralSeized}`);
  }
  const sameAsset = plan.collateralAsset.toLowerCase() === plan.debtAsset.toLowerCase();
  if (sameAsset !== (quote.path === "0x") || (sameAsset && quote.amountOut !== quote.amountIn)) {
    throw new RangeError("a quote without a swap is for collateral = debt asset, and returns what it takes");
  }
  const rules = snapshot.rules;
  const pair = `${plan.collateralSymbol ?? plan.collateralAsset}/${plan.debtSymbol ?? plan.debtAsset}`;
  // ValidationLogic 3.4+: the pool compares the borrower with msg.sender, here the contract.
  if (!rules.selfLiquidationAllowed && plan.user.toLowerCase() === options.liquidator.toLowerCase()) {
    return { skip: SELF_LIQUIDATION };
  }
  // Liquidator.executeOperation calls liquidationCall with receiveAToken false and swaps the underlying.
  if (plan.receiveAToken) return { skip: "flash loan: the Liquidator takes the underlying, not aTokens" };

  const loanAmount =
    plan.debtToCover === MAX_UINT256
      ? plan.expectedDebtRepaid + ceilDiv(plan.expectedDebtRepaid * FLASH_LOAN_HEADROOM_BPS, BPS)
      : plan.debtToCover;
  const premiumTotalBps = snapshot.market.flashLoanPremiumTotal;
  const premium = rules.flashLoanPremium(loanAmount, premiumTotalBps);
  // Liquidator: profit = balance after the swap - (balance before + loan + premium), where the loan
  // left after liquidationCall took expectedDebtRepaid is part of the balance: output - repaid - premium.
  const expectedProfit = quote.amountOut - plan.expectedDebtRepaid - premium;
  const gasUnits = options.gas.gasUnits;
  const gasBase = gasCostBase(options.gas);
  const price = d.state.price;
  const amountOutBase = debtToBase(quote.amountOut, price, d.unit, "down");
  const premiumBase = debtToBase(premium, price, d.unit, "up");
  const swapCostBase = plan.collateralValueBase - amountOutBase;
  const expectedProfitBase = amountOutBase - plan.debtValueBase - premiumBase - gasBase;
  const f = (x: bigint) => formatBase(snapshot, x);
  if (expectedProfit <= 0n) {
    return {
      skip: `flash loan ${pair}: the swap returns ${quote.amountOut}, not more than repaid ${plan.expectedDebtRepaid} + premium ${premium}`,
    };
  }
  if (expectedProfitBase < options.minProfitBase) {
    return {
      skip:
        `flash loan ${pair} unprofitable: profit ${f(expectedProfitBase)} < MIN_PROFIT ${f(options.minProfitBase)} ` +
        `(swap output ${f(amountOutBase)} - debt ${f(plan.debtValueBase)} - premium ${f(premiumBase)} - gas ${f(gasBase)})`,
    };
  }
  const minAmountOut = sameAsset ? 0n : (quote.amountOut * (BPS - BigInt(bps))) / BPS;
  // The least profit worth the transaction, in the debt asset: MIN_PROFIT and the gas, rounded up, but
  // never above what the quote gives (rounding at the threshold would make the plan revert by design).
  const floor = ceilDiv((options.minProfitBase + gasBase) * d.unit, price === 0n ? 1n : price);
  const minProfit = floor < expectedProfit ? floor : expectedProfit;
  const flashLoan: FlashLoanTerms = {
    liquidator: options.liquidator,
    loanAmount,
    premium,
    premiumTotalBps,
    swapPath: quote.path,
    quotedAmountIn: quote.amountIn,
    quotedAmountOut: quote.amountOut,
    minAmountOut,
    expectedProfit,
    minProfit,
    premiumBase,
    gasUnits,
  };
  return {
    plan: {
      ...plan,
      debtToCover: loanAmount,
      gasCostBase: gasBase,
      swapCostBase,
      expectedProfitBase,
      gasUnits,
      capital: "flashLoan",
      flashLoan,
    },
  };
}

/**
 * Wallet or flash loan, whichever nets more in base currency (a tie goes to the wallet: one call, no
 * swap to go wrong). Either may be missing (wallet lacks the tokens; no liquidator or no route).
 */
export function chooseCapital(wallet: LiquidationPlan | undefined, flash: LiquidationPlan | undefined): LiquidationPlan | undefined {
  if (wallet === undefined) return flash;
  if (flash === undefined) return wallet;
  return flash.expectedProfitBase > wallet.expectedProfitBase ? flash : wallet;
}
