// Issue 10's "done when", on Aave 3.0 and 3.6: `keeper run` as a black box against a running sandbox
// (RPC_URL unset: the market, its Uniswap V3 and the keeper key's Liquidator come from the sandbox
// file), with a wallet that holds no token at all, only ETH for gas. A WETH shock puts accounts under
// water; from the chain: every one of them is liquidated through the Liquidator (flash loans), no
// keeper transaction reverts, the owner's balances rose by exactly the LoanSettled events' profits, the
// contract keeps no token; and per liquidation the realized profit (the event's profit at the mined
// block's oracle price, less the gas paid) is within 1% of the keeper's prediction (its log line).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEventLogs, type Address, type PublicClient } from "viem";
import { aaveOracleAbi, mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { rpc } from "../../src/chain/rpc.js";
import type { MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { deploySandboxLiquidator, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { describeSandbox, startSandbox } from "../../src/sandbox/sandbox.js";
import { startKeeper } from "../helpers/keeperProcess.js";
import { liquidatableAt, liquidationsBy, transactionsFrom, waitForBlock } from "./keeperChain.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SEED = 81;
/** realized within this share of predicted, per liquidation (the 1%) */
const TOLERANCE_BPS = 100n;

async function balancesOf(client: PublicClient, market: MarketDeployment, holder: Address): Promise<bigint[]> {
  return client.multicall({
    ...multicallOptions,
    allowFailure: false,
    contracts: market.assets.map(
      (a) =>
        ({
          address: a.address,
          abi: mintableErc20Abi,
          functionName: "balanceOf",
          args: [holder],
        }) as const,
    ),
  });
}

/** USD cents from the keeper's "123.45" strings (base currency 8 decimals in the sandbox). */
const cents = (usd: unknown): bigint => {
  const [whole, frac = ""] = String(usd).replace("-", "").split(".");
  const value = BigInt(whole!) * 100n + BigInt(frac.padEnd(2, "0").slice(0, 2));
  return String(usd).startsWith("-") ? -value : value;
};

describe.each(AAVE_VERSIONS)("keeper run with flash loans on Aave %s, its wallet holding no token", (aave) => {
  it("liquidates every account a WETH shock puts under water; the profit lands with the owner, within 1% of the prediction", async () => {
    const sandbox = await startSandbox({ aave, borrowers: 200, seed: SEED });
    cleanups.push(() => sandbox.stop());
    sandbox.liquidator = await deploySandboxLiquidator(sandbox.market);
    const liquidator = sandbox.liquidator.address;
    const market = sandbox.market;
    const url = sandbox.anvil.rpcUrl;
    const client = createPublicClient({ transport: http(url), cacheTime: 0 });
    // `keeper run` with RPC_URL unset reads the running sandbox's file from its working directory.
    const dir = mkdtempSync(join(tmpdir(), "keeper-flash-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, ".keeper"));
    writeFileSync(join(dir, ".keeper/sandbox.json"), JSON.stringify(describeSandbox(sandbox, SEED), null, 2));

    // The keeper wallet: gas only.
    const before = await balancesOf(client, market, SANDBOX_KEEPER_ADDRESS);
    expect(
      before.every((b) => b === 0n),
      "the keeper wallet holds no token",
    ).toBe(true);
    expect(await client.getBalance({ address: SANDBOX_KEEPER_ADDRESS })).toBeGreaterThan(0n);

    await rpc(url, "evm_setIntervalMining", [1]);
    const weth = market.assets.find((a) => a.symbol === "WETH")!;
    const users = sandbox.borrowers.map((b) => b.address);

    // Dry run first (no key: the sandbox's Liquidator, simulated from its owner): one opportunity line
    // per account under water, each a flash loan with its quote; then the chain goes back.
    const built = await rpc<string>(url, "evm_snapshot", []);
    const nonceBefore = await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS });
    const quiet = { LOG_LEVEL: "info", POLL_INTERVAL_MS: "100" };
    const dry = startKeeper(["run"], { DRY_RUN: "true", STATE_DIR: join(dir, "dry"), ...quiet }, { cwd: dir });
    cleanups.push(() => dry.stop("SIGKILL"));
    await dry.waitFor((l) => l.msg === "keeper running", 90_000, "dry run: keeper running");
    const dryShock = (await setFeedAnswer(market, "WETH", movedPrice(weth.spec.priceUsd, -25))).blockNumber;
    const dryUnderWater = await liquidatableAt(client, market.pool, users, dryShock);
    // Each within a few blocks (a plan whose pools another path of its block swaps waits one); 20 at most on a loaded machine.
    const logged = () => new Set(dry.lines.filter((l) => l.msg === "opportunity").map((l) => String(l.user).toLowerCase()));
    for (let b = dryShock + 1n; b <= dryShock + 20n && !dryUnderWater.every((u) => logged().has(u.toLowerCase())); b++) {
      await waitForBlock(client, b, 60_000);
    }
    await waitForBlock(client, (await client.getBlockNumber()) + 2n);
    expect(await dry.stop("SIGINT")).toBe(0);
    const opportunities = dry.lines.filter((l) => l.msg === "opportunity");
    expect(opportunities.map((l) => String(l.user).toLowerCase()).sort()).toEqual(dryUnderWater.map((u) => u.toLowerCase()).sort());
    for (const line of opportunities) {
      const quote = line.flashLoan as Record<string, string | string[]>;
      expect(line).toMatchObject({ capital: "flashLoan", simulation: { ok: true } });
      expect(quote.route![0]).toBe(line.collateral);
      expect(quote.route!.at(-1)).toBe(line.debt);
      expect(quote.amountIn).toBe(line.expectedCollateralSeized);
      expect(BigInt(quote.minAmountOut as string)).toBeLessThan(BigInt(quote.amountOut as string));
      expect(BigInt(quote.expectedProfit as string)).toBeGreaterThan(0n);
    }
    expect(await client.getTransactionCount({ address: SANDBOX_KEEPER_ADDRESS }), "the dry run sent nothing").toBe(nonceBefore);
    expect(await rpc<boolean>(url, "evm_revert", [built])).toBe(true);
    await rpc(url, "anvil_dropAllTransactions", []);
    await rpc(url, "evm_setIntervalMining", [1]);

    const keeper = startKeeper(["run"], { PRIVATE_KEY: SANDBOX_KEEPER_KEY, STATE_DIR: join(dir, "state"), ...quiet }, { cwd: dir });
    cleanups.push(() => keeper.stop("SIGKILL"));
    await keeper.waitFor((l) => l.msg === "keeper running", 90_000, "keeper running");
    expect(keeper.lines.find((l) => l.msg === "flash loans through the Liquidator")?.liquidator).toBe(liquidator);

    const shock = (await setFeedAnswer(market, "WETH", movedPrice(weth.spec.priceUsd, -25))).blockNumber;
    const underWater = await liquidatableAt(client, market.pool, users, shock);
    expect(underWater.length).toBeGreaterThan(5);

    // Until every account under water is liquidated (and some blocks more for the receipts), 30 blocks at most.
    let end = shock;
    for (let b = shock + 1n; b <= shock + 30n; b++) {
      await waitForBlock(client, b, 60_000);
      const done = new Set((await liquidationsBy(client, market.pool, liquidator, shock + 1n, b)).map((l) => l.user.toLowerCase()));
      end = b;
      if (underWater.every((u) => done.has(u.toLowerCase()))) break;
    }
    await waitForBlock(client, end + 3n);
    expect(await keeper.stop("SIGTERM")).toBe(0);
    const last = await client.getBlockNumber();

    // Every account under water was liquidated, nothing reverted. The first ones by flash loan: the
    // wallet had no token. The profits land in the wallet, in debt assets: the keeper may later repay
    // such a debt from the wallet when that nets more than a flash loan (no swap, no premium).
    const liquidations = await liquidationsBy(client, market.pool, liquidator, shock + 1n, last);
    const fromWallet = await liquidationsBy(client, market.pool, SANDBOX_KEEPER_ADDRESS, shock + 1n, last);
    const liquidated = new Set([...liquidations, ...fromWallet].map((l) => l.user.toLowerCase()));
    expect(
      underWater.filter((u) => !liquidated.has(u.toLowerCase())),
      "every account under water was liquidated",
    ).toEqual([]);
    const firstBlock = [...liquidations, ...fromWallet].map((l) => l.blockNumber).reduce((a, b) => (a < b ? a : b));
    expect(
      fromWallet.filter((l) => l.blockNumber === firstBlock),
      "the first block's liquidations are all flash loans",
    ).toEqual([]);
    const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, shock + 1n, last);
    expect(
      txs.filter((t) => t.status !== "success"),
      "no keeper transaction reverted",
    ).toEqual([]);

    // The owner got exactly the LoanSettled events' profits (and what its own liquidations moved); the contract keeps nothing.
    // One loan of one item per transaction: its Liquidated event names the user.
    const logs = await client.getLogs({ address: liquidator, fromBlock: shock + 1n, toBlock: last });
    const liquidatedEvents = parseEventLogs({ abi: liquidatorAbi, eventName: "Liquidated", logs });
    const events = parseEventLogs({ abi: liquidatorAbi, eventName: "LoanSettled", logs }).map((e) => {
      const items = liquidatedEvents.filter((l) => l.transactionHash === e.transactionHash);
      expect(items, `one liquidation in ${e.transactionHash}`).toHaveLength(1);
      return { ...e, args: { ...e.args, user: items[0]!.args.user } };
    });
    expect(liquidatedEvents.length).toBe(liquidations.length);
    expect(events.length).toBe(liquidations.length);
    const after = await balancesOf(client, market, SANDBOX_KEEPER_ADDRESS);
    market.assets.forEach((asset, i) => {
      const is = (a: Address) => a.toLowerCase() === asset.address.toLowerCase();
      const profit = events.filter((e) => is(e.args.debtAsset)).reduce((sum, e) => sum + e.args.profit, 0n);
      const own = fromWallet.reduce(
        (sum, l) => sum + (is(l.collateralAsset) ? l.collateral : 0n) - (is(l.debtAsset) ? l.debtToCover : 0n),
        0n,
      );
      expect(after[i]! - before[i]!, `the owner's ${asset.symbol}`).toBe(profit + own);
    });
    expect(
      (await balancesOf(client, market, liquidator)).every((b) => b === 0n),
      "the Liquidator holds no token",
    ).toBe(true);

    // Realized per liquidation from the chain (event profit at the block's oracle price, less the gas
    // paid, valued at the block's WETH price), beside the keeper's own figures and its prediction.
    const lines = keeper.lines.filter((l) => l.msg === "liquidated");
    expect(lines.length).toBe(events.length + fromWallet.length);
    const rows: string[] = [];
    const deviations: { user: Address; deviation: bigint; realized: bigint; predicted: bigint }[] = [];
    for (const e of events) {
      const line = lines.find((l) => l.hash === e.transactionHash)!;
      expect(line, `a liquidated line for ${e.transactionHash}`).toBeDefined();
      const debt = market.assets.find((a) => a.address.toLowerCase() === e.args.debtAsset.toLowerCase())!;
      const [debtPrice, wethPrice] = await client.readContract({
        address: market.oracle,
        abi: aaveOracleAbi,
        functionName: "getAssetsPrices",
        args: [[debt.address, weth.address]],
        blockNumber: e.blockNumber,
      });
      const receipt = await client.getTransactionReceipt({ hash: e.transactionHash });
      const gasBase = (receipt.gasUsed * receipt.effectiveGasPrice * wethPrice!) / 10n ** 18n;
      const realizedBase = (e.args.profit * debtPrice!) / 10n ** BigInt(debt.decimals) - gasBase;
      const realized = realizedBase / 10n ** 6n; // cents
      expect(cents(line.realizedProfitUsd) - realized, "the keeper's realized figure is the chain's").toBeGreaterThanOrEqual(-1n);
      expect(cents(line.realizedProfitUsd) - realized).toBeLessThanOrEqual(1n);
      const predicted = cents(line.predictedProfitUsd);
      const deviation = ((realized - predicted) * 10_000n) / predicted;
      rows.push(
        `${e.args.user} ${line.capital} ${debt.symbol} realized $${Number(realized) / 100} predicted $${Number(predicted) / 100} ` +
          `(${Number(deviation) / 100}%; as planned $${line.plannedProfitUsd}) gas ${receipt.gasUsed} (model ${line.plannedGas}) ` +
          `at ${receipt.effectiveGasPrice} wei`,
      );
      expect(line.capital).toBe("flashLoan");
      deviations.push({ user: e.args.user, deviation, realized, predicted });
    }
    for (const l of fromWallet) {
      const line = lines.find((x) => x.hash === l.transactionHash)!;
      const deviation = ((cents(line.realizedProfitUsd) - cents(line.predictedProfitUsd)) * 10_000n) / cents(line.predictedProfitUsd);
      rows.push(`${l.user} wallet realized $${line.realizedProfitUsd} predicted $${line.predictedProfitUsd} (${Number(deviation) / 100}%)`);
      deviations.push({ user: l.user, deviation, realized: cents(line.realizedProfitUsd), predicted: cents(line.predictedProfitUsd) });
    }
    console.log(
      `Aave ${aave}: ${events.length} flash liquidations and ${fromWallet.length} from the wallet, ` +
        `${underWater.length} accounts under water\n${rows.join("\n")}`,
    );
    for (const d of deviations) {
      const what = `${d.user}: realized ${d.realized} vs predicted ${d.predicted} cents`;
      expect(d.deviation < 0n ? -d.deviation : d.deviation, what).toBeLessThanOrEqual(TOLERANCE_BPS);
    }
  }, 600_000);
});
