// The borrower generator: 2,000 deterministic borrowers whose on-chain health factor is the one
// the generator aimed for (within 1%), some in eMode, with 1-3 collaterals and 1-2 debts, every
// planned collateral enabled as such. On Aave 3.6 they cover both eMode categories, the LT-0
// reserve and the LTV-zero asset as collateral, and decimals 6, 8 and 18 on both sides.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, type PublicClient } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { planBorrowers, type BorrowerPlan } from "../../src/sandbox/borrowers.js";
import { multicallOptions } from "../../src/chain/multicall.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";

const COUNT = 2_000;

describe.each(AAVE_VERSIONS)("sandbox borrowers, Aave %s", (version) => {
  let sandbox: Sandbox;
  let client: PublicClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ aave: version, borrowers: COUNT, seed: 42 });
    client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl) });
    console.log(`Aave ${version}: ${COUNT} borrowers created in ${Math.round(sandbox.timings.borrowersMs)} ms`);
  });
  afterAll(async () => sandbox?.stop());

  const symbolsOf = (b: BorrowerPlan, side: "collaterals" | "debts") => b[side].map((x) => x.symbol);

  it("is deterministic: the same seed plans the same borrowers, another seed others", () => {
    const again = planBorrowers(sandbox.market, { count: 50, seed: 42 });
    expect(again).toEqual(sandbox.borrowers.slice(0, 50));
    const other = planBorrowers(sandbox.market, { count: 50, seed: 43 });
    expect(other.map((b) => b.address)).not.toEqual(again.map((b) => b.address));
  });

  it("mixes eMode, collateral and debt counts", () => {
    const share = sandbox.borrowers.filter((b) => b.eModeCategory !== 0).length / COUNT;
    const expectedShare = version === "3.6" ? 0.4 : 0.25;
    expect(share).toBeGreaterThan(expectedShare - 0.1);
    expect(share).toBeLessThan(expectedShare + 0.1);
    const collateralCounts = new Set(sandbox.borrowers.map((b) => b.collaterals.length));
    const debtCounts = new Set(sandbox.borrowers.map((b) => b.debts.length));
    expect([...collateralCounts].sort()).toEqual([1, 2, 3]);
    expect([...debtCounts].sort()).toEqual([1, 2]);
  });

  it.runIf(version === "3.6")("3.6: covers both categories, the LT-0 reserve, the LTV-zero asset and every decimals", () => {
    const inCategory = (id: number) => sandbox.borrowers.filter((b) => b.eModeCategory === id);
    expect(inCategory(1).length).toBeGreaterThan(100);
    expect(inCategory(2).length).toBeGreaterThan(100);
    // Only eMode 2 can hold wstETH (LT 0) or weETH with the category's LT (LTV 0 there).
    const holders = (symbol: string) => sandbox.borrowers.filter((b) => symbolsOf(b, "collaterals").includes(symbol));
    expect(holders("wstETH").length).toBeGreaterThan(100);
    expect(holders("wstETH").every((b) => b.eModeCategory === 2)).toBe(true);
    expect(inCategory(2).filter((b) => symbolsOf(b, "collaterals").includes("weETH")).length).toBeGreaterThan(100);
    expect(inCategory(2).filter((b) => symbolsOf(b, "collaterals").length === 3).length).toBeGreaterThan(10);
    const decimalsOf = (symbol: string) => sandbox.market.assets.find((a) => a.symbol === symbol)!.decimals;
    for (const side of ["collaterals", "debts"] as const) {
      const decimals = new Set(sandbox.borrowers.flatMap((b) => symbolsOf(b, side).map(decimalsOf)));
      expect([...decimals].sort((a, b) => a - b)).toEqual([6, 8, 18]);
    }
  });

  it("puts every borrower on chain at its target health factor, within 1%, every planned collateral enabled", async () => {
    const data = await client.multicall({
      allowFailure: false,
      ...multicallOptions,
      contracts: sandbox.borrowers.flatMap((b) => [
        { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [b.address] } as const,
        { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserEMode", args: [b.address] } as const,
        { address: sandbox.market.pool, abi: poolAbi, functionName: "getUserConfiguration", args: [b.address] } as const,
      ]),
    });
    const idOf = new Map(sandbox.market.assets.map((a, id) => [a.address, BigInt(id)]));
    const misses: string[] = [];
    sandbox.borrowers.forEach((b: BorrowerPlan, i) => {
      const [collateral, debt, , , , healthFactor] = data[3 * i] as readonly bigint[];
      const eMode = data[3 * i + 1] as bigint;
      const config = (data[3 * i + 2] as { data: bigint }).data;
      const hf = Number(healthFactor) / 1e18;
      const enabled = b.collaterals.every((c) => ((config >> (2n * idOf.get(c.asset)! + 1n)) & 1n) === 1n);
      if (
        collateral === 0n ||
        debt === 0n ||
        !enabled ||
        eMode !== BigInt(b.eModeCategory) ||
        Math.abs(hf / b.targetHealthFactor - 1) > 0.01
      ) {
        misses.push(`#${b.index} hf ${hf} target ${b.targetHealthFactor} eMode ${eMode} collaterals enabled ${enabled}`);
      }
    });
    expect(misses).toEqual([]);
    // The distribution reaches close to the edge and far from it.
    const targets = sandbox.borrowers.map((b) => b.targetHealthFactor);
    expect(Math.min(...targets)).toBeLessThan(1.05);
    expect(Math.max(...targets)).toBeGreaterThan(3);
  });

  it.runIf(version === "3.6")("3.6: the LTV-zero flag is back on after creation, and its holders count with LTV 0", async () => {
    const weEth = sandbox.market.assets.findIndex((a) => a.symbol === "weETH");
    const bitmap = await client.readContract({
      address: sandbox.market.pool,
      abi: poolV36Abi,
      functionName: "getEModeCategoryLtvzeroBitmap",
      args: [2],
    });
    expect((bitmap >> BigInt(weEth)) & 1n).toBe(1n);
    // A holder of weETH alone in eMode 2 has an average LTV of 0 now; its LT is the category's.
    const alone = sandbox.borrowers.find((b) => b.eModeCategory === 2 && symbolsOf(b, "collaterals").join() === "weETH")!;
    expect(alone).toBeDefined();
    const [, , , threshold, ltv] = await client.readContract({
      address: sandbox.market.pool,
      abi: poolV36Abi,
      functionName: "getUserAccountData",
      args: [alone.address],
    });
    expect(ltv).toBe(0n);
    expect(threshold).toBe(9500n);
  });
});
