// `keeper deploy-liquidator` as a black box (environment variables only): it deploys the Liquidator
// for PRIVATE_KEY on the market's pool and the configured router, prints LIQUIDATOR_ADDRESS=..., and
// the contract on chain has that owner, pool and router. Bad input is one line, exit 2.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, getAddress, http, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { resolveTarget } from "../../src/cli/target.js";
import { loadConfig } from "../../src/config/index.js";
import { SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { describeSandbox, startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { KEEPER_BIN } from "../helpers/keeperProcess.js";

/** anvil dev account #1: funded on every anvil chain. */
const OTHER_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

let sandbox: Sandbox;
let cwd: string;
beforeAll(async () => {
  sandbox = await startSandbox({ borrowers: 1, seed: 7, aave: "3.6" });
  // An empty working directory: no .env, no .keeper/sandbox.json unless a test writes one.
  cwd = mkdtempSync(join(tmpdir(), "keeper-deploy-liquidator-"));
});
afterAll(async () => {
  await sandbox?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

function router(): Address {
  const dex = sandbox.market.uniswap;
  if (dex === undefined) throw new Error("the sandbox deployed no Uniswap V3");
  return dex.swapRouter;
}

function deploy(env: Record<string, string | undefined>, dir = cwd) {
  const set = Object.entries({ PATH: process.env.PATH, ...env }).filter(([, v]) => v !== undefined);
  const clean = Object.fromEntries(set) as Record<string, string>;
  return spawnSync(process.execPath, [KEEPER_BIN, "deploy-liquidator"], { env: clean, cwd: dir, encoding: "utf8", timeout: 120_000 });
}

async function onChain(address: Address) {
  const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
  const read = <F extends "owner" | "pool" | "swapRouter">(functionName: F) =>
    client.readContract({ address, abi: liquidatorAbi, functionName });
  const code = await client.getCode({ address });
  const codeBytes = ((code ?? "0x").length - 2) / 2;
  return { codeBytes, owner: await read("owner"), pool: await read("pool"), router: await read("swapRouter") };
}

function printedAddress(stdout: string): Address {
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1); // stdout is only the setting (logs go to stderr), so `>> .env` works
  expect(lines[0]).toMatch(/^LIQUIDATOR_ADDRESS=0x[0-9a-fA-F]{40}$/);
  const address = lines[0]!.slice("LIQUIDATOR_ADDRESS=".length) as Address;
  expect(address).toBe(getAddress(address)); // checksummed, as loadConfig wants a mixed-case address
  return address;
}

describe("keeper deploy-liquidator", () => {
  it("deploys for PRIVATE_KEY on RPC_URL with the market's pool and UNISWAP_V3_ROUTER, and prints LIQUIDATOR_ADDRESS", async () => {
    const result = deploy({
      RPC_URL: sandbox.anvil.rpcUrl,
      POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
      PRIVATE_KEY: SANDBOX_KEEPER_KEY,
      UNISWAP_V3_ROUTER: router(),
    });
    expect(result.stderr).not.toMatch(/^keeper: /m);
    expect(result.status).toBe(0);
    const liquidator = printedAddress(result.stdout);
    const deployed = await onChain(liquidator);
    expect(deployed.codeBytes).toBeGreaterThan(1000);
    expect(deployed.owner).toBe(privateKeyToAddress(SANDBOX_KEEPER_KEY));
    expect(deployed.pool).toBe(sandbox.market.pool);
    expect(deployed.router).toBe(router());
  }, 120_000);

  it("with RPC_URL unset, deploys on the running sandbox with the router of .keeper/sandbox.json", async () => {
    const dir = join(cwd, "with-sandbox-file");
    mkdirSync(join(dir, ".keeper"), { recursive: true });
    writeFileSync(join(dir, ".keeper/sandbox.json"), JSON.stringify(describeSandbox(sandbox, 7)));
    // what the file gives every command: the sandbox's Uniswap V3 and its two hub tokens
    const config = loadConfig({ STATE_DIR: join(dir, "state") }, { dotenvPath: false });
    const target = await resolveTarget(config, join(dir, ".keeper/sandbox.json"));
    const dex = sandbox.market.uniswap!;
    expect(target.uniswap).toEqual({ factory: dex.factory, router: dex.swapRouter, quoter: dex.quoterV2 });
    const address = (symbol: string) => sandbox.market.assets.find((a) => a.symbol === symbol)!.address;
    expect(target.routingHubs).toEqual([address("WETH"), address("USDC")]);
    const result = deploy({ PRIVATE_KEY: OTHER_KEY }, dir);
    expect(result.stderr).toContain("using the running sandbox");
    expect(result.status).toBe(0);
    const deployed = await onChain(printedAddress(result.stdout));
    expect(deployed.owner).toBe(privateKeyToAddress(OTHER_KEY));
    expect(deployed.pool).toBe(sandbox.market.pool);
    expect(deployed.router).toBe(router());
  }, 120_000);

  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ["PRIVATE_KEY missing", { PRIVATE_KEY: undefined }, /^keeper: PRIVATE_KEY: not set \(the liquidator's owner deploys it\)$/],
    // chain 31337 has no canonical Uniswap V3: the router is required there
    [
      "UNISWAP_V3_ROUTER missing on an unknown chain",
      { UNISWAP_V3_ROUTER: undefined },
      /^keeper: UNISWAP_V3_ROUTER: not set, and keeper knows no Uniswap V3 deployment on chain 31337 \(see \.env\.example\)$/,
    ],
    [
      "UNISWAP_V3_ROUTER not a contract",
      { UNISWAP_V3_ROUTER: "0x000000000000000000000000000000000000dEaD" },
      /^keeper: UNISWAP_V3_ROUTER: no contract at 0x000000000000000000000000000000000000dEaD on this chain$/,
    ],
    ["UNISWAP_V3_ROUTER malformed", { UNISWAP_V3_ROUTER: "0x1234" }, /^keeper: UNISWAP_V3_ROUTER: "0x1234" is not an address/],
    ["POOL_ADDRESSES_PROVIDER missing", { POOL_ADDRESSES_PROVIDER: undefined }, /^keeper: POOL_ADDRESSES_PROVIDER: not set/],
  ];
  it.each(cases)(
    "%s: one line, exit 2, nothing deployed",
    (_name, override, expected) => {
      const result = deploy({
        RPC_URL: sandbox.anvil.rpcUrl,
        POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
        PRIVATE_KEY: SANDBOX_KEEPER_KEY,
        UNISWAP_V3_ROUTER: router(),
        ...override,
      });
      expect(result.stdout).toBe("");
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(expected);
      expect(result.status).toBe(2);
    },
    60_000,
  );
});
