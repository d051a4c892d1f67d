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
import { aaveOracleAbi, mintableErc20Abi, poolAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorOutcomes } from "../../src/executor/receipts.js";
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
    // such a debt from the wallet (an owner-funded loan through the Liquidator) when that nets more
    // than a flash loan (no swap, no premium).
    const liquidations = await liquidationsBy(client, market.pool, liquidator, shock + 1n, last);
    const liquidated = new Set(liquidations.map((l) => l.user.toLowerCase()));
    expect(
      underWater.filter((u) => !liquidated.has(u.toLowerCase())),
      "every account under water was liquidated",
    ).toEqual([]);
    const txs = await transactionsFrom(client, SANDBOX_KEEPER_ADDRESS, shock + 1n, last);
    expect(
      txs.filter((t) => t.status !== "success"),
      "no keeper transaction reverted",
    ).toEqual([]);

    // Per transaction, from its receipt: its loans (flash or owner-funded: a flash loan shows in the
    // pool's FlashLoan event) and what each moved.
    const hashes = [...new Set(liquidations.map((l) => l.transactionHash))];
    const receipts = await Promise.all(hashes.map((hash) => client.getTransactionReceipt({ hash })));
    const firstBlock = liquidations.map((l) => l.blockNumber).reduce((x, y) => (x < y ? x : y));
    const after = await balancesOf(client, market, SANDBOX_KEEPER_ADDRESS);
    const moved = new Map<string, bigint>();
    const add = (asset: Address, amount: bigint) => moved.set(asset.toLowerCase(), (moved.get(asset.toLowerCase()) ?? 0n) + amount);
    let batched = 0;
    const lines = keeper.lines.filter((l) => l.msg === "liquidated");
    const rows: string[] = [];
    const deviations: { hash: string; deviation: bigint; realized: bigint; predicted: bigint }[] = [];
    for (const receipt of receipts) {
      const outcomes = liquidatorOutcomes(receipt.logs, liquidator);
      const flashes = parseEventLogs({ abi: poolAbi, eventName: "FlashLoan", logs: receipt.logs });
      const items = outcomes.flatMap((o) => (o.settled ? o.items.filter((i) => i.kind === "liquidated") : []));
      if (items.length > 1) batched++;
      let realizedBase = 0n;
      for (const o of outcomes) {
        if (!o.settled) continue;
        const flash = flashes.some((f) => f.args.asset.toLowerCase() === o.debtAsset.toLowerCase());
        if (receipt.blockNumber === firstBlock) expect(flash, "the first block's liquidations are all flash loans").toBe(true);
        add(o.debtAsset, o.profit);
        const debt = market.assets.find((a) => a.address.toLowerCase() === o.debtAsset.toLowerCase())!;
        const [debtPrice] = await client.readContract({
          address: market.oracle,
          abi: aaveOracleAbi,
          functionName: "getAssetsPrices",
          args: [[debt.address]],
          blockNumber: receipt.blockNumber,
        });
        realizedBase += (o.profit * debtPrice!) / 10n ** BigInt(debt.decimals);
        if (!flash && o.swaps.length === 0) {
          // Owner-funded, no swap: the wallet paid the debt and got the collateral.
          for (const i of o.items) {
            if (i.kind !== "liquidated") continue;
            add(i.collateralAsset, i.collateralSeized);
            add(i.debtAsset, -i.debtRepaid);
          }
        }
      }
      // The keeper's lines for this transaction: one per liquidation, realized and predicted.
      const mine = lines.filter((l) => l.hash === receipt.transactionHash);
      expect(mine.length, `a liquidated line per liquidation of ${receipt.transactionHash}`).toBe(items.length);
      if (mine.some((l) => l.capital !== "flashLoan")) continue; // an owner-funded one's value is its collateral
      const [wethPrice] = await client.readContract({
        address: market.oracle,
        abi: aaveOracleAbi,
        functionName: "getAssetsPrices",
        args: [[weth.address]],
        blockNumber: receipt.blockNumber,
      });
      const gasBase = (receipt.gasUsed * receipt.effectiveGasPrice * wethPrice!) / 10n ** 18n;
      const realized = (realizedBase - gasBase) / 10n ** 6n; // cents
      const logged = mine.reduce((sum, l) => sum + cents(l.realizedProfitUsd), 0n);
      expect(logged - realized, "the keeper's realized figure is the chain's").toBeGreaterThanOrEqual(-BigInt(mine.length));
      expect(logged - realized).toBeLessThanOrEqual(BigInt(mine.length));
      const predicted = mine.reduce((sum, l) => sum + cents(l.predictedProfitUsd), 0n);
      const deviation = ((realized - predicted) * 10_000n) / predicted;
      rows.push(
        `${receipt.transactionHash.slice(0, 10)} ${mine.length} liquidation(s) realized $${Number(realized) / 100} predicted $${Number(predicted) / 100} ` +
          `(${Number(deviation) / 100}%) gas ${receipt.gasUsed} at ${receipt.effectiveGasPrice} wei`,
      );
      deviations.push({ hash: receipt.transactionHash, deviation, realized, predicted });
    }
    market.assets.forEach((asset, i) => {
      expect(after[i]! - before[i]!, `the owner's ${asset.symbol}`).toBe(moved.get(asset.address.toLowerCase()) ?? 0n);
    });
    const left = await balancesOf(client, market, liquidator);
    expect(
      left.every((b) => b === 0n),
      "the Liquidator holds nothing",
    ).toBe(true);
    console.log(
      `Aave ${aave}: ${liquidations.length} liquidations in ${receipts.length} transactions (${batched} with several), ` +
        `${underWater.length} accounts under water\n${rows.join("\n")}`,
    );
    expect(batched, "the first block's liquidations share transactions").toBeGreaterThan(0);
    for (const d of deviations) {
      const what = `${d.hash}: realized ${d.realized} vs predicted ${d.predicted} cents`;
      expect(d.deviation < 0n ? -d.deviation : d.deviation, what).toBeLessThanOrEqual(TOLERANCE_BPS);
    }
  }, 600_000);
});
