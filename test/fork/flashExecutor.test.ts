// The executor sends flash-loan plans: on the sandbox (Aave 3.6, then 3.0) a keeper wallet holding only
// ETH deploys the Liquidator, the real profit model plans a flash liquidation (planLiquidation for the
// contract with no wallet limit, a Uniswap quote, planFlashLoan) and the Executor (not a dry run)
// simulates and sends exactly Liquidator.liquidate: mined, the pool's LiquidationCall and the
// contract's Liquidated and LoanSettled events, the owner's debt token up by the loan's profit, nothing
// left in the contract, the mined outcome's ownerProfit equal to the event's. Also: a minimum the chain cannot pay
// is not sent (ProfitBelowMinimum, decoded), a dry run without a key simulates from the contract's
// owner, and a stuck flash transaction is replaced with the same calldata and still mined in time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  encodeFunctionData,
  getAddress,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  parseGwei,
  toHex,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { aaveOracleAbi, mintableErc20Abi, poolAbi, poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { deployLiquidator } from "../../src/chain/liquidatorContract.js";
import { endpointsFor } from "../../src/chain/connections.js";
import { rpc } from "../../src/chain/rpc.js";
import { UniswapQuoter } from "../../src/chain/uniswapQuoter.js";
import { gasModel, nativeReserveId, weiToBase } from "../../src/daemon/gas.js";
import { deviationBps, emptyStats, recordOutcome } from "../../src/daemon/stats.js";
import { Executor, type ExecutorOptions, type TxOutcome } from "../../src/executor/executor.js";
import { packUnits } from "../../src/scheduler/batch.js";
import { decodeLiquidatorCall, flashDeadline, flashLoanOf, OUT_PER_IN_SCALE } from "../../src/executor/poolCall.js";
import { createLogger, silentLogger } from "../../src/logging.js";
import { compileAccount, evaluateAccount } from "../../src/risk/healthFactor.js";
import { snapshotMarket } from "../../src/risk/marketSnapshot.js";
import type { DeployedAsset, MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import type { LiquidationPlan } from "../../src/scheduler/plan.js";
import { flashLiquidationGas, LEFTOVER_MARGIN_DIVISOR, planFlashLoan, planLiquidation } from "../../src/scheduler/profit.js";
import { Watcher } from "../../src/watcher/watcher.js";

/** anvil dev account #3: ETH only on a fresh sandbox */
const KEEPER_KEY: Hex = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const KEEPER: Address = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
/** Ethereum's flash premium (the 3.6 sandbox's); set on the 3.0 sandbox, which charges none */
const FLASH_PREMIUM_BPS = 5n;
const SLIPPAGE_BPS = 50;
const HF_ONE = 10n ** 18n;

describe.each(["3.6", "3.0"] as const)("flash liquidations through the Executor on the Aave %s sandbox", (version) => {
  let sandbox: Sandbox;
  let market: MarketDeployment;
  let client: PublicClient;
  let watcher: Watcher;
  let quoter: UniswapQuoter;
  let liquidator: Address;
  let nativeId: number | undefined;
  const users = new Map<string, Address>();

  const options = (over: Partial<ExecutorOptions> = {}): ExecutorOptions => ({
    connections: endpointsFor(client, market.rpcUrl),
    privateKey: KEEPER_KEY,
    chainId: market.chainId,
    pool: market.pool,
    maxFeeGwei: 500,
    priorityFeeGwei: 1,
    txTimeoutBlocks: 2,
    dryRun: false,
    logger: silentLogger,
    ...over,
  });
  const asset = (symbol: string): DeployedAsset => market.assets.find((a) => a.symbol === symbol)!;
  const head = () => client.getBlock({ blockTag: "latest" });
  const mine = () => rpc(market.rpcUrl, "evm_mine", []);
  const nonceOf = () => client.getTransactionCount({ address: KEEPER, blockTag: "pending" });
  const balanceOf = (token: Address, who: Address, blockNumber?: bigint) =>
    client.readContract({ address: token, abi: mintableErc20Abi, functionName: "balanceOf", args: [who], blockNumber });
  const price = (symbol: string) =>
    client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [asset(symbol).address] });
  const healthFactor = async (user: Address) =>
    (await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }))[5];
  const send = (from: Address, to: Address, data: Hex, what: string) =>
    sendUnlocked(market.rpcUrl, from, { to, data, gas: toHex(3_000_000n) }, what);

  /** A fresh borrower (impersonated) supplying and borrowing USD amounts at the oracle's prices. */
  async function openPosition(name: string, supply: [string, number], borrow: [string, number]): Promise<void> {
    const user = getAddress(keccak256(toHex(`flash executor test borrower ${name}`)).slice(0, 42));
    await rpc(market.rpcUrl, "anvil_impersonateAccount", [user]);
    await rpc(market.rpcUrl, "anvil_setBalance", [user, toHex(10n ** 20n)]);
    const amountOf = async ([symbol, usd]: [string, number]) =>
      (BigInt(usd) * 10n ** 8n * 10n ** BigInt(asset(symbol).decimals)) / (await price(symbol));
    const token = asset(supply[0]).address;
    const amount = await amountOf(supply);
    await send(market.deployer, token, encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [user, amount] }), "mint");
    await send(user, token, encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [market.pool, amount] }), "approve");
    await send(user, market.pool, encodeFunctionData({ abi: poolAbi, functionName: "supply", args: [token, amount, user, 0] }), "supply");
    const borrowed = await amountOf(borrow);
    const data = encodeFunctionData({ abi: poolAbi, functionName: "borrow", args: [asset(borrow[0]).address, borrowed, 2n, 0, user] });
    await send(user, market.pool, data, "borrow");
    users.set(name, user);
  }

  /**
   * The profit model's flash plan for the user, as the daemon makes it: the best pair planned for the
   * contract with no wallet limit, the seized collateral quoted on Uniswap, then planFlashLoan.
   */
  async function flashPlanFor(name: string): Promise<LiquidationPlan> {
    await watcher.poll();
    const user = users.get(name)!;
    const { number, timestamp, baseFeePerGas } = watcher.head;
    const snapshot = snapshotMarket(watcher.market, watcher.rules, timestamp + 1n);
    const account = compileAccount(watcher.book.get(user)!, watcher.rules);
    evaluateAccount(account, snapshot);
    const gas = gasModel(watcher.market, nativeId, baseFeePerGas, parseGwei("1"), parseGwei("500"), 450_000n);
    const planned = planLiquidation(account, snapshot, {
      gas,
      walletBalances: undefined,
      minProfitBase: 0n,
      blockNumber: number,
      liquidator,
      leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR,
      symbols: new Map(market.assets.map((a) => [watcher.market.reserves.findIndex((r) => r?.asset === a.address), a.symbol])),
    });
    const best = planned.best;
    if (!best) throw new Error(`${name}: ${planned.skip}`);
    const request = { tokenIn: best.collateralAsset, tokenOut: best.debtAsset, amountIn: best.expectedCollateralSeized };
    const [quote] = await quoter.quote([request], number);
    if (!quote) throw new Error(`${name}: no Uniswap route`);
    const flash = planFlashLoan(best, quote, snapshot, {
      liquidator,
      gas: { ...gas, gasUnits: flashLiquidationGas(best.gasUnits ?? gas.gasUnits, quote) },
      slippageBps: SLIPPAGE_BPS,
      minProfitBase: 10n ** 8n,
    });
    if ("skip" in flash) throw new Error(`${name}: ${flash.skip}`);
    return flash.plan;
  }

  /** Outcomes onBlock returned that a test has not taken yet (one call may settle several transactions). */
  const unclaimed = new Map<Executor, TxOutcome[]>();

  /** onBlock at the head until an outcome of `kind` for the user comes (mining between tries when asked). */
  async function untilOutcome(ex: Executor, user: Address, kind: TxOutcome["kind"], mineBetween: boolean): Promise<TxOutcome> {
    const seen = unclaimed.get(ex) ?? [];
    unclaimed.set(ex, seen);
    for (let i = 0; i < 30; i++) {
      const at = seen.findIndex((o) => o.kind === kind && o.tx.plans[0]!.user === user);
      if (at >= 0) return seen.splice(at, 1)[0]!;
      const b = await head();
      seen.push(...(await ex.onBlock(b.number, b.baseFeePerGas ?? 0n)));
      if (seen.some((o) => o.kind === kind && o.tx.plans[0]!.user === user)) continue;
      if (mineBetween) await mine();
      else await new Promise((r) => setTimeout(r, 50));
    }
    const other = seen
      .filter((o) => o.tx.plans[0]!.user === user)
      .map((o) => (o.kind === "reverted" || o.kind === "dropped" ? `${o.kind}: ${o.reason}` : o.kind));
    throw new Error(`no "${kind}" outcome for ${user} (${other.join("; ") || "none"})`);
  }

  /** The contract keeps nothing: no token, no aToken. */
  async function expectNothingLeft(): Promise<void> {
    for (const a of market.assets) {
      expect(await balanceOf(a.address, liquidator), `${a.symbol} left in the liquidator`).toBe(0n);
      expect(await balanceOf(a.aToken, liquidator), `a${a.symbol} left in the liquidator`).toBe(0n);
    }
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ aave: version, borrowers: 0 });
    market = sandbox.market;
    client = createPublicClient({ transport: http(market.rpcUrl), cacheTime: 0, pollingInterval: 20 });
    const dex = market.uniswap!;
    if (version === "3.0") {
      const data = encodeFunctionData({ abi: poolConfiguratorAbi, functionName: "updateFlashloanPremiumTotal", args: [FLASH_PREMIUM_BPS] });
      await send(market.deployer, market.poolConfigurator, data, "premium");
    }
    // The keeper holds ETH and no token at all.
    for (const a of market.assets) expect(await balanceOf(a.address, KEEPER)).toBe(0n);
    const fees = { maxFeePerGas: parseGwei("100"), maxPriorityFeePerGas: parseGwei("1") };
    liquidator = (await deployLiquidator(client, KEEPER_KEY, { pool: market.pool, router: dex.swapRouter }, fees)).address;

    // WETH collateral, USDC debt: HF 0.83·100/80 = 1.0375, 0.965 after WETH -7%. WBTC collateral, DAI
    // debt (no WBTC/DAI pool: two hops): 0.78·100/72 = 1.083, 0.975 after WBTC -10%.
    await openPosition("one-hop", ["WETH", 100_000], ["USDC", 80_000]);
    await openPosition("two-hop", ["WBTC", 100_000], ["DAI", 72_000]);
    await openPosition("stuck", ["WETH", 60_000], ["USDC", 48_000]);
    // Three for one batch; b2 is taken by a competitor in the same block (after a 50% liquidation its HF is above 1).
    for (const name of ["b1", "b2", "b3"]) await openPosition(name, ["WETH", 60_000], ["USDC", 48_000]);
    await setFeedAnswer(market, "WETH", movedPrice(await price("WETH"), -7));
    await setFeedAnswer(market, "WBTC", movedPrice(await price("WBTC"), -10));
    for (const [name, user] of users) expect(await healthFactor(user), name).toBeLessThan(HF_ONE);

    watcher = new Watcher({
      client,
      addressesProvider: market.addressesProvider,
      startBlock: 0n,
      logChunkBlocks: 2_000,
      logger: silentLogger,
    });
    await watcher.sync();
    nativeId = nativeReserveId(watcher.market, asset("WETH").address);
    const hubs = [asset("WETH").address, asset("USDC").address];
    quoter = new UniswapQuoter(client, { factory: dex.factory, quoter: dex.quoterV2, hubs });
  });

  afterAll(async () => {
    await sandbox?.stop();
  });

  it("a batch one of whose accounts a competitor liquidates first, in the same block: the rest go through, the taken one is reported skipped", async () => {
    const plans = [await flashPlanFor("b1"), await flashPlanFor("b2"), await flashPlanFor("b3")];
    const [unit] = packUnits(plans, { pool: market.pool, liquidator, maxItems: 20, maxUnitGas: 10_000_000n, gasPerItem: 300_000n });
    expect(unit).toMatchObject({ via: "liquidator", loans: [{ funding: "flashLoan", items: [0, 1, 2] }] });
    const executor = new Executor(options());
    await executor.start();
    const b2 = users.get("b2")!;
    const competitor = getAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"); // anvil dev account #1
    const usdc = asset("USDC").address;
    await send(
      market.deployer,
      usdc,
      encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [competitor, 10n ** 12n] }),
      "mint",
    );
    await send(
      competitor,
      usdc,
      encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [market.pool, 10n ** 12n] }),
      "approve",
    );
    await rpc(market.rpcUrl, "evm_setAutomine", [false]);
    try {
      const block = await head();
      const [results] = await executor.submitUnits([unit!], block.number, block.baseFeePerGas ?? 0n);
      expect(results!.map((r) => r.kind)).toEqual(["sent", "sent", "sent"]);
      const ours = results![0]!.kind === "sent" ? results![0]!.tx : undefined;
      // The competitor pays a higher tip: the block runs its liquidation first.
      const competing = encodeFunctionData({
        abi: poolAbi,
        functionName: "liquidationCall",
        args: [asset("WETH").address, usdc, b2, maxUint256, false],
      });
      await rpc(market.rpcUrl, "eth_sendTransaction", [
        {
          from: competitor,
          to: market.pool,
          data: competing,
          gas: toHex(1_500_000n),
          maxPriorityFeePerGas: toHex(parseGwei("50")),
          maxFeePerGas: toHex(parseGwei("500")),
        },
      ]);
      await mine();
      const outcome = await untilOutcome(executor, plans[0]!.user, "mined", false);
      if (outcome.kind !== "mined") throw new Error("not mined");
      expect(outcome.hash).toBe(ours!.hash);
      // From the chain: the transaction succeeded, b1 and b3 liquidated by the Liquidator, b2 by the competitor first, in the same block.
      const receipt = await client.getTransactionReceipt({ hash: outcome.hash });
      expect(receipt.status).toBe("success");
      const calls = parseEventLogs({
        abi: poolAbi,
        eventName: "LiquidationCall",
        logs: await client.getLogs({ address: market.pool, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber }),
      });
      expect(calls.map((c) => [c.args.user, c.args.liquidator, c.transactionIndex < receipt.transactionIndex])).toEqual([
        [b2, competitor, true],
        [users.get("b1"), liquidator, false],
        [users.get("b3"), liquidator, false],
      ]);
      const [skipped, ...more] = parseEventLogs({ abi: liquidatorAbi, eventName: "Skipped", logs: receipt.logs });
      expect(more).toEqual([]);
      expect(skipped!.args.user).toBe(b2);
      // The executor reports each item: two liquidated, the taken one skipped with the pool's reason.
      const inflict =
        version === "3.0"
          ? "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)"
          : "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())";
      expect(outcome.items.map((i) => [i.plan.user, i.kind, i.kind === "skipped" ? i.reason : ""])).toEqual([
        [users.get("b1"), "liquidated", ""],
        [b2, "skipped", inflict],
        [users.get("b3"), "liquidated", ""],
      ]);
      for (const name of ["b1", "b2", "b3"]) expect(await healthFactor(users.get(name)!), name).toBeGreaterThan(HF_ONE);
      await expectNothingLeft();
    } finally {
      await rpc(market.rpcUrl, "evm_setAutomine", [true]);
    }
  });

  it("dry run without a key: the flash call is simulated in full from the Liquidator's owner", async () => {
    const plan = await flashPlanFor("one-hop");
    expect(plan.capital).toBe("flashLoan");
    const keyless = new Executor(options({ dryRun: true, privateKey: undefined }));
    await keyless.start();
    const block = await head();
    const [r] = await keyless.liquidate([plan], block.number, block.baseFeePerGas ?? 0n);
    expect(r).toMatchObject({ kind: "dry-run", simulation: { ok: true } });
    // A flash liquidation with a swap: well over a plain liquidationCall's gas.
    expect(r!.kind === "dry-run" && r!.simulation.ok && r!.simulation.gas).toBeGreaterThan(400_000n);
  });

  it("a minimum profit the chain cannot pay is not sent: the simulation names ProfitBelowMinimum", async () => {
    const plan = await flashPlanFor("one-hop");
    const terms = plan.flashLoan!;
    const greedy: LiquidationPlan = { ...plan, flashLoan: { ...terms, minProfit: terms.expectedProfit * 2n } };
    const executor = new Executor(options());
    await executor.start();
    const nonce = await nonceOf();
    const block = await head();
    const [r] = await executor.liquidate([greedy], block.number, block.baseFeePerGas ?? 0n);
    expect(r!.kind).toBe("skipped");
    // The simulation (with loose guards) is the quote: its profit falls short of the item's floor, so nothing is sent.
    expect(r!.kind === "skipped" && r!.reason).toMatch(
      new RegExp(`^simulation failed: the simulated profit \\d+ is below its minimum ${terms.expectedProfit * 2n} \\(debt units\\)$`),
    );
    expect(await nonceOf()).toBe(nonce);
  });

  it("sends flash plans to the Liquidator: mined, both events, the owner paid its profit, nothing left in the contract", async () => {
    const plans = [await flashPlanFor("one-hop"), await flashPlanFor("two-hop")];
    expect(plans[1]!.flashLoan!.swapPath.length).toBe(2 + 2 * (20 + 3 + 20 + 3 + 20));
    const executor = new Executor(options());
    await executor.start();
    const block = await head();
    const before = await Promise.all(plans.map((p) => balanceOf(p.debtAsset, KEEPER, block.number)));
    const results = await executor.liquidate(plans, block.number, block.baseFeePerGas ?? 0n);
    expect(results.map((r) => r.kind)).toEqual(["sent", "sent"]);
    const stats = emptyStats();
    for (const [i, plan] of plans.entries()) {
      const outcome = await untilOutcome(executor, plan.user, "mined", false);
      if (outcome.kind !== "mined") throw new Error("not mined");
      const hash = outcome.hash;
      const [tx, receipt] = await Promise.all([client.getTransaction({ hash }), client.getTransactionReceipt({ hash })]);
      // What was sent is the plan's loan, to the Liquidator, its swap's minimum the simulated rate less the slippage.
      expect(tx.to).toBe(liquidator.toLowerCase());
      expectPlanCall(tx.input, plan, receipt);
      expect(receipt.status).toBe("success");
      // Its gas limit is its simulation's: grossed up for the refunds (grossGas), then the 1.25 margin.
      const gross = outcome.tx.simulatedGas + outcome.tx.simulatedGas / 4n;
      expect(tx.gas).toBe((gross * 1250n + 999n) / 1000n);

      const [call, ...moreCalls] = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: receipt.logs });
      expect(moreCalls).toEqual([]);
      expect(call!.args).toMatchObject({ user: plan.user, collateralAsset: plan.collateralAsset, debtAsset: plan.debtAsset, liquidator });
      const [done, ...moreDone] = parseEventLogs({ abi: liquidatorAbi, eventName: "Liquidated", logs: receipt.logs });
      expect(moreDone).toEqual([]);
      expect(done!.args).toMatchObject({
        user: plan.user,
        collateralAsset: plan.collateralAsset,
        debtAsset: plan.debtAsset,
        debtRepaid: call!.args.debtToCover,
        collateralSeized: call!.args.liquidatedCollateralAmount,
      });
      const [settled, ...moreSettled] = parseEventLogs({ abi: liquidatorAbi, eventName: "LoanSettled", logs: receipt.logs });
      expect(moreSettled).toEqual([]);
      expect(settled!.args).toMatchObject({ loan: 0n, debtAsset: plan.debtAsset });
      const profit = settled!.args.profit;
      expect(profit).toBeGreaterThan(0n);

      if (outcome.kind !== "mined" || outcome.items[0]?.kind !== "liquidated") throw new Error("expected its liquidation");
      const item = outcome.items[0];
      expect(item.ownerProfit).toBe(profit);
      expect(item.debtRepaid).toBe(call!.args.debtToCover);
      expect(item.collateralReceived).toBe(call!.args.liquidatedCollateralAmount);
      expect(await balanceOf(plan.debtAsset, KEEPER, outcome.blockNumber)).toBe(before[i]! + profit);

      // Realized against the model: the owner's profit in the debt asset within 1% of the prediction.
      const { value } = recordOutcome(stats, outcome, watcher.market, (wei) => weiToBase(wei, watcher.market, nativeId))[0]!;
      const deviation = deviationBps(value.ownerProfit!, value.expectedOwnerProfit!)!;
      console.log(
        `Aave ${version} flash ${plan.collateralSymbol}/${plan.debtSymbol}: owner profit ${profit}, ` +
          `predicted ${plan.flashLoan!.expectedProfit} ` +
          `(${deviation} bps); gas ${outcome.gasUsed}, simulated ${outcome.tx.simulatedGas}, model ${plan.flashLoan!.gasUnits}`,
      );
      expect(deviation < 0n ? -deviation : deviation).toBeLessThan(100n);
      expect(value.profitBase).toBe(value.grossProfitBase - value.gasBase);
    }
    expect(stats.flashLiquidations).toBe(2);
    // No token reached the wallet but the debt assets' profits.
    const debtAssets = new Set(plans.map((p) => p.debtAsset));
    for (const a of market.assets) if (!debtAssets.has(a.address)) expect(await balanceOf(a.address, KEEPER)).toBe(0n);
    await expectNothingLeft();
  });

  it("a stuck flash transaction is replaced with the same calldata and mined before its deadline", async () => {
    const plan = await flashPlanFor("stuck");
    const lines: string[] = [];
    const destination = { write: (l: string) => lines.push(l) } as unknown as NodeJS.WritableStream;
    const logger = createLogger("debug", { pretty: false, destination });
    const stuck = new Executor(options({ maxFeeGwei: 20, logger }));
    await stuck.start();
    const before = await balanceOf(plan.debtAsset, KEEPER);
    await rpc(market.rpcUrl, "evm_setAutomine", [false]);
    try {
      const block = await head();
      const [r] = await stuck.liquidate([plan], block.number, block.baseFeePerGas ?? 0n);
      if (r?.kind !== "sent") throw new Error(`not sent: ${JSON.stringify(r, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
      // A base fee the transaction cannot pay: it waits in the pool until the replacement.
      await rpc(market.rpcUrl, "anvil_setNextBlockBaseFeePerGas", [toHex(parseGwei("40"))]);
      await mine();
      const replaced = await untilOutcome(stuck, plan.user, "replaced", true);
      expect(replaced.tx.nonce).toBe(r.tx.nonce);
      await mine();
      const mined = await untilOutcome(stuck, plan.user, "mined", true);
      if (mined.kind !== "mined" || replaced.kind !== "replaced") throw new Error("not mined");
      expect(mined.hash).toBe(replaced.hash);
      expect(mined.tx.replacements).toBeGreaterThanOrEqual(1);
      const tx = await client.getTransaction({ hash: mined.hash });
      expect(tx.to).toBe(liquidator.toLowerCase());
      const receipt = await client.getTransactionReceipt({ hash: mined.hash });
      // The replacement carries the first send's calldata: the plan's loan, its guard from the simulation before the first send.
      expectPlanCall(tx.input, plan, receipt);
      const [done] = parseEventLogs({ abi: liquidatorAbi, eventName: "LoanSettled", logs: receipt.logs });
      expect(mined.kind === "mined" && mined.items[0]?.kind === "liquidated" && mined.items[0].ownerProfit).toBe(done!.args.profit);
      expect(await balanceOf(plan.debtAsset, KEEPER)).toBe(before + done!.args.profit);
      const messages = lines.map((l) => JSON.parse(l) as { msg: string; capital?: string });
      expect(messages.filter((m) => ["tx sent", "tx replaced", "tx mined"].includes(m.msg)).map((m) => m.msg)).toEqual(
        expect.arrayContaining(["tx sent", "tx replaced", "tx mined"]),
      );
      expect(messages.find((m) => m.msg === "tx sent")?.capital).toBe("flashLoan");
    } finally {
      await rpc(market.rpcUrl, "evm_setAutomine", [true]);
    }
    await expectNothingLeft();
  });
});

/**
 * The calldata is the plan's one loan (flashLoanOf: its item, its path) with a swap minimum from the
 * simulation: below what the mined swap got per unit in, by about SWAP_SLIPPAGE_BPS (50), not zero.
 */
function expectPlanCall(input: Hex, plan: LiquidationPlan, receipt: TransactionReceipt): void {
  const { loans, deadline } = decodeLiquidatorCall(input);
  const expected = flashLoanOf(plan);
  expect(deadline).toBe(flashDeadline(plan));
  expect(loans).toHaveLength(1);
  expect({ ...loans[0]!, swaps: loans[0]!.swaps.map((s) => s.path) }).toEqual({ ...expected, swaps: expected.swaps.map((s) => s.path) });
  const swapped = parseEventLogs({ abi: liquidatorAbi, eventName: "Swapped", logs: receipt.logs });
  expect(swapped).toHaveLength(expected.swaps.length);
  for (const [k, s] of loans[0]!.swaps.entries()) {
    const rate = (swapped[k]!.args.amountOut * OUT_PER_IN_SCALE) / swapped[k]!.args.amountIn;
    expect(s.minOutPerIn).toBeLessThanOrEqual(rate);
    expect(s.minOutPerIn).toBeGreaterThan((rate * 9_900n) / 10_000n);
  }
}
