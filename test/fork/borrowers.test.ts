// The borrower generator: 2,000 deterministic borrowers whose on-chain health factor is the one
// the generator aimed for (within 1%), some in eMode, with 1-3 collaterals and 1-2 debts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type PublicClient } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { planBorrowers, type BorrowerPlan } from "../../src/sandbox/borrowers.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";

const COUNT = 2_000;

describe("sandbox borrowers", () => {
  let sandbox: Sandbox;
  let client: PublicClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ borrowers: COUNT, seed: 42 });
    client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl) });
    console.log(`${COUNT} borrowers created in ${Math.round(sandbox.timings.borrowersMs)} ms`);
  });
  afterAll(async () => sandbox?.stop());

  it("is deterministic: the same seed plans the same borrowers, another seed others", () => {
    const again = planBorrowers(sandbox.market, { count: 50, seed: 42 });
    expect(again).toEqual(sandbox.borrowers.slice(0, 50));
    const other = planBorrowers(sandbox.market, { count: 50, seed: 43 });
    expect(other.map((b) => b.address)).not.toEqual(again.map((b) => b.address));
  });

  it("mixes eMode, collateral and debt counts", () => {
    const share = sandbox.borrowers.filter((b) => b.eModeCategory === 1).length / COUNT;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.35);
    const collateralCounts = new Set(sandbox.borrowers.map((b) => b.collaterals.length));
    const debtCounts = new Set(sandbox.borrowers.map((b) => b.debts.length));
    expect([...collateralCounts].sort()).toEqual([1, 2, 3]);
    expect([...debtCounts].sort()).toEqual([1, 2]);
  });

  it("puts every borrower on chain at its target health factor, within 1%", async () => {
    const data = await client.multicall({
      allowFailure: false, ...multicallOptions,
      contracts: sandbox.borrowers.flatMap((b) => [
        { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [b.address] } as const,
        { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserEMode", args: [b.address] } as const,
      ]),
    });
    const misses: string[] = [];
    sandbox.borrowers.forEach((b: BorrowerPlan, i) => {
      const [collateral, debt, , , , healthFactor] = data[2 * i] as readonly bigint[];
      const eMode = data[2 * i + 1] as bigint;
      const hf = Number(healthFactor) / 1e18;
      if (collateral === 0n || debt === 0n || eMode !== BigInt(b.eModeCategory) || Math.abs(hf / b.targetHealthFactor - 1) > 0.01) {
        misses.push(`#${b.index} hf ${hf} target ${b.targetHealthFactor} eMode ${eMode}`);
      }
    });
    expect(misses).toEqual([]);
    // The distribution reaches close to the edge and far from it.
    const targets = sandbox.borrowers.map((b) => b.targetHealthFactor);
    expect(Math.min(...targets)).toBeLessThan(1.05);
    expect(Math.max(...targets)).toBeGreaterThan(3);
  });
});
