// `keeper sandbox` as a user runs it: a child process that builds the market, prints it, writes
// the addresses file, keeps the chain up (mining blocks) and stops cleanly on Ctrl-C.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPublicClient, http } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { SANDBOX_KEEPER_ADDRESS } from "../../src/sandbox/keeperWallet.js";

const KEEPER = join(import.meta.dirname, "../../bin/keeper.js");
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`keeper exited with ${code} before printing ${pattern}; output:\n${output}`));
    });
  });
}

describe("keeper sandbox (command line)", () => {
  it.each([
    { args: [] as string[], version: "3.6", revision: 10 },
    { args: ["--aave", "3.0"], version: "3.0", revision: 1 },
  ])(
    "--no-keeper $args: builds the Aave $version market, writes the addresses, keeps mining, and stops on SIGINT",
    async ({ args, version, revision }) => {
      const dir = mkdtempSync(join(tmpdir(), "keeper-sandbox-"));
      dirs.push(dir);
      const out = join(dir, "sandbox.json");
      const child = spawn(
        process.execPath,
        [KEEPER, "sandbox", ...args, "--no-keeper", "--borrowers", "30", "--block-time", "1", "--out", out],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.push(child);
      const output = await waitForLine(child, /sandbox ready/, 90_000);
      expect(output).toContain(`Aave V${version} market (POOL_REVISION ${revision})`);
      expect(output).toMatch(/WETH\s+18\s+3,000\.00/);
      expect(output).toMatch(/30 borrowers, 0 with health factor below 1/);

      const file = JSON.parse(readFileSync(out, "utf8"));
      expect(file.aaveVersion).toBe(version);
      expect(file.borrowers).toHaveLength(30);
      expect(file.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = createPublicClient({ transport: http(file.rpcUrl), cacheTime: 0 });
      expect(await client.readContract({ address: file.addresses.pool, abi: poolAbi, functionName: "POOL_REVISION" })).toBe(
        BigInt(revision),
      );
      const reserves = await client.readContract({ address: file.addresses.pool, abi: poolAbi, functionName: "getReservesList" });
      expect(reserves).toEqual(file.assets.map((a: { address: string }) => a.address));
      const first = await client.getBlockNumber();
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await client.getBlockNumber()).toBeGreaterThan(first);

      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      await expect(client.getBlockNumber()).rejects.toThrow();
    },
  );

  it("--exit: builds the default (Aave 3.6) market, prints it, writes the file and stops", () => {
    const dir = mkdtempSync(join(tmpdir(), "keeper-sandbox-"));
    dirs.push(dir);
    const out = join(dir, "sandbox.json");
    const result = spawnSync(process.execPath, [KEEPER, "sandbox", "--exit", "--borrowers", "20", "--out", out], {
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Aave V3.6 market (POOL_REVISION 10)");
    expect(result.stdout).toMatch(/wstETH\s+18\s+3,600\.00\s+0\.00%\s+0\.00%/);
    expect(result.stdout).toMatch(/weETH .* 2 \(LTV 0\)/);
    const file = JSON.parse(readFileSync(out, "utf8"));
    expect(file.aaveVersion).toBe("3.6");
    expect(file.assets.every((a: { stableDebtToken: string }) => /^0x0{40}$/.test(a.stableDebtToken))).toBe(true);
  });

  it("the README's first command: the keeper liquidates what the price shock puts under water, then a summary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keeper-sandbox-"));
    dirs.push(dir);
    const out = join(dir, "sandbox.json");
    // The default market (Aave 3.6), as the README's first command builds it.
    const child = spawn(
      process.execPath,
      [KEEPER, "sandbox", "--borrowers", "150", "--block-time", "1", "--shock", "WETH:-25", "--shock-after", "1", "--out", out],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    const output = await waitForLine(child, /sandbox and keeper running/, 120_000);
    expect(output).toContain("Aave V3.6 market (POOL_REVISION 10)");
    expect(output).toMatch(/price shock: WETH -25%/);
    const liquidated = Number(/accounts liquidated\s+(\d+)/.exec(output)?.[1]);
    expect(liquidated).toBeGreaterThan(5);
    expect(output).toMatch(/reverted transactions\s+0\b/);
    // By default the keeper's wallet holds only ETH: it liquidates by flash loan through its Liquidator
    // (and may later repay from the profits it received, when that nets more).
    expect(output).toMatch(/only ETH for gas, no token; flash loans through the Liquidator 0x[0-9a-fA-F]{40}/);
    const [, flash, wallet] = /capital used\s+flash loan (\d+), wallet (\d+)/.exec(output) ?? [];
    expect(Number(flash)).toBeGreaterThan(0);
    expect(Number(flash) + Number(wallet)).toBe(Number(/liquidations\s+(\d+)/.exec(output)?.[1]));
    expect(output).toMatch(/accounts still below 1\s+0\b/);
    // The liquidations are on chain, by the sandbox keeper.
    const file = JSON.parse(readFileSync(out, "utf8"));
    const client = createPublicClient({ transport: http(file.rpcUrl), cacheTime: 0 });
    const logs = await client.getContractEvents({
      address: file.addresses.pool,
      abi: poolAbi,
      eventName: "LiquidationCall",
      fromBlock: 0n,
    });
    expect(new Set(logs.map((l) => l.args.user)).size).toBe(liquidated);
    // ...by the keeper key's Liquidator, which the file names for `keeper run`.
    expect(file.liquidator.owner).toBe(SANDBOX_KEEPER_ADDRESS);
    expect(logs.some((l) => l.args.liquidator === file.liquidator.address)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it.each([
    [["sandbox", "--borrowers", "many"], /--borrowers must be a whole number, got "many"/],
    [["sandbox", "--port", "70000"], /--port must be between 1 and 65535, got 70000/],
    [["sandbox", "--colour"], /Unknown option '--colour'/],
    [["sandbox", "--shock", "WETH"], /--shock must look like SYMBOL:PERCENT/],
    [["sandbox", "--aave", "3.7"], /--aave must be one of 3\.0, 3\.6; got "3\.7"/],
    [["liquidate-everything"], /unknown command "liquidate-everything"/],
  ])("rejects bad input %j with one line and exit code 2", (args, message) => {
    const result = spawnSync(process.execPath, [KEEPER, ...args], { encoding: "utf8", timeout: 30_000 });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
