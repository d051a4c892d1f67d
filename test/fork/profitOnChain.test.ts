// The profit model's amounts against the real Aave V3.0 pool: for accounts made liquidatable by
// price shocks, the plan made from the watcher's state for the exact timestamp of the next block
// is sent as a liquidationCall, and the pool's LiquidationCall event, the treasury's aTokens and
// the liquidator's balances must move by exactly the planned amounts, to the wei.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  encodeFunctionData,
  getAddress,
  http,
  maxUint256,
  parseEventLogs,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { aTokenAbi, mintableErc20Abi, poolAbi } from "../../contracts-abi/aave/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { silentLogger } from "../../src/logging.js";
import { evaluateAccount, healthOf, type CompiledAccount } from "../../src/risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../../src/risk/marketSnapshot.js";
import { percentMul, rayDiv, rayMul, WAD } from "../../src/risk/wadRayMath.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import type { LiquidationPlan } from "../../src/scheduler/plan.js";
import { planLiquidation, planPair, type PlanOptions, type PlanResult } from "../../src/scheduler/profit.js";
import { Watcher } from "../../src/watcher/watcher.js";

/** anvil dev account #2, unlocked */
const LIQUIDATOR = getAddress("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
/** where the liquidator's surplus debt tokens go when a test wants an exact wallet */
const SINK = getAddress("0x000000000000000000000000000000000000bEEF");
const CLOSE_FACTOR_HF_THRESHOLD = 95n * 10n ** 16n;
/** every valid pair becomes a plan: the test is about amounts, not about profit */
const ANY_PROFIT = -(10n ** 40n);

describe("profit model == Pool.liquidationCall, to the wei (sandbox, V3.0)", () => {
  let sandbox: Sandbox;
  let client: PublicClient;
  let w: Watcher;
  let url: string;
  const symbols = new Map<number, string>();
  const liquidated = new Set<Address>();
  const executed: { plan: LiquidationPlan; eMode: number }[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ borrowers: 150, seed: 61 });
    url = sandbox.anvil.rpcUrl;
    client = createPublicClient({ transport: http(url), cacheTime: 0, pollingInterval: 20 });
    // The liquidator holds plenty of every asset (the wallet-cap test empties one) and lets the pool pull it.
    for (const a of sandbox.market.assets) {
      await send(
        a.address,
        encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [LIQUIDATOR, 10n ** 9n * 10n ** BigInt(a.decimals)] }),
      );
      await send(
        a.address,
        encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [sandbox.market.pool, maxUint256] }),
      );
    }
    w = new Watcher({
      client,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: 0n,
      logChunkBlocks: 2_000,
      logger: silentLogger,
    });
    await w.sync();
    for (const r of w.market.reserves) {
      if (r === undefined) continue;
      const a = sandbox.market.assets.find((x) => x.address.toLowerCase() === r.asset.toLowerCase());
      if (a !== undefined) symbols.set(r.id, a.symbol);
    }
    expect(symbols.size).toBe(sandbox.market.assets.length);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  async function send(to: Address, data: Hex) {
    const hash = (await client.request({
      method: "eth_sendTransaction",
      params: [{ from: LIQUIDATOR, to, data, gas: "0x2dc6c0" }],
    } as never)) as Hex;
    return client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  }

  const balanceOf = (token: Address, who: Address) =>
    client.readContract({ address: token, abi: mintableErc20Abi, functionName: "balanceOf", args: [who] });
  const symbolOf = (id: number) => symbols.get(id) ?? String(id);

  /** The watcher at the head, and the snapshot for the next block, whose timestamp is pinned. */
  async function nextBlock(): Promise<{ snap: MarketSnapshot; ts: bigint }> {
    await w.poll();
    const latest = await client.getBlock({ blockTag: "latest" });
    const ts = latest.timestamp + 12n;
    return { snap: snapshotMarket(w.market, w.rules, ts), ts };
  }

  const options = (o: Partial<PlanOptions> = {}): PlanOptions => ({
    gas: { gasUnits: 450_000n, maxFeePerGas: 10n ** 9n, nativePriceBase: w.market.reserves[0]!.price },
    minProfitBase: ANY_PROFIT,
    blockNumber: w.head.number,
    symbols,
    ...o,
  });

  /** The account evaluated at `snap` (book.compiled() hands it back evaluated at the head). */
  function compiledAt(user: Address, snap: MarketSnapshot): CompiledAccount {
    const compiled = w.book.compiled(user);
    if (compiled === undefined) throw new Error(`no account ${user}`);
    evaluateAccount(compiled, snap);
    return compiled;
  }

  const plan = (user: Address, snap: MarketSnapshot, o: Partial<PlanOptions> = {}): PlanResult =>
    planLiquidation(compiledAt(user, snap), snap, options(o));

  const hfAt = (user: Address, snap: MarketSnapshot): bigint => healthOf(compiledAt(user, snap)).healthFactor;

  /** Sends the plan's liquidationCall in the block with timestamp `ts` and checks every amount. */
  async function execute(p: LiquidationPlan, ts: bigint): Promise<void> {
    const c = w.market.reserves[p.collateralReserveId]!;
    const d = w.market.reserves[p.debtReserveId]!;
    const treasury = sandbox.market.treasury;
    const before = {
      coll: await balanceOf(p.collateralAsset, LIQUIDATOR),
      debt: await balanceOf(p.debtAsset, LIQUIDATOR),
      treasuryScaled: await client.readContract({ address: c.aToken, abi: aTokenAbi, functionName: "scaledBalanceOf", args: [treasury] }),
      userScaled: await client.readContract({ address: c.aToken, abi: aTokenAbi, functionName: "scaledBalanceOf", args: [p.user] }),
    };
    await rpc(url, "evm_setNextBlockTimestamp", [Number(ts)]);
    const receipt = await send(
      sandbox.market.pool,
      encodeFunctionData({
        abi: poolAbi,
        functionName: "liquidationCall",
        args: [p.collateralAsset, p.debtAsset, p.user, p.debtToCover, p.receiveAToken],
      }),
    );
    const what = `${p.user} ${symbolOf(p.collateralReserveId)}/${symbolOf(p.debtReserveId)}`;
    expect(receipt.status, `liquidationCall ${what} reverted`).toBe("success");
    expect((await client.getBlock({ blockNumber: receipt.blockNumber })).timestamp).toBe(ts);

    const [event, ...more] = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: receipt.logs });
    expect(more).toHaveLength(0);
    expect(event!.args).toEqual({
      collateralAsset: p.collateralAsset,
      debtAsset: p.debtAsset,
      user: p.user,
      debtToCover: p.expectedDebtRepaid,
      liquidatedCollateralAmount: p.expectedCollateralSeized,
      liquidator: LIQUIDATOR,
      receiveAToken: false,
    });

    // Treasury: the aToken Transfer of the fee, and its scaled balance grows by fee.rayDiv(index),
    // so its balance at the liquidation's index is exactly (scaledBefore + fee.rayDiv(index)).rayMul(index).
    const index = await client.readContract({
      address: sandbox.market.pool,
      abi: poolAbi,
      functionName: "getReserveNormalizedIncome",
      args: [c.asset],
      blockNumber: receipt.blockNumber,
    });
    expect(index).toBe(snapshotMarket(w.market, w.rules, ts).reserves[c.id]!.normalizedIncome);
    const feeTransfers = parseEventLogs({ abi: aTokenAbi, eventName: "Transfer", logs: receipt.logs }).filter(
      (l) =>
        l.address.toLowerCase() === c.aToken.toLowerCase() && l.args.to.toLowerCase() === treasury.toLowerCase() && l.args.from === p.user,
    );
    if (p.expectedProtocolFee === 0n) expect(feeTransfers).toHaveLength(0);
    else expect(feeTransfers.map((l) => l.args.value)).toEqual([p.expectedProtocolFee]);
    const treasuryScaled = await client.readContract({
      address: c.aToken,
      abi: aTokenAbi,
      functionName: "scaledBalanceOf",
      args: [treasury],
      blockNumber: receipt.blockNumber,
    });
    const treasuryBalance = await client.readContract({
      address: c.aToken,
      abi: aTokenAbi,
      functionName: "balanceOf",
      args: [treasury],
      blockNumber: receipt.blockNumber,
    });
    expect(treasuryScaled - before.treasuryScaled).toBe(p.expectedProtocolFee === 0n ? 0n : rayDiv(p.expectedProtocolFee, index));
    expect(treasuryBalance).toBe(
      rayMul(before.treasuryScaled + (p.expectedProtocolFee === 0n ? 0n : rayDiv(p.expectedProtocolFee, index)), index),
    );
    // The user lost (seized + fee) of aTokens, in scaled terms.
    const userScaled = await client.readContract({
      address: c.aToken,
      abi: aTokenAbi,
      functionName: "scaledBalanceOf",
      args: [p.user],
      blockNumber: receipt.blockNumber,
    });
    expect(before.userScaled - userScaled).toBe(
      rayDiv(p.expectedCollateralSeized, index) + (p.expectedProtocolFee === 0n ? 0n : rayDiv(p.expectedProtocolFee, index)),
    );

    // The liquidator: + seized collateral (underlying), - debt repaid.
    const after = { coll: await balanceOf(p.collateralAsset, LIQUIDATOR), debt: await balanceOf(p.debtAsset, LIQUIDATOR) };
    if (c.id === d.id) {
      expect(after.coll - before.coll).toBe(p.expectedCollateralSeized - p.expectedDebtRepaid);
    } else {
      expect(after.coll - before.coll).toBe(p.expectedCollateralSeized);
      expect(before.debt - after.debt).toBe(p.expectedDebtRepaid);
    }
    liquidated.add(p.user);
    executed.push({ plan: p, eMode: w.book.compiled(p.user)!.eModeCategory });
  }

  /** Liquidates the user's best pair at the next block; returns the plan. */
  async function liquidateBest(user: Address): Promise<LiquidationPlan> {
    const { snap, ts } = await nextBlock();
    const r = plan(user, snap);
    expect(r.best, `${user}: ${r.skip}`).toBeDefined();
    const p = r.best!;
    // debtToCover is the close factor's share of the reserve's debt at `ts`: 50% above HF 0.95, else 100%
    const slot = compiledAt(user, snap).debt.find((s) => s.id === p.debtReserveId)!;
    expect(p.debtToCover).toBe(percentMul(slot.varBal + slot.stableBal, p.healthFactor > CLOSE_FACTOR_HF_THRESHOLD ? 5_000n : 10_000n));
    await execute(p, ts);
    return r.best!;
  }

  it("a healthy account is skipped, and the pool agrees (error 45)", async () => {
    const { snap } = await nextBlock();
    const users = [...w.book.users()];
    const hfs = users.map((u) => hfAt(u, snap));
    expect(hfs.every((hf) => hf >= WAD)).toBe(true); // nobody is under water before the shocks
    // the least healthy borrower
    const user = users[hfs.indexOf(hfs.reduce((a, b) => (b < a ? b : a)))]!;
    const r = plan(user, snap);
    expect(r.best).toBeUndefined();
    expect(r.pairs).toEqual([]);
    expect(r.skip).toMatch(/^healthy \(HF 1\.\d{4}\)$/);
    const compiled = w.book.compiled(user)!;
    const c = w.market.reserves[compiled.collateral[0]!.id]!;
    const d = w.market.reserves[compiled.debt[0]!.id]!;
    await expect(
      client.call({
        account: LIQUIDATOR,
        to: sandbox.market.pool,
        data: encodeFunctionData({ abi: poolAbi, functionName: "liquidationCall", args: [c.asset, d.asset, user, maxUint256, false] }),
      }),
    ).rejects.toThrow(/45/);
  });

  it("WETH -25%: every liquidatable account's best plan, both close factors", async () => {
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -25));
    await w.poll();
    const users = w.book.liquidatable();
    expect(users.length).toBeGreaterThanOrEqual(4);
    const plans: LiquidationPlan[] = [];
    for (const user of users) plans.push(await liquidateBest(user));
    const half = plans.filter((p) => p.healthFactor > CLOSE_FACTOR_HF_THRESHOLD);
    const full = plans.filter((p) => p.healthFactor <= CLOSE_FACTOR_HF_THRESHOLD);
    expect(half.length).toBeGreaterThanOrEqual(1);
    expect(full.length).toBeGreaterThanOrEqual(2);
    // plans carry the values and the profit identity
    for (const p of plans) {
      expect(p.expectedProfitBase).toBe(p.collateralValueBase - p.debtValueBase - p.gasCostBase - p.swapCostBase);
      expect(p.collateralSymbol).toBe(symbolOf(p.collateralReserveId));
    }
  });

  it("stablecoin shock (USDC -6%): eMode accounts, with the category's 1% bonus", async () => {
    await setFeedAnswer(sandbox.market, "USDC", movedPrice(10n ** 8n, -6));
    await w.poll();
    const eModeUsers = w.book.liquidatable().filter((u) => w.book.compiled(u)!.eModeCategory === 1 && !liquidated.has(u));
    expect(eModeUsers.length).toBeGreaterThanOrEqual(1);
    for (const user of eModeUsers) {
      const p = await liquidateBest(user);
      const c = w.market.reserves[p.collateralReserveId]!;
      expect(c.eModeCategory).toBe(1);
      // Seized + fee = percentMul(base, 10100), not the reserve's own bonus
      const d = w.market.reserves[p.debtReserveId]!;
      const base = (d.price * p.expectedDebtRepaid * c.unit) / (c.price * d.unit);
      if (p.expectedDebtRepaid === p.debtToCover)
        expect(p.expectedCollateralSeized + p.expectedProtocolFee).toBe(percentMul(base, 10_100n));
    }
  });

  it("WBTC -50%: collateral-capped pairs (small collateral, large debt)", async () => {
    await setFeedAnswer(sandbox.market, "WBTC", movedPrice(60_000n * 10n ** 8n, -50));
    await w.poll();
    let capped = 0;
    for (const user of w.book.liquidatable()) {
      if (capped >= 3) break;
      const { snap, ts } = await nextBlock();
      const r = plan(user, snap);
      const pick = r.pairs
        .map((o) => ("plan" in o ? o.plan : undefined))
        .find((p) => p !== undefined && p.expectedDebtRepaid < p.debtToCover);
      if (pick === undefined) continue;
      const slot = compiledAt(user, snap).collateral.find((s) => s.id === pick.collateralReserveId)!;
      // The whole aToken balance goes (liquidator + treasury); the fee's conversion to scaled aTokens
      // can leave the sum 1 wei short of the balance (the exact amounts are checked in execute()).
      expect(slot.bal - (pick.expectedCollateralSeized + pick.expectedProtocolFee)).toBeGreaterThanOrEqual(0n);
      expect(slot.bal - (pick.expectedCollateralSeized + pick.expectedProtocolFee)).toBeLessThanOrEqual(1n);
      await execute(pick, ts);
      const left = await client.readContract({
        address: w.market.reserves[pick.collateralReserveId]!.aToken,
        abi: aTokenAbi,
        functionName: "balanceOf",
        args: [user],
      });
      expect(left).toBe(0n);
      capped++;
    }
    expect(capped).toBeGreaterThanOrEqual(2);
  });

  it("wallet-capped: the liquidator holds a third of what the plan would repay", async () => {
    const user = w.book
      .liquidatable()
      .find((u) => !liquidated.has(u) && plan(u, snapshotMarket(w.market, w.rules, w.head.timestamp + 12n)).best !== undefined);
    expect(user).toBeDefined();
    const first = plan(user!, (await nextBlock()).snap).best!;
    const held = first.expectedDebtRepaid / 3n;
    expect(held).toBeGreaterThan(0n);
    // an exact wallet: send the surplus away, keep `held`
    const d = first.debtAsset;
    await send(
      d,
      encodeFunctionData({ abi: mintableErc20Abi, functionName: "transfer", args: [SINK, (await balanceOf(d, LIQUIDATOR)) - held] }),
    );
    expect(await balanceOf(d, LIQUIDATOR)).toBe(held);

    const { snap, ts } = await nextBlock();
    const walletBalances = new Map([[first.debtReserveId, held]]);
    const o = planPair(compiledAt(user!, snap), snap, first.collateralReserveId, first.debtReserveId, options({ walletBalances }));
    expect("plan" in o).toBe(true);
    const p = (o as { plan: LiquidationPlan }).plan;
    expect(p.debtToCover).toBe(held);
    expect(p.expectedDebtRepaid).toBe(held);
    await execute(p, ts);
    if (p.collateralAsset !== p.debtAsset) expect(await balanceOf(d, LIQUIDATOR)).toBe(0n);

    // an empty wallet: the pair is skipped
    const next = await nextBlock();
    const again = planPair(
      compiledAt(user!, next.snap),
      next.snap,
      p.collateralReserveId,
      p.debtReserveId,
      options({ walletBalances: new Map() }),
    );
    expect(again).toMatchObject({ skip: `wallet holds no ${symbolOf(p.debtReserveId)}` });
  });

  it("summary: what was liquidated", () => {
    const eMode = executed.filter((e) => e.eMode !== 0).length;
    const capped = executed.filter((e) => e.plan.expectedDebtRepaid < e.plan.debtToCover).length;
    const half = executed.filter((e) => e.plan.healthFactor > CLOSE_FACTOR_HF_THRESHOLD).length;
    const fee = executed.filter((e) => e.plan.expectedProtocolFee > 0n).length;
    expect(executed.length).toBeGreaterThanOrEqual(9);
    expect(eMode).toBeGreaterThanOrEqual(1);
    expect(capped).toBeGreaterThanOrEqual(2);
    expect(half).toBeGreaterThanOrEqual(1);
    expect(fee).toBeGreaterThanOrEqual(1);
  });
});
