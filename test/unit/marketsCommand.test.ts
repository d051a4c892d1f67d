// `keeper markets` lists every name POOL_ADDRESSES_PROVIDER accepts, and each listed name loads.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { marketsCommand } from "../../src/cli/marketsCommand.js";
import { KNOWN_MARKETS, loadConfig } from "../../src/config/index.js";

function output(argv: string[]): string {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  expect(marketsCommand(argv)).toBe(0);
  return log.mock.calls.map((c) => String(c[0])).join("\n");
}
afterEach(() => vi.restoreAllMocks());

describe("keeper markets", () => {
  it("prints one row per market: names, book name, chain id, provider", () => {
    const lines = output([]).split("\n");
    expect(lines).toHaveLength(KNOWN_MARKETS.length + 2);
    expect(lines.find((l) => l.startsWith("ethereum, mainnet "))).toMatch(
      /^ethereum, mainnet\s+AaveV3Ethereum\s+1\s+0x2f39d218133AFaB8F2B819B1066c7E434Ad94E9e$/,
    );
    expect(lines.find((l) => l.startsWith("ethereum-lido "))).toMatch(
      /AaveV3EthereumLido\s+1\s+0xcfBf336fe147D643B9Cb705648500e101504B16d$/,
    );
  });

  it("--json: every listed name is accepted by POOL_ADDRESSES_PROVIDER and resolves to its market", () => {
    const rows = JSON.parse(output(["--json"])) as { name: string; aliases: string[]; chainId: number; poolAddressesProvider: string }[];
    expect(rows).toHaveLength(KNOWN_MARKETS.length);
    for (const row of rows) {
      for (const name of [row.name, ...row.aliases]) {
        const config = loadConfig({ POOL_ADDRESSES_PROVIDER: name }, { dotenvPath: false });
        expect([config.watcher.poolAddressesProvider, config.chain.chainId, config.watcher.market?.name]).toEqual([
          row.poolAddressesProvider,
          row.chainId,
          row.name,
        ]);
      }
    }
  });
});

describe("README", () => {
  it("lists exactly the market names keeper accepts (update the list under 'today it is:' if this fails)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const block = /today it is:\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const listed = block!
      .replace(/\([^)]*\)/g, "")
      .split(/\s+/)
      .filter((w) => w !== "");
    expect(listed.sort()).toEqual(KNOWN_MARKETS.map((m) => m.name).sort());
  });
});
