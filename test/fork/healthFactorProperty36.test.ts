// Aave 3.6 (POOL_REVISION 10): the engine equals Pool.getUserAccountData on 1,100 sandbox accounts,
// including both eMode categories (set by bitmaps), the LTV-zero asset and the LT-0 collateral.
import { expect } from "vitest";
import type { Watcher } from "../../src/watcher/watcher.js";
import { describeHealthFactorProperty } from "./healthFactorPropertyCase.js";

function coverage(watcher: Watcher): void {
  const positions = [...watcher.book.users()].map((u) => watcher.book.get(u)!);
  const ltZero = watcher.market.reserves.find((r) => r !== undefined && r.liquidationThreshold === 0)!;
  const categories = [...watcher.market.eModes.values()];
  const ltvzeroIds = categories.flatMap((c) =>
    watcher.market.reserves.filter((r) => r && ((c.ltvzeroBitmap >> BigInt(r.id)) & 1n) === 1n).map((r) => r!.id),
  );
  expect(categories.map((c) => c.id).sort()).toEqual([1, 2]);
  expect(ltvzeroIds.length).toBe(1);
  for (const id of [1, 2]) expect(positions.filter((p) => p.eModeCategory === id).length).toBeGreaterThan(50);
  // The LT-0 reserve held as collateral (it counts in TC on 3.6, with the eMode LT where it is a member)
  expect(positions.filter((p) => (p.userConfig >> BigInt(2 * ltZero.id + 1)) & 1n).length).toBeGreaterThan(20);
  // The LTV-zero asset held as collateral in its category (LTV 0, LT of the category)
  expect(positions.filter((p) => p.eModeCategory === 2 && (p.userConfig >> BigInt(2 * ltvzeroIds[0]! + 1)) & 1n).length).toBeGreaterThan(
    20,
  );
  // No stable debt on 3.6
  expect(positions.every((p) => p.stableDebt.size === 0)).toBe(true);
}

describeHealthFactorProperty({ aave: "3.6", coverage });
