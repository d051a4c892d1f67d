// The property the whole keeper rests on: for every account, the engine's health factor (and its
// collateral/debt totals, average LT and LTV) equals Pool.getUserAccountData at the same block, exactly.
// 1,000+ random sandbox accounts (decimals 6/8/18, eMode, 1-3 collaterals, 1-2 debts), after months of
// interest with the indexes updated in between, and after price moves of both kinds. One body for
// every Aave version the sandbox deploys (healthFactorProperty.test.ts: 3.0, healthFactorProperty36.test.ts: 3.6).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { silentLogger } from "../../src/logging.js";
import { createBorrowers, planBorrowers } from "../../src/sandbox/borrowers.js";
import type { AaveVersion } from "../../src/sandbox/marketSpec.js";
import { movedPrice, replaceAssetSource, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { Watcher } from "../../src/watcher/watcher.js";

const DAY = 86_400;

async function mismatches(watcher: Watcher, client: PublicClient, pool: Address, users: readonly Address[]): Promise<string[]> {
  const onChain = await client.multicall({
    ...multicallOptions,
    allowFailure: false,
    blockNumber: watcher.head.number,
    contracts: users.map((user) => ({ address: pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }) as const),
  });
  const out: string[] = [];
  users.forEach((user, i) => {
    const [collateral, debt, , threshold, ltv, healthFactor] = onChain[i]!;
    const mine = watcher.book.health(user);
    if (
      !mine ||
      mine.healthFactor !== healthFactor ||
      mine.totalCollateralBase !== collateral ||
      mine.totalDebtBase !== debt ||
      mine.avgLiquidationThreshold !== threshold ||
      mine.ltv !== ltv
    ) {
      out.push(
        `${user}: engine ${mine?.healthFactor} (${mine?.totalCollateralBase}/${mine?.totalDebtBase}/${mine?.avgLiquidationThreshold}/${mine?.ltv}) ` +
          `chain ${healthFactor} (${collateral}/${debt}/${threshold}/${ltv})`,
      );
    }
  });
  return out;
}

export interface PropertyCase {
  aave: AaveVersion;
  /** extra checks that the random set covers what this version must prove (run on the synced book) */
  coverage?: (watcher: Watcher, sandbox: Sandbox) => void;
}

export function describeHealthFactorProperty({ aave, coverage }: PropertyCase): void {
  describe(`health factor on Aave ${aave}: engine == Pool.getUserAccountData, exactly`, () => {
    let sandbox: Sandbox;
    let client: PublicClient;
    let watcher: Watcher;

    beforeAll(async () => {
      sandbox = await startSandbox({ aave, borrowers: 1_000, seed: 21 });
      const url = sandbox.anvil.rpcUrl;
      // Months pass; then more borrowers arrive (updating every reserve's index and rate); more time.
      await rpc(url, "evm_increaseTime", [90 * DAY]);
      await rpc(url, "evm_mine");
      await createBorrowers(sandbox.market, planBorrowers(sandbox.market, { count: 100, seed: 22 }));
      await rpc(url, "evm_increaseTime", [30 * DAY]);
      await rpc(url, "evm_mine");
      client = createPublicClient({ transport: http(url), cacheTime: 0 });
      watcher = new Watcher({
        client,
        addressesProvider: sandbox.market.addressesProvider,
        startBlock: 0n,
        logChunkBlocks: 2_000,
        logger: silentLogger,
      });
      await watcher.sync();
    });
    afterAll(async () => sandbox?.stop());

    const users = () => [...watcher.book.users()];

    it("after 120 days of interest: every account matches (HF, collateral, debt, avg LT, LTV)", async () => {
      expect(watcher.rules.version).toBe(`Aave V${aave}`);
      expect(watcher.book.size).toBeGreaterThanOrEqual(1_100);
      const eModeAccounts = users().filter((u) => watcher.book.get(u)!.eModeCategory !== 0);
      expect(eModeAccounts.length).toBeGreaterThan(100);
      const positions = users().map((u) => watcher.book.get(u)!);
      const decimals = new Set(
        positions
          .flatMap((p) => [...p.scaledCollateral.keys(), ...p.scaledVariableDebt.keys()])
          .map((id) => watcher.market.reserves[id]!.decimals),
      );
      expect([...decimals].sort((a, b) => a - b)).toEqual([6, 8, 18]);
      // borrowers (the liquidity provider supplies every reserve and borrows nothing)
      const borrowers = positions.filter((p) => p.scaledVariableDebt.size > 0);
      expect(borrowers.length).toBeGreaterThanOrEqual(1_100);
      expect(new Set(borrowers.map((p) => p.scaledCollateral.size))).toEqual(new Set([1, 2, 3]));
      expect(new Set(borrowers.map((p) => p.scaledVariableDebt.size))).toEqual(new Set([1, 2]));
      coverage?.(watcher, sandbox);
      expect(await mismatches(watcher, client, sandbox.market.pool, users())).toEqual([]);
    });

    it("after a feed answer change (AnswerUpdated): every account, incrementally", async () => {
      const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
      const wethId = sandbox.market.assets.indexOf(weth);
      await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -17));
      const update = await watcher.poll();
      expect(update?.changedReserves).toContain(wethId);
      const exposed = [...watcher.book.usersExposedTo([wethId])];
      expect(exposed.length).toBeGreaterThan(100);
      expect(await mismatches(watcher, client, sandbox.market.pool, exposed)).toEqual([]);
      expect(await mismatches(watcher, client, sandbox.market.pool, users())).toEqual([]);
      expect(watcher.book.liquidatable().length).toBeGreaterThan(0);
    });

    it("after the oracle source is replaced (AssetSourceUpdated): all accounts match", async () => {
      const link = sandbox.market.assets.find((a) => a.symbol === "LINK")!;
      await replaceAssetSource(sandbox.market, "LINK", movedPrice(link.spec.priceUsd, 12));
      await rpc(sandbox.anvil.rpcUrl, "evm_increaseTime", [7 * DAY]);
      await rpc(sandbox.anvil.rpcUrl, "evm_mine");
      const update = await watcher.poll();
      // A week passed: every borrowing reserve's indexes moved, so every borrower was recomputed.
      expect(update?.recomputed).toBeGreaterThanOrEqual(watcher.book.size);
      expect(await mismatches(watcher, client, sandbox.market.pool, users())).toEqual([]);
    });
  });
}
