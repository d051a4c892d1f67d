// The fork code path: a second anvil started with --fork-url against the sandbox chain serves the
// same market state, and diverges from it once something happens on the fork. Against a real
// network only when FORK_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type PublicClient } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { startForkedAnvil, type AnvilInstance } from "../../src/chain/anvil.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { healthFactorFromBalances } from "./accountData.js";

// Aave V3 Ethereum (bgd-labs/aave-address-book, AaveV3Ethereum.POOL).
const MAINNET_POOL = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2";

describe.each(["3.0", "3.6"] as const)("fork path: anvil --fork-url the Aave %s sandbox chain", (aave) => {
  let sandbox: Sandbox;
  let fork: AnvilInstance;
  let origin: PublicClient;
  let forked: PublicClient;
  let forkBlock: bigint;

  beforeAll(async () => {
    sandbox = await startSandbox({ aave, borrowers: 40, seed: 11 });
    origin = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    forkBlock = await origin.getBlockNumber();
    fork = await startForkedAnvil(sandbox.anvil.rpcUrl, { forkBlockNumber: forkBlock });
    forked = createPublicClient({ transport: http(fork.rpcUrl), cacheTime: 0 });
  });
  afterAll(async () => {
    await fork?.stop();
    await sandbox?.stop();
  });

  it("serves every reserve's getReserveData as the origin does", async () => {
    expect(await forked.getBlockNumber()).toBe(forkBlock);
    for (const asset of sandbox.market.assets) {
      const args = {
        address: sandbox.market.pool,
        abi: poolAbi,
        functionName: "getReserveData",
        args: [asset.address],
        blockNumber: forkBlock,
      } as const;
      expect(await forked.readContract(args)).toEqual(await origin.readContract(args));
    }
  });

  it("gives every borrower the same account data, and the same HF from balances", async () => {
    const contracts = sandbox.borrowers.map(
      (b) => ({ address: sandbox.market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [b.address] }) as const,
    );
    const read = (client: PublicClient) =>
      client.multicall({ contracts, allowFailure: false, blockNumber: forkBlock, ...multicallOptions });
    const [fromFork, fromOrigin] = await Promise.all([read(forked), read(origin)]);
    expect(fromFork).toEqual(fromOrigin);
    for (const b of sandbox.borrowers.slice(0, 5)) {
      expect(await healthFactorFromBalances(forked, sandbox.market, b.address, forkBlock)).toBe(
        (await origin.readContract({ ...contracts[0]!, args: [b.address], blockNumber: forkBlock }))[5],
      );
    }
  });

  it("moves a price on the fork without touching the origin", async () => {
    const onFork = { ...sandbox.market, rpcUrl: fork.rpcUrl, assets: sandbox.market.assets.map((a) => ({ ...a })) };
    const holder = sandbox.borrowers.find(
      (b) => b.collaterals.some((c) => c.symbol === "WETH") && !b.debts.some((d) => d.symbol === "WETH"),
    )!;
    const args = { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [holder.address] } as const;
    const originBefore = await origin.readContract(args);
    const weth = onFork.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(onFork, "WETH", movedPrice(weth.spec.priceUsd, -25));
    expect(move.blockNumber).toBe(forkBlock + 1n);
    const forkAfter = await forked.readContract({ ...args, blockNumber: move.blockNumber });
    expect(forkAfter[5]).toBeLessThan(originBefore[5]);
    expect(forkAfter[5]).toBe(await healthFactorFromBalances(forked, onFork, holder.address, move.blockNumber));
    expect(await origin.readContract(args)).toEqual(originBefore);
  });
});

describe.skipIf(!process.env.FORK_URL)("fork path: a real network (FORK_URL)", () => {
  it("forks FORK_URL and reads Aave V3 there", async () => {
    const fork = await startForkedAnvil(process.env.FORK_URL!, { startupTimeoutMs: 120_000 });
    try {
      const client = createPublicClient({ transport: http(fork.rpcUrl) });
      const chainId = await client.getChainId();
      if (chainId !== 1) {
        console.log(`FORK_URL is chain ${chainId}; the Aave read below knows Ethereum's addresses only`);
        expect(await client.getBlockNumber()).toBeGreaterThan(0n);
        return;
      }
      const reserves = await client.readContract({ address: MAINNET_POOL, abi: poolAbi, functionName: "getReservesList" });
      expect(reserves.length).toBeGreaterThan(10);
      const revision = await client.readContract({ address: MAINNET_POOL, abi: poolAbi, functionName: "POOL_REVISION" });
      expect(revision).toBeGreaterThan(0n);
    } finally {
      await fork.stop();
    }
  });
});
if (!process.env.FORK_URL) {
  describe("fork path: a real network", () => {
    it.skip("skipped: set FORK_URL to an RPC of a real network to run it", () => {});
  });
}
