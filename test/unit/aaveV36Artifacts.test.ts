// The committed Aave 3.6 artifacts are exactly what the npm sources compile to: a rebuild with the
// pinned compiler and settings gives the same ABIs and bytecode, and the deployable set is whole.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  OUTPUT_DIR,
  REPO_ROOT,
  artifactFiles,
  checkAaveV36,
  compileAaveV36,
  type AaveV36Artifact,
} from "../../scripts/compile-aave-v36.js";

describe("Aave 3.6 artifacts (contracts-abi/aave-v3.6)", () => {
  let rebuilt: AaveV36Artifact[];

  beforeAll(() => {
    const started = performance.now();
    rebuilt = compileAaveV36();
    console.log(`Aave 3.6 compiled in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }, 600_000);

  it("match a rebuild from npm (run `npm run build:aave36` if this fails)", () => {
    expect(checkAaveV36(artifactFiles(rebuilt))).toEqual([]);
  });

  it("carry linkable bytecode for every contract and every library they link", () => {
    const names = new Set(rebuilt.map((a) => a.contractName));
    for (const a of rebuilt) {
      const committed = JSON.parse(readFileSync(path.join(REPO_ROOT, OUTPUT_DIR, "artifacts", `${a.contractName}.json`), "utf8"));
      expect(committed.bytecode.length).toBeGreaterThan(1_000);
      for (const libraries of Object.values(a.linkReferences)) {
        for (const [library, places] of Object.entries(libraries)) {
          expect(names.has(library), `${a.contractName} links ${library}`).toBe(true);
          for (const { start, length } of places) {
            expect(length).toBe(20);
            // An unlinked slot is solc's placeholder "__$<34 hex>$__".
            expect(a.bytecode.slice(2 + start * 2, 2 + start * 2 + 3)).toBe("__$");
          }
        }
      }
    }
    expect(Object.keys(rebuilt.find((a) => a.contractName === "PoolInstance")!.linkReferences).length).toBeGreaterThan(0);
  });

  it("is the 3.6 pool (POOL_REVISION is in the ABI, stable debt is gone, the ltvzero bitmap is there)", () => {
    const pool = rebuilt.find((a) => a.contractName === "PoolInstance")!.abi as { type: string; name?: string }[];
    const functions = new Set(pool.filter((i) => i.type === "function").map((i) => i.name));
    expect(functions.has("POOL_REVISION")).toBe(true);
    expect(functions.has("getEModeCategoryLtvzeroBitmap")).toBe(true);
    expect(functions.has("getReserveDeficit")).toBe(true);
    expect(functions.has("swapBorrowRateMode")).toBe(false);
  });
});
