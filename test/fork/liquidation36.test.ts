// The profit model against the real Aave 3.6 pool (aave-v3-origin 3.6.0 built from npm, deployed on
// anvil). Each branch of LiquidationLogic 3.6 gets a position built for it (supply and borrow from
// an impersonated account, then a price move); the plan made from the watcher's state for the exact
// timestamp of the next block is sent, and the pool's LiquidationCall event, the treasury's fee
// transfer and DeficitCreated events must equal the plan to the wei. Each revert of
// validateLiquidationCall (and MustNotLeaveDust) is shown real (the same call reverts with that
// error) and never planned (the planner skips it with a reason).
import { beforeAll, describe, expect, it } from "vitest";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  encodeAbiParameters,
  encodeFunctionData,
  getAddress,
  hexToBigInt,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  toHex,
} from "viem";
import {
  aaveV36ErrorsAbi,
  aTokenV36Abi,
  mintableErc20V36Abi,
  poolConfiguratorV36Abi,
  poolV36Abi,
} from "../../contracts-abi/aave-v3.6/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { silentLogger } from "../../src/logging.js";
import { evaluateAccount, healthOf, type CompiledAccount } from "../../src/risk/healthFactor.js";
import { MIN_LEFTOVER_BASE } from "../../src/risk/liquidationAmounts36.js";
import { snapshotMarket, type MarketSnapshot } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_6 } from "../../src/risk/rules.js";
import { MAX_UINT256, mulDivCeil, percentDivCeil, percentMul } from "../../src/risk/wadRayMath.js";
import { deployMarket, type MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { setFeedAnswer } from "../../src/sandbox/prices.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import type { LiquidationPlan } from "../../src/scheduler/plan.js";
import { planLiquidation, planPair, type PairOutcome, type PlanOptions } from "../../src/scheduler/profit.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { useAnvil } from "../helpers/anvil.js";

/** anvil dev account #2, unlocked */
const LIQUIDATOR = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
const HF_095 = 95n * 10n ** 16n;
const WAD = 10n ** 18n;
/** every valid pair becomes a plan: the test is about amounts, not about profit */
const ANY_PROFIT = -(10n ** 40n);
/** Pool ABI plus the library errors (LiquidationLogic's MustNotLeaveDust is not in the Pool's own ABI) */
const POOL_AND_ERRORS = [...poolV36Abi, ...aaveV36ErrorsAbi] as Abi;

describe("profit model == Aave 3.6 Pool.liquidationCall, to the wei", () => {
  let market: MarketDeployment;
  let client: PublicClient;
  let url: string;
  let w: Watcher;
  const symbols = new Map<number, string>();
  const basePrice = new Map<string, bigint>();
  let borrowers = 0;
  const executed: { what: string; plan: LiquidationPlan }[] = [];

  beforeAll(async () => {
    const anvil = await useAnvil();
    url = anvil.rpcUrl;
    market = await deployMarket(url, { aave: "3.6" });
    client = createPublicClient({ transport: http(url), cacheTime: 0, pollingInterval: 20 });
    for (const a of market.assets) {
      basePrice.set(a.symbol, a.spec.priceUsd);
      await send(
        LIQUIDATOR,
        a.address,
        encodeFunctionData({ abi: mintableErc20V36Abi, functionName: "mint", args: [LIQUIDATOR, 10n ** 12n * 10n ** BigInt(a.decimals)] }),
      );
      await send(
        LIQUIDATOR,
        a.address,
        encodeFunctionData({ abi: mintableErc20V36Abi, functionName: "approve", args: [market.pool, maxUint256] }),
      );
    }
    w = new Watcher({ client, addressesProvider: market.addressesProvider, startBlock: 0n, logChunkBlocks: 2_000, logger: silentLogger });
    await w.sync();
    expect(w.rules).toBe(RULES_V3_6);
    for (const r of w.market.reserves) {
      if (r === undefined) continue;
      symbols.set(r.id, market.assets.find((x) => x.address.toLowerCase() === r.asset.toLowerCase())!.symbol);
    }
  }, 300_000);

  const send = (from: Address, to: Address, data: Hex) => sendUnlocked(url, from, { to, data, gas: "0x2dc6c0" }, `call from ${from}`);
  const asset = (symbol: string) => market.assets.find((a) => a.symbol === symbol)!;
  const id = (symbol: string) => [...symbols].find(([, s]) => s === symbol)![0];
  const reserve = (symbol: string) => w.market.reserves[id(symbol)]!;
  /** token units worth `usd` dollars at the current oracle price */
  const units = (symbol: string, usd: number) => (BigInt(Math.round(usd * 100)) * 10n ** 6n * reserve(symbol).unit) / reserve(symbol).price;

  async function setPrice(symbol: string, factor: number) {
    await setFeedAnswer(market, symbol, (basePrice.get(symbol)! * BigInt(Math.round(factor * 1e6))) / 1_000_000n);
    await w.poll();
  }
  const restorePrice = async (symbol: string) => setPrice(symbol, 1);

  /** A fresh impersonated borrower: eMode, supplies (collateral on, unless listed in `notCollateral`), borrows. */
  async function open(o: {
    eMode?: number;
    supply: [string, number][];
    borrow: [string, number][];
    notCollateral?: string[];
  }): Promise<Address> {
    borrowers++;
    const user = getAddress(`0x${(0xb0b0000 + borrowers).toString(16).padStart(40, "0")}`);
    await rpc(url, "anvil_impersonateAccount", [user]);
    await rpc(url, "anvil_setBalance", [user, "0x56BC75E2D63100000"]);
    if (o.eMode) await send(user, market.pool, encodeFunctionData({ abi: poolV36Abi, functionName: "setUserEMode", args: [o.eMode] }));
    for (const [symbol, usd] of o.supply) {
      const a = asset(symbol);
      const amount = units(symbol, usd);
      await send(user, a.address, encodeFunctionData({ abi: mintableErc20V36Abi, functionName: "mint", args: [user, amount] }));
      await send(
        user,
        a.address,
        encodeFunctionData({ abi: mintableErc20V36Abi, functionName: "approve", args: [market.pool, maxUint256] }),
      );
      await send(user, market.pool, encodeFunctionData({ abi: poolV36Abi, functionName: "supply", args: [a.address, amount, user, 0] }));
      if (o.notCollateral?.includes(symbol)) {
        await send(
          user,
          market.pool,
          encodeFunctionData({ abi: poolV36Abi, functionName: "setUserUseReserveAsCollateral", args: [a.address, false] }),
        );
      }
    }
    for (const [symbol, usd] of o.borrow) {
      await send(
        user,
        market.pool,
        encodeFunctionData({ abi: poolV36Abi, functionName: "borrow", args: [asset(symbol).address, units(symbol, usd), 2n, 0, user] }),
      );
    }
    await w.poll();
    expect(w.book.compiled(user), `${user} is in the book`).toBeDefined();
    return user;
  }

  /** The watcher at the head, and the snapshot for the next block, whose timestamp is pinned. */
  async function nextBlock(): Promise<{ snap: MarketSnapshot; ts: bigint }> {
    await w.poll();
    const latest = await client.getBlock({ blockTag: "latest" });
    const ts = latest.timestamp + 12n;
    return { snap: snapshotMarket(w.market, w.rules, ts), ts };
  }
  function compiledAt(user: Address, snap: MarketSnapshot): CompiledAccount {
    const compiled = w.book.compiled(user)!;
    evaluateAccount(compiled, snap);
    return compiled;
  }
  const options = (o: Partial<PlanOptions> = {}): PlanOptions => ({
    gas: { gasUnits: 450_000n, maxFeePerGas: 10n ** 9n, nativePriceBase: reserve("WETH").price },
    minProfitBase: ANY_PROFIT,
    blockNumber: w.head.number,
    symbols,
    liquidator: LIQUIDATOR,
    ...o,
  });
  const planOf = (o: PairOutcome): LiquidationPlan => {
    if (!("plan" in o)) throw new Error(`skipped: ${o.skip}`);
    return o.plan;
  };
  const skipOf = (o: PairOutcome): string => {
    if (!("skip" in o)) throw new Error(`planned: ${JSON.stringify(o.plan, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    return o.skip;
  };
  const pairPlan = (user: Address, snap: MarketSnapshot, c: string, d: string, o: Partial<PlanOptions> = {}) =>
    planPair(compiledAt(user, snap), snap, id(c), id(d), options(o));

  /** Storage slot of `_reserves[asset].configuration` in the pool (found by matching getConfiguration). */
  async function configurationSlot(assetAddress: Address): Promise<Hex> {
    const { data } = await client.readContract({
      address: market.pool,
      abi: poolV36Abi,
      functionName: "getConfiguration",
      args: [assetAddress],
    });
    for (let s = 0n; s < 200n; s++) {
      const slot = keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [assetAddress, s]));
      if (hexToBigInt((await client.getStorageAt({ address: market.pool, slot }))!) === data) return slot;
    }
    throw new Error("reserve configuration slot not found");
  }
  async function setStorage(slot: Hex, value: bigint) {
    await rpc(url, "anvil_setStorageAt", [market.pool, slot, toHex(value, { size: 32 })]);
    await rpc(url, "evm_mine", []);
  }

  /** The error the pool reverts with for this call from `from` (undefined when it would succeed). */
  async function revertOf(
    user: Address,
    c: string,
    d: string,
    debtToCover: bigint,
    from: Address = LIQUIDATOR,
  ): Promise<string | undefined> {
    try {
      await client.simulateContract({
        address: market.pool,
        abi: POOL_AND_ERRORS,
        functionName: "liquidationCall",
        args: [asset(c).address, asset(d).address, user, debtToCover, false],
        account: from,
        gas: 3_000_000n,
      });
      return undefined;
    } catch (err) {
      const reverted = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
      if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName ?? reverted.signature ?? reverted.shortMessage;
      throw err;
    }
  }

  /** Sends the plan's liquidationCall in the block with timestamp `ts` and checks every amount. */
  async function execute(what: string, p: LiquidationPlan, ts: bigint): Promise<void> {
    const c = w.market.reserves[p.collateralReserveId]!;
    const userScaledBefore = await client.readContract({
      address: c.aToken,
      abi: aTokenV36Abi,
      functionName: "scaledBalanceOf",
      args: [p.user],
    });
    await rpc(url, "evm_setNextBlockTimestamp", [Number(ts)]);
    const receipt = await send(
      LIQUIDATOR,
      market.pool,
      encodeFunctionData({
        abi: poolV36Abi,
        functionName: "liquidationCall",
        args: [p.collateralAsset, p.debtAsset, p.user, p.debtToCover, p.receiveAToken],
      }),
    );
    expect((await client.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBe(ts);
    const [event, ...more] = parseEventLogs({ abi: poolV36Abi, eventName: "LiquidationCall", logs: receipt.logs });
    expect(more).toHaveLength(0);
    expect(event!.args, what).toEqual({
      collateralAsset: p.collateralAsset,
      debtAsset: p.debtAsset,
      user: p.user,
      debtToCover: p.expectedDebtRepaid,
      liquidatedCollateralAmount: p.expectedCollateralSeized,
      liquidator: LIQUIDATOR,
      receiveAToken: false,
    });
    // The treasury's fee: the aToken Transfer from the user, the amount after the pool's 1-wei clamp.
    const feeTransfers = parseEventLogs({ abi: aTokenV36Abi, eventName: "Transfer", logs: receipt.logs }).filter(
      (l) =>
        l.address.toLowerCase() === c.aToken.toLowerCase() &&
        l.args.from === p.user &&
        l.args.to.toLowerCase() === market.treasury.toLowerCase(),
    );
    expect(
      feeTransfers.map((l) => l.args.value),
      `${what}: treasury fee`,
    ).toEqual(p.expectedProtocolFee === 0n ? [] : [p.expectedProtocolFee]);
    // The user's scaled aTokens: the liquidator's share and the fee leave with TokenMath's ceil.
    const index = await client.readContract({
      address: market.pool,
      abi: poolV36Abi,
      functionName: "getReserveNormalizedIncome",
      args: [c.asset],
      blockNumber: receipt.blockNumber,
    });
    const userScaledAfter = await client.readContract({
      address: c.aToken,
      abi: aTokenV36Abi,
      functionName: "scaledBalanceOf",
      args: [p.user],
      blockNumber: receipt.blockNumber,
    });
    const liquidatorShare = RULES_V3_6.aTokenLiquidationScaled(p.expectedCollateralSeized, index);
    const feeScaled = p.expectedProtocolFee === 0n ? 0n : RULES_V3_6.aTokenLiquidationScaled(p.expectedProtocolFee, index);
    const left = userScaledBefore - liquidatorShare;
    expect(userScaledBefore - userScaledAfter).toBe(liquidatorShare + (feeScaled > left ? left : feeScaled));
    // Bad debt: one DeficitCreated per planned deficit.
    const deficits = parseEventLogs({ abi: poolV36Abi, eventName: "DeficitCreated", logs: receipt.logs });
    expect(
      deficits.map((l) => ({ asset: l.args.debtAsset, amount: l.args.amountCreated })),
      `${what}: deficits`,
    ).toEqual((p.expectedDeficits ?? []).map((x) => ({ asset: x.asset, amount: x.amount })));
    executed.push({ what, plan: p });
  }

  it("revert reasons the planner never plans: healthy, collateral not enabled, debt not borrowed", async () => {
    const user = await open({
      supply: [
        ["WETH", 10_000],
        ["LINK", 3_000],
      ],
      borrow: [["USDC", 7_000]],
      notCollateral: ["LINK"],
    });
    let { snap, ts } = await nextBlock();
    // HF = 10000·0.83/7000 > 1
    expect(planLiquidation(compiledAt(user, snap), snap, options()).skip).toMatch(/^healthy \(HF 1\.\d{4}\)$/);
    expect(await revertOf(user, "WETH", "USDC", maxUint256)).toBe("HealthFactorNotBelowThreshold");
    // WETH -18%: HF 0.97
    await setPrice("WETH", (0.97 * 7_000) / 8_300);
    ({ snap, ts } = await nextBlock());
    expect(healthOf(compiledAt(user, snap)).healthFactor).toBeLessThan(WAD);
    expect(skipOf(pairPlan(user, snap, "LINK", "USDC"))).toBe("LINK is not enabled as collateral by the user");
    expect(await revertOf(user, "LINK", "USDC", maxUint256)).toBe("CollateralCannotBeLiquidated");
    expect(skipOf(pairPlan(user, snap, "WETH", "DAI"))).toBe("user has no DAI debt");
    expect(await revertOf(user, "WETH", "DAI", maxUint256)).toBe("SpecifiedCurrencyNotBorrowedByUser");

    // ...and the same account's real pair: 50% of the whole position (one debt = all of TD)
    const p = planOf(pairPlan(user, snap, "WETH", "USDC"));
    const acc = compiledAt(user, snap);
    expect(p.healthFactor > HF_095 && p.healthFactor < WAD).toBe(true);
    const debt = acc.debt[0]!.varBal;
    expect(p.debtToCover).toBe((percentMul(acc.totalDebtBase, 5_000n) * reserve("USDC").unit) / reserve("USDC").price);
    expect(p.debtToCover < debt).toBe(true);
    await execute("50% close factor", p, ts);
    await restorePrice("WETH");
  });

  it("100% close factor below HF 0.95; self-liquidation, paused reserve and grace period are never planned", async () => {
    const user = await open({ supply: [["WETH", 10_000]], borrow: [["USDC", 7_000]] });
    await setPrice("WETH", (0.9 * 7_000) / 8_300);
    let { snap, ts } = await nextBlock();
    // the borrower liquidating itself: skipped, and the pool says SelfLiquidation
    expect(planLiquidation(compiledAt(user, snap), snap, options({ liquidator: user }))).toEqual({
      pairs: [],
      skip: "self-liquidation: the liquidator is the borrower (SelfLiquidation, Aave 3.4+)",
    });
    expect(await revertOf(user, "WETH", "USDC", maxUint256, user)).toBe("SelfLiquidation");

    // USDC inactive: the configurator refuses setReserveActive(false) while anyone supplies, so the
    // pool's stored configuration gets its active bit (56) cleared directly, then restored
    const usdcConfigSlot = await configurationSlot(asset("USDC").address);
    const usdcConfig = hexToBigInt((await client.getStorageAt({ address: market.pool, slot: usdcConfigSlot }))!);
    await setStorage(usdcConfigSlot, usdcConfig & ~(1n << 56n));
    ({ snap } = await nextBlock());
    expect(reserve("USDC").active).toBe(false);
    expect(skipOf(pairPlan(user, snap, "WETH", "USDC"))).toBe("debt USDC is not active");
    expect(await revertOf(user, "WETH", "USDC", maxUint256)).toBe("ReserveInactive");
    await setStorage(usdcConfigSlot, usdcConfig);

    // USDC paused
    const configurator = (fn: "setReservePause" | "disableLiquidationGracePeriod", args: readonly unknown[]) =>
      send(market.deployer, market.poolConfigurator, encodeFunctionData({ abi: poolConfiguratorV36Abi, functionName: fn, args } as never));
    await configurator("setReservePause", [asset("USDC").address, true]);
    ({ snap } = await nextBlock());
    expect(skipOf(pairPlan(user, snap, "WETH", "USDC"))).toBe("debt USDC is paused");
    expect(await revertOf(user, "WETH", "USDC", maxUint256)).toBe("ReservePaused");
    // unpaused with a one-hour liquidation grace period
    await configurator("setReservePause", [asset("USDC").address, false, 3600]);
    ({ snap } = await nextBlock());
    expect(reserve("USDC").liquidationGracePeriodUntil > snap.timestamp).toBe(true);
    expect(skipOf(pairPlan(user, snap, "WETH", "USDC"))).toBe(
      `debt USDC is in its liquidation grace period until ${reserve("USDC").liquidationGracePeriodUntil}`,
    );
    expect(await revertOf(user, "WETH", "USDC", maxUint256)).toBe("LiquidationGraceSentinelCheckFailed");
    await configurator("disableLiquidationGracePeriod", [asset("USDC").address]);

    ({ snap, ts } = await nextBlock());
    const p = planLiquidation(compiledAt(user, snap), snap, options()).best!;
    expect(p.healthFactor <= HF_095).toBe(true);
    expect(p.expectedDebtRepaid).toBe(compiledAt(user, snap).debt[0]!.varBal);
    expect(p.debtToCover).toBe(MAX_UINT256);
    await execute("100% close factor", p, ts);
    expect(
      await client.readContract({ address: reserve("USDC").variableDebtToken, abi: aTokenV36Abi, functionName: "balanceOf", args: [user] }),
    ).toBe(0n);
    await restorePrice("WETH");
  });

  it("a position under $2,000 is repaid whole above HF 0.95", async () => {
    const user = await open({ supply: [["WETH", 1_800]], borrow: [["USDC", 1_300]] });
    await setPrice("WETH", (0.97 * 1_300) / (1_800 * 0.83));
    const { snap, ts } = await nextBlock();
    const p = planLiquidation(compiledAt(user, snap), snap, options()).best!;
    expect(p.healthFactor > HF_095 && p.healthFactor < WAD).toBe(true);
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDebtRepaid).toBe(compiledAt(user, snap).debt[0]!.varBal);
    await execute("under $2,000", p, ts);
    await restorePrice("WETH");
  });

  it("a leftover that would be dust: the plan leaves $1,000 of debt; the 50% amount reverts MustNotLeaveDust", async () => {
    const user = await open({
      supply: [["WETH", 12_000]],
      borrow: [
        ["USDC", 4_000],
        ["DAI", 2_800],
      ],
    });
    await setPrice("WETH", (0.97 * 6_800) / (12_000 * 0.83));
    const { snap, ts } = await nextBlock();
    const acc = compiledAt(user, snap);
    const usdcDebt = acc.debt.find((s) => s.id === id("USDC"))!.varBal;
    const half = (percentMul(acc.totalDebtBase, 5_000n) * reserve("USDC").unit) / reserve("USDC").price;
    // the close factor alone would leave about $600: the pool refuses it
    expect(mulDivCeil(usdcDebt - half, reserve("USDC").price, reserve("USDC").unit) < MIN_LEFTOVER_BASE).toBe(true);
    expect(await revertOf(user, "WETH", "USDC", maxUint256)).toBe("MustNotLeaveDust");
    expect(await revertOf(user, "WETH", "USDC", half)).toBe("MustNotLeaveDust");
    const p = planOf(pairPlan(user, snap, "WETH", "USDC"));
    expect(p.debtToCover < half).toBe(true);
    // exactly the largest amount that leaves $1,000 (rounded up) of USDC debt
    expect(mulDivCeil(usdcDebt - p.debtToCover, reserve("USDC").price, reserve("USDC").unit) >= MIN_LEFTOVER_BASE).toBe(true);
    expect(mulDivCeil(usdcDebt - p.debtToCover - 1n, reserve("USDC").price, reserve("USDC").unit) < MIN_LEFTOVER_BASE).toBe(true);
    await execute("dust avoided", p, ts);
    await restorePrice("WETH");
  });

  it("collateral-capped: all of the small collateral, the debt needed rounded up", async () => {
    // borrowing power 1000·0.805 + 8000·0.53 = $5045; HF 0.97 after LINK falls
    const user = await open({
      supply: [
        ["WETH", 1_000],
        ["LINK", 8_000],
      ],
      borrow: [["USDC", 5_000]],
    });
    await setPrice("LINK", (0.97 * 5_000 - 830) / (8_000 * 0.68));
    const { snap, ts } = await nextBlock();
    const acc = compiledAt(user, snap);
    const p = planOf(pairPlan(user, snap, "WETH", "USDC"));
    const wethBal = acc.collateral.find((s) => s.id === id("WETH"))!.bal;
    expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(wethBal);
    expect(p.expectedDebtRepaid < acc.debt[0]!.varBal).toBe(true);
    const c = reserve("WETH"),
      d = reserve("USDC");
    expect(p.expectedDebtRepaid).toBe(percentDivCeil((c.price * wethBal * d.unit) / (d.price * c.unit), BigInt(c.liquidationBonus)));
    expect(p.debtToCover).toBe(MAX_UINT256);
    expect(p.expectedDeficits).toBeUndefined();
    await execute("collateral-capped", p, ts);
    expect(await client.readContract({ address: reserve("WETH").aToken, abi: aTokenV36Abi, functionName: "balanceOf", args: [user] })).toBe(
      0n,
    );
    await restorePrice("LINK");
  });

  it("eMode (bitmap): the stablecoin category's 1% bonus", async () => {
    const user = await open({ eMode: 1, supply: [["DAI", 10_000]], borrow: [["USDC", 9_000]] });
    await setPrice("DAI", (0.97 * 9_000) / 9_500);
    const { snap, ts } = await nextBlock();
    const p = planOf(pairPlan(user, snap, "DAI", "USDC"));
    const c = reserve("DAI"),
      d = reserve("USDC");
    const category = w.market.eModes.get(1)!;
    expect(category.liquidationBonus).not.toBe(c.liquidationBonus);
    const base = (d.price * p.expectedDebtRepaid * c.unit) / (c.price * d.unit);
    expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(percentMul(base, BigInt(category.liquidationBonus)));
    await execute("eMode", p, ts);
    await restorePrice("DAI");
  });

  it("LT-0 collateral (wstETH, LT 0 outside eMode) is liquidated with the eMode bonus", async () => {
    expect(reserve("wstETH").liquidationThreshold).toBe(0);
    const user = await open({ eMode: 2, supply: [["wstETH", 10_000]], borrow: [["WETH", 8_000]] });
    const lt = w.market.eModes.get(2)!.liquidationThreshold / 10_000;
    await setPrice("wstETH", (0.97 * 8_000) / (10_000 * lt));
    const { snap, ts } = await nextBlock();
    const p = planOf(pairPlan(user, snap, "wstETH", "WETH"));
    expect(p.healthFactor < WAD).toBe(true);
    // the category's bonus (the reserve's own is 0): seized + fee = percentMul(base, eMode LB)
    const c = reserve("wstETH"),
      d = reserve("WETH");
    const base = (d.price * p.expectedDebtRepaid * c.unit) / (c.price * d.unit);
    expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(percentMul(base, BigInt(w.market.eModes.get(2)!.liquidationBonus)));
    await execute("LT-0 collateral", p, ts);
    await restorePrice("wstETH");
  });

  it("bad debt: the last collateral goes, the other debts become deficit", async () => {
    const user = await open({
      supply: [["WETH", 1_000]],
      borrow: [
        ["USDC", 600],
        ["DAI", 200],
      ],
    });
    await setPrice("WETH", 0.5);
    const { snap, ts } = await nextBlock();
    const p = planOf(pairPlan(user, snap, "WETH", "USDC"));
    expect(p.expectedDeficits?.map((x) => x.reserveId)).toEqual([id("USDC"), id("DAI")]);
    expect(p.gasUnits).toBe(450_000n + 75_000n);
    await execute("deficit", p, ts);
    for (const s of ["USDC", "DAI"]) {
      expect(
        await client.readContract({ address: reserve(s).variableDebtToken, abi: aTokenV36Abi, functionName: "balanceOf", args: [user] }),
      ).toBe(0n);
    }
    await restorePrice("WETH");
  });

  it("every branch was executed", () => {
    expect(executed.map((e) => e.what)).toEqual([
      "50% close factor",
      "100% close factor",
      "under $2,000",
      "dust avoided",
      "collateral-capped",
      "eMode",
      "LT-0 collateral",
      "deficit",
    ]);
    expect(executed.some((e) => e.plan.expectedProtocolFee > 0n)).toBe(true);
  });
});
