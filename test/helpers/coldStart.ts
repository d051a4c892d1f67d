// The cold-start scene of test/fork/coldStart.test.ts and `npm run bench -- coldstart`: a sandbox with
// 1 s blocks, `keeper run` liquidating a first shock, SIGKILLed, a second shock while it is down; then
// restarts of `keeper run` from that checkpoint (as many as wanted: the chain and the checkpoint are
// put back before each), each timed from the chain: in which block, counted from the block that was
// the latest when the keeper's process started, each account of the second shock was liquidated.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, type Address, type PublicClient } from "viem";
import { rpc } from "../../src/chain/rpc.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { liquidatableAt, liquidationsBy, waitForBlock } from "../fork/keeperChain.js";
import { ensureCompiled } from "./compiled.js";
import { startKeeper, type KeeperProcess, type LogLine } from "./keeperProcess.js";

/** How long after the start a restart's liquidations are looked for. */
const WATCH_BLOCKS = 8n;

export interface Restart {
  keeper: KeeperProcess;
  /** `uptime`'s 1-minute load average when it was spawned */
  loadAverage: string;
  /** the block that was the latest when the keeper's process started */
  startBlock: bigint;
  /** npx's part: from the spawn to the keeper's process start */
  spawnToProcessMs: number;
  /** the keeper's own figures ("keeper running"), ms since its process started */
  startupMs: Record<string, number>;
  /** "tx sent", ms since the process started */
  firstTxSentMs: number | undefined;
  /** per account of the second shock (in order): blocks from startBlock to its first liquidation; undefined: not liquidated */
  perAccount: (bigint | undefined)[];
  /** the liquidated ones' figures */
  blocks: bigint[];
  /** the last liquidation's block counted from the block that was the latest at the spawn (npx's time included) */
  blocksFromSpawn: bigint | undefined;
  lines: LogLine[];
}

export interface ColdStartScene {
  sandbox: Sandbox;
  client: PublicClient;
  stateDir: string;
  env: Record<string, string>;
  /** the second shock's block and the accounts it put under water */
  shockBlock: bigint;
  underWater: Address[];
  /** chain and checkpoint back to just after the second shock, then `keeper run` (via npx or node), measured */
  restart(via: "npx" | "node", extraEnv?: Record<string, string>): Promise<Restart>;
  stop(): Promise<void>;
}

export async function coldStartScene(): Promise<ColdStartScene> {
  await ensureCompiled();
  const sandbox = await startSandbox({ borrowers: 200, seed: 87 });
  const keepers: KeeperProcess[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), "keeper-cold-"));
  const stop = async () => {
    for (const keeper of keepers) await keeper.stop("SIGKILL");
    await sandbox.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 50_000_000n);
    await rpc(sandbox.anvil.rpcUrl, "evm_setIntervalMining", [1]);
    const client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
    const users = sandbox.borrowers.map((b) => b.address);
    const env = {
      RPC_URL: sandbox.anvil.rpcUrl,
      POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
      PRIVATE_KEY: SANDBOX_KEEPER_KEY,
      START_BLOCK: String(sandbox.market.deploymentBlock),
      STATE_DIR: stateDir,
      LOG_LEVEL: "info",
      POLL_INTERVAL_MS: "100",
    };

    const first = startKeeper(["run"], env);
    keepers.push(first);
    await first.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const one = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -20));
    if ((await liquidatableAt(client, sandbox.market.pool, users, one.blockNumber)).length <= 3) {
      throw new Error("the first shock put too few accounts under water");
    }
    await first.waitFor((l) => l.msg === "liquidated", 30_000, "the first shock's liquidations");
    await waitForBlock(client, one.blockNumber + 3n);
    if ((await first.stop("SIGKILL")) !== null) throw new Error("the first keeper exited before SIGKILL");

    // The second shock while nothing runs; a restart then has blocks to catch up on.
    const wbtc = sandbox.market.assets.find((a) => a.symbol === "WBTC")!;
    const two = await setFeedAnswer(sandbox.market, "WBTC", movedPrice(wbtc.spec.priceUsd, -30));
    const underWater = await liquidatableAt(client, sandbox.market.pool, users, two.blockNumber);
    await waitForBlock(client, two.blockNumber + 2n);
    const checkpoint = join(stateDir, "checkpoint.json");
    const saved = join(stateDir, "checkpoint.saved");
    copyFileSync(checkpoint, saved);
    let snapshot = await rpc<string>(sandbox.anvil.rpcUrl, "evm_snapshot", []);
    let restarts = 0;

    const restart = async (via: "npx" | "node", extraEnv: Record<string, string> = {}): Promise<Restart> => {
      if (restarts++ > 0) {
        for (const keeper of keepers) await keeper.stop("SIGKILL");
        if (!(await rpc<boolean>(sandbox.anvil.rpcUrl, "evm_revert", [snapshot]))) throw new Error("evm_revert failed");
        snapshot = await rpc<string>(sandbox.anvil.rpcUrl, "evm_snapshot", []);
        copyFileSync(saved, checkpoint);
        // A block or two after the shock, as on the first restart.
        await waitForBlock(client, (await client.getBlockNumber({ cacheTime: 0 })) + 2n);
      }
      // Which block was the latest at any moment: polled from before the spawn until the end.
      const timeline: { at: number; block: bigint }[] = [];
      let watching = true;
      const watch = (async () => {
        while (watching) {
          const block = await client.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
          if (block === undefined) break;
          if (timeline.at(-1)?.block !== block) timeline.push({ at: Date.now(), block });
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      // A block seen late (up to one poll) only makes the figures worse.
      const blockAt = (at: number) => timeline.filter((t) => t.at <= at).at(-1)!.block;
      while (timeline.length === 0) await new Promise((r) => setTimeout(r, 10));
      const loadAverage = loadavg()[0]!.toFixed(2);
      const spawnedAt = Date.now();
      const keeper = startKeeper(["run"], { ...env, ...extraEnv }, { via });
      keepers.push(keeper);
      try {
        const starting = await keeper.waitFor((l) => l.msg === "keeper starting", 60_000, "keeper starting");
        // The keeper's own process (npm's start comes before it): its start from the log line.
        const processStartedAt = Number(starting.time) - Number(starting.sinceProcessStartMs);
        const startBlock = blockAt(processStartedAt);
        const running = await keeper.waitFor((l) => l.msg === "keeper running", 60_000, "keeper running");
        await waitForBlock(client, startBlock + WATCH_BLOCKS);
        const end = startBlock + WATCH_BLOCKS;
        const liquidations = await liquidationsBy(client, sandbox.market.pool, SANDBOX_KEEPER_ADDRESS, two.blockNumber, end);
        const firstBlock = new Map<string, bigint>();
        for (const l of liquidations) {
          const user = l.user.toLowerCase();
          if (!firstBlock.has(user) || l.blockNumber < firstBlock.get(user)!) firstBlock.set(user, l.blockNumber);
        }
        const perAccount = underWater.map((u) => {
          const b = firstBlock.get(u.toLowerCase());
          return b === undefined ? undefined : b - startBlock;
        });
        const blocks = perAccount.filter((b): b is bigint => b !== undefined);
        const last = blocks.length === 0 ? undefined : blocks.reduce((a, b) => (a > b ? a : b));
        const sent = keeper.lines.find((l) => l.msg === "tx sent");
        return {
          keeper,
          loadAverage,
          startBlock,
          spawnToProcessMs: processStartedAt - spawnedAt,
          startupMs: (running.startupMs ?? {}) as Record<string, number>,
          firstTxSentMs: sent ? Number(sent.time) - processStartedAt : undefined,
          perAccount,
          blocks,
          blocksFromSpawn: last === undefined ? undefined : last + startBlock - blockAt(spawnedAt),
          lines: keeper.lines,
        };
      } finally {
        watching = false;
        await watch;
      }
    };
    return { sandbox, client, stateDir, env, shockBlock: two.blockNumber, underWater, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
