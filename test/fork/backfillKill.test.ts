// kill -9 in the middle of a backfill: the checkpoint it left is valid, the restarted scan
// resumes from it (not from START_BLOCK), and its account book equals one built from scratch.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rpc } from "../../src/chain/rpc.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy.js";

const KEEPER = join(import.meta.dirname, "../../bin/keeper.js");

describe("backfill killed with SIGKILL, then restarted", () => {
  let sandbox: Sandbox;
  let proxy: RpcProxy;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ borrowers: 150, seed: 41 });
    // A long chain: the borrowers' blocks, then many empty ones, so the backfill takes a while.
    await rpc(sandbox.anvil.rpcUrl, "anvil_mine", ["0x190"]);
    // Like a strict provider: at most 4 blocks per eth_getLogs, and some latency.
    proxy = await startRpcProxy(sandbox.anvil.rpcUrl, { maxLogRange: 4, delayMs: 15 });
    dir = mkdtempSync(join(tmpdir(), "keeper-kill-"));
  });
  afterAll(async () => {
    await proxy?.close();
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (stateDir: string, rpcUrl: string) => ({
    ...process.env,
    RPC_URL: rpcUrl,
    POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
    START_BLOCK: "0",
    STATE_DIR: stateDir,
    LOG_CHUNK_BLOCKS: "2",
    LOG_LEVEL: "info",
  });
  // Asynchronous on purpose: the proxy lives in this process, a spawnSync would block it.
  const scan = async (stateDir: string, rpcUrl: string) => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [KEEPER, "scan", "--json", "--all"], {
      env: env(stateDir, rpcUrl),
      encoding: "utf8",
      timeout: 120_000,
      cwd: dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    return {
      json: JSON.parse(stdout) as { block: string; accounts: { user: string; health: { healthFactor: string; totalDebtBase: string } }[] },
      stderr,
    };
  };

  it("resumes from the checkpoint and ends with the same book as a scan from scratch", async () => {
    const killedDir = join(dir, "killed");
    const checkpoint = join(killedDir, "checkpoint.json");
    const child = spawn(process.execPath, [KEEPER, "scan", "--json"], { env: env(killedDir, proxy.url), stdio: "ignore", cwd: dir });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // Kill as soon as a backfill checkpoint exists, i.e. mid-backfill.
    for (let i = 0; i < 600 && !existsSync(checkpoint); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill("SIGKILL");
    await exited;
    const saved = JSON.parse(readFileSync(checkpoint, "utf8"));
    expect(saved.phase).toBe("backfill");
    const head = BigInt(await rpc<string>(sandbox.anvil.rpcUrl, "eth_blockNumber"));
    expect(BigInt(saved.block)).toBeLessThan(head);

    const resumed = await scan(killedDir, proxy.url);
    expect(resumed.stderr).toMatch(/resuming from checkpoint/);
    const fromScratch = await scan(join(dir, "fresh"), sandbox.anvil.rpcUrl);
    expect(resumed.json.block).toBe(fromScratch.json.block);
    expect(resumed.json.accounts.length).toBe(151);
    expect(resumed.json.accounts).toEqual(fromScratch.json.accounts);
    // The strict provider refused wide ranges: the fetcher shrank its chunks and carried on.
    expect(proxy.counts.get("eth_getLogs")).toBeGreaterThan(50);
  });
});
