import { describe, expect, it } from "vitest";
import { DEFAULT_GAS_UNITS, Estimator } from "./estimator.js";

describe("Estimator", () => {
  it("learns a liquidation's gas from simulations, per item of a batch, and the plain call's net of what the model added", () => {
    const e = new Estimator(400_000n);
    expect([e.gasPerLiquidation, e.liquidationCallGas]).toEqual([400_000n, 400_000n]);
    // A batch of 4 that needs 1.6M gas (1.2M net), of which the model put 0.4M on top of the plain calls (loans, swaps).
    e.observeSimulation(1_600_000n, 1_200_000n, 4, 400_000n);
    expect(e.gasPerLiquidation).toBe((400_000n * 7n + 400_000n) / 8n);
    expect(e.liquidationCallGas).toBe((400_000n * 7n + 200_000n) / 8n);
    e.observeSimulation(0n, 0n, 0, 0n); // nothing to learn
    expect(new Estimator().gasPerLiquidation).toBe(DEFAULT_GAS_UNITS);
  });

  it("the block time is the median of the recent intervals (12 s before any)", () => {
    const e = new Estimator();
    expect(e.blockTime()).toBe(12n);
    e.observeBlocks(100n, 1n);
    for (const [t, blocks] of [
      [102n, 1n],
      [106n, 2n],
      [107n, 1n],
    ] as const)
      e.observeBlocks(t, blocks);
    expect(e.blockTime()).toBe(2n); // intervals 2, 2, 1
  });

  it("widens the in-flight budget by the blocks slow rounds span, at most 4", () => {
    const e = new Estimator();
    e.observeRound(10n);
    expect(e.inflightBlocks(2)).toBe(2n);
    e.observeRound(13n);
    expect(e.inflightBlocks(2)).toBe(4n);
    e.observeRound(30n);
    expect(e.inflightBlocks(2)).toBe(5n);
  });
});
