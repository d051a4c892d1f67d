// The reserve's flash-loan bit (configuration bit 63) on both versions: a sandbox whose DAI keeps flash
// loaning off (as initReserves leaves it) reads so in the watcher's market, a flash loan of it reverts
// as the bit says, and the configurator's ReserveFlashLoaning turning it on reaches the watcher's
// market at the block it is mined in (and the other way round).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, encodeFunctionData, http, type Abi, type Address, type PublicClient } from "viem";
import { poolAbi, poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";
import { revertOf } from "../../src/executor/revertReason.js";
import { silentLogger } from "../../src/logging.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import { Watcher } from "../../src/watcher/watcher.js";

describe.each(AAVE_VERSIONS)("the reserve's flash-loan bit on Aave %s", (aave) => {
  let sandbox: Sandbox;
  let client: PublicClient;
  let watcher: Watcher;
  const address = (symbol: string): Address => sandbox.market.assets.find((a) => a.symbol === symbol)!.address;
  const flashLoanEnabled = (symbol: string) => watcher.market.reserves.find((r) => r?.asset === address(symbol))!.flashLoanEnabled;
  /** The pool's answer to a flash loan of 1 unit: the revert's reason, or "ok" past the check (the receiver is no contract). */
  const flashLoanOf = async (symbol: string): Promise<string> => {
    try {
      await client.call({
        account: sandbox.market.deployer,
        to: sandbox.market.pool,
        data: encodeFunctionData({
          abi: poolAbi,
          functionName: "flashLoanSimple",
          args: [sandbox.market.deployer, address(symbol), 1n, "0x", 0],
        }),
      });
      return "ok";
    } catch (err) {
      return revertOf(err).reason;
    }
  };
  /** 3.0 reverts with Errors.FLASHLOAN_DISABLED = '91', 3.6 with FlashloanDisabled(). */
  const DISABLED = /FlashloanDisabled|(?:^|\D)91(?:\D|$)/;
  const setFlashLoaning = (symbol: string, enabled: boolean) =>
    sendUnlocked(
      sandbox.market.rpcUrl,
      sandbox.market.deployer,
      {
        to: sandbox.market.poolConfigurator,
        data: encodeFunctionData({
          abi: poolConfiguratorAbi as Abi,
          functionName: "setReserveFlashLoaning",
          args: [address(symbol), enabled],
        }),
      },
      "setReserveFlashLoaning",
    );

  beforeAll(async () => {
    sandbox = await startSandbox({ aave, borrowers: 0, dex: false, flashLoaning: ["DAI"] });
    client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    watcher = new Watcher({
      client,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: sandbox.market.deploymentBlock,
      logChunkBlocks: 5_000,
      logger: silentLogger,
    });
    await watcher.sync();
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("reads DAI's flash loaning off and every other reserve's on; the pool agrees", async () => {
    for (const a of sandbox.market.assets) expect(flashLoanEnabled(a.symbol), a.symbol).toBe(a.symbol !== "DAI");
    expect(await flashLoanOf("DAI")).toMatch(DISABLED);
    // Past the bit, the pool calls the receiver, which is no contract here: another revert.
    const usdc = await flashLoanOf("USDC");
    expect(usdc).not.toBe("ok");
    expect(usdc).not.toMatch(DISABLED);
  });

  it("sees ReserveFlashLoaning turn DAI's on, and WETH's off, in the block it is mined in", async () => {
    const on = await setFlashLoaning("DAI", true);
    const first = await watcher.poll();
    expect(first!.toBlock).toBe(on.blockNumber);
    expect(first!.logs).toBeGreaterThanOrEqual(1);
    expect(flashLoanEnabled("DAI")).toBe(true);
    expect(await flashLoanOf("DAI")).not.toMatch(DISABLED);

    const off = await setFlashLoaning("WETH", false);
    await watcher.poll();
    expect(watcher.head.number).toBe(off.blockNumber);
    expect(flashLoanEnabled("WETH")).toBe(false);
    expect(flashLoanEnabled("DAI")).toBe(true);
  });
});

describe("flashLoaning: false", () => {
  it("leaves every reserve's flash loaning off", async () => {
    const sandbox = await startSandbox({ aave: "3.6", borrowers: 0, dex: false, flashLoaning: false });
    try {
      const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
      for (const a of sandbox.market.assets) {
        const data = await client.readContract({
          address: sandbox.market.pool,
          abi: poolAbi,
          functionName: "getReserveData",
          args: [a.address],
        });
        expect((data.configuration.data >> 63n) & 1n, a.symbol).toBe(0n);
      }
    } finally {
      await sandbox.stop();
    }
  }, 120_000);
});
