// A chain whose pool runs an Aave version keeper has no tested rules for: `keeper run` and
// `keeper scan` stop at start with one line naming the Aave version, exit code 2. The sandbox's
// 3.6 pool is made to report another POOL_REVISION (test/fixtures/PoolRevisionOverride.sol in place
// of the proxy's code, delegating everything else to the real implementation).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, createWalletClient, getAddress, http, slice, type Hex, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolAbi, poolAddressesProviderAbi } from "../../contracts-abi/aave/index.js";
import { rpc } from "../../src/chain/rpc.js";
import { DEV_ACCOUNTS } from "../../src/sandbox/deployMarket.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { KEEPER_BIN, startKeeper } from "../helpers/keeperProcess.js";
import { compileFixture, type CompiledContract } from "../helpers/solc.js";

// EIP-1967: where Aave's InitializableImmutableAdminUpgradeabilityProxy keeps the implementation.
const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";

let sandbox: Sandbox;
let client: PublicClient;
let override: CompiledContract;
let implementation: Hex;
let cwd: string;

beforeAll(async () => {
  override = compileFixture("PoolRevisionOverride.sol").PoolRevisionOverride!;
  sandbox = await startSandbox({ aave: "3.6", borrowers: 3, seed: 7 });
  client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl) });
  implementation = getAddress(slice((await client.getStorageAt({ address: sandbox.market.pool, slot: IMPLEMENTATION_SLOT }))!, 12));
  cwd = mkdtempSync(join(tmpdir(), "keeper-revision-"));
}, 300_000);
afterAll(async () => {
  await sandbox?.stop();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** The pool proxy answers POOL_REVISION() with `revision` from now on; all else is the real pool. */
async function poolReports(revision: bigint): Promise<void> {
  const wallet = createWalletClient({ transport: http(sandbox.anvil.rpcUrl), account: DEV_ACCOUNTS.deployer });
  const hash = await wallet.deployContract({
    abi: override.abi,
    bytecode: override.bytecode,
    args: [implementation, revision],
    chain: null,
  });
  const deployed = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
  await rpc(sandbox.anvil.rpcUrl, "anvil_setCode", [sandbox.market.pool, await client.getCode({ address: deployed })]);
  expect(await client.readContract({ address: sandbox.market.pool, abi: poolAbi, functionName: "POOL_REVISION" })).toBe(revision);
}

function settings(stateDir: string) {
  return {
    PATH: process.env.PATH ?? "",
    RPC_URL: sandbox.anvil.rpcUrl,
    POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
    START_BLOCK: String(sandbox.market.deploymentBlock),
    STATE_DIR: join(cwd, stateDir),
    DRY_RUN: "true",
    LOG_LEVEL: "warn",
  };
}

function keeper(command: "run" | "scan", stateDir: string) {
  const env = settings(stateDir);
  const args = command === "run" ? ["run", "--dry-run"] : ["scan", "--json"];
  return spawnSync(process.execPath, [KEEPER_BIN, ...args], { env, cwd, encoding: "utf8", timeout: 120_000 });
}

describe("a pool revision keeper does not support", () => {
  it("control: the same override reporting the real revision (10) still scans the market", async () => {
    await poolReports(10n);
    const result = keeper("scan", "control");
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { rules: string; accountsTracked: number };
    expect(out.rules).toBe("Aave V3.6");
    expect(out.accountsTracked).toBeGreaterThan(0);
  });

  it.each([
    [11, "Aave V3.7"],
    [7, "Aave V3.3"],
  ])("POOL_REVISION %i: run and scan print one line naming %s, exit code 2", async (revision, version) => {
    await poolReports(BigInt(revision));
    for (const command of ["run", "scan"] as const) {
      const result = keeper(command, `${command}-${revision}`);
      expect(result.status, `${command}: ${result.stdout}${result.stderr}`).toBe(2);
      const lines = result.stderr.trim().split("\n");
      expect(lines, command).toHaveLength(1);
      expect(lines[0]).toMatch(/^keeper: /);
      expect(lines[0]).toContain(version);
      expect(lines[0]).toContain(`POOL_REVISION ${revision}`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("the pool upgraded to POOL_REVISION 11 under `keeper run`: the daemon stops, one line naming Aave V3.7, exit code 2", async () => {
    await poolReports(10n);
    const daemon = startKeeper(["run", "--dry-run"], { ...settings("run-upgraded"), LOG_LEVEL: "info" });
    try {
      await daemon.waitFor((l) => l.msg === "keeper running", 120_000, "keeper running");
      await poolReports(11n);
      // The same oracle set again: a PriceOracleUpdated event, on which the watcher reads the market (and its revision) again.
      const owner = createWalletClient({ transport: http(sandbox.anvil.rpcUrl), account: DEV_ACCOUNTS.deployer });
      const hash = await owner.writeContract({
        address: sandbox.market.addressesProvider,
        abi: poolAddressesProviderAbi,
        functionName: "setPriceOracle",
        args: [sandbox.market.oracle],
        chain: null,
      });
      expect((await client.waitForTransactionReceipt({ hash })).status).toBe("success");
      const code = await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r("still running after 60 s"), 60_000))]);
      expect(code, [...daemon.lines.slice(-5).map((l) => JSON.stringify(l)), ...daemon.text].join("\n")).toBe(2);
      // stderr's one line (the log lines are JSON on stdout).
      expect(daemon.text.filter((t) => t.trim() !== "")).toEqual([
        expect.stringMatching(/^keeper: the pool runs Aave V3\.7 \(POOL_REVISION 11\), which keeper does not support/),
      ]);
      expect(daemon.lines.filter((l) => l.msg === "stopping: an error a retry cannot fix")).toHaveLength(1);
      expect(daemon.lines.some((l) => l.msg === "RPC error: backing off and retrying")).toBe(false);
      // It stopped as on SIGTERM: the checkpoint written, the summary logged.
      expect(daemon.lines.some((l) => l.msg === "stopped")).toBe(true);
    } finally {
      await daemon.stop("SIGKILL");
      await poolReports(10n);
    }
  });
});
