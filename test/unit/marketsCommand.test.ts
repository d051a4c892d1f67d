// `keeper markets` lists every name POOL_ADDRESSES_PROVIDER accepts, and each listed name loads.
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
    expect(lines.find((l) => l.startsWith("ethereum-lido "))).toMatch(/AaveV3EthereumLido\s+1\s+0xcfBf336fe147D643B9Cb705648500e101504B16d$/);
  });

  it("--json: every listed name is accepted by POOL_ADDRESSES_PROVIDER and resolves to its market", () => {
    const rows = JSON.parse(output(["--json"])) as { name: string; aliases: string[]; chainId: number; poolAddressesProvider: string }[];
    expect(rows).toHaveLength(KNOWN_MARKETS.length);
    for (const row of rows) {
      for (const name of [row.name, ...row.aliases]) {
        const config = loadConfig({ POOL_ADDRESSES_PROVIDER: name }, { dotenvPath: false });
        expect([config.poolAddressesProvider, config.chainId, config.market?.name]).toEqual([row.poolAddressesProvider, row.chainId, row.name]);
      }
    }
  });
});
