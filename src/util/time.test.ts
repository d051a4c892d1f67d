import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "./time.js";

describe("backoffDelay", () => {
  it("doubles from the base up to the doubling limit, then caps", () => {
    expect([0, 1, 2, 5, 6, 9].map((a) => backoffDelay(a, 1_000, 5))).toEqual([1_000, 2_000, 4_000, 30_000, 30_000, 30_000]);
    expect([1, 6, 7].map((a) => backoffDelay(a, 500, 6))).toEqual([1_000, 30_000, 30_000]);
    expect(backoffDelay(3, 100, 10, 500)).toBe(500);
  });
});

describe("sleep", () => {
  it("waits at least the given time without a signal", async () => {
    const start = Date.now();
    await sleep(30);
    expect(Date.now() - start).toBeGreaterThanOrEqual(25);
  });

  it("resolves at once on an already aborted signal and when the signal aborts", async () => {
    const start = Date.now();
    await sleep(10_000, AbortSignal.abort());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await sleep(10_000, controller.signal);
    expect(Date.now() - start).toBeLessThan(2_000);
  });
});
