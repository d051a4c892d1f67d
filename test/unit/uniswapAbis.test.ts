import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/compile-contracts.js";
import { generateUniswapAbis } from "../../scripts/generate-uniswap-abis.js";

describe("contracts-abi/uniswap", () => {
  it("matches the pinned packages' artifacts (run `npx tsx scripts/generate-uniswap-abis.ts` if this fails)", () => {
    const files = generateUniswapAbis();
    expect([...files.keys()].sort()).toEqual([
      "contracts-abi/uniswap/index.ts",
      "contracts-abi/uniswap/nonfungiblePositionManager.ts",
      "contracts-abi/uniswap/quoterV2.ts",
      "contracts-abi/uniswap/swapRouter.ts",
      "contracts-abi/uniswap/swapRouter02.ts",
      "contracts-abi/uniswap/uniswapV3Factory.ts",
      "contracts-abi/uniswap/uniswapV3Pool.ts",
    ]);
    for (const [path, text] of files) expect(readFileSync(join(REPO_ROOT, path), "utf8") === text, `${path} is stale`).toBe(true);
  });
});
