// A cascade, measured from outside: the sandbox with N borrowers (Aave 3.0), interval mining at 1 s,
// `keeper run` as its own process (a funded wallet, every liquidation through the Liquidator: batches
// of at most BATCH_MAX_ITEMS), then a -20% WETH shock. This process only reads the chain, as a
// competitor would: who was under water at the shock's block, the block of each account's first
// liquidation counted from the shock, each transaction's gas and liquidations, and the block-gas
// floor (where a liquidation would land if every block after the shock were filled with the keeper's
// transactions in the order they were mined). The keeper's log is read for one thing only: the
// simulations it had refused (a plan meeting its own earlier liquidations must never be one).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { poolAbi } from "../contracts-abi/aave/index.js";
import { createChainClient } from "../src/chain/client.js";
import { rpc } from "../src/chain/rpc.js";
import { rpcBatch } from "../src/chain/rpcBatch.js";
import { deploySandboxLiquidator, fundWallet, SANDBOX_KEEPER_ADDRESS } from "../src/sandbox/keeperWallet.js";
import { movedPrice, setFeedAnswer } from "../src/sandbox/prices.js";
import { startSandbox } from "../src/sandbox/sandbox.js";
import { formatTable } from "../src/util/table.js";
import { liquidatableAt, reasonKind, STALE_VIEW, waitForBlock } from "../test/fork/keeperChain.js";
import { liquidatorRunEnv, startKeeper } from "../test/helpers/keeperProcess.js";

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
const WINDOW_BLOCKS = 60n;

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface KeeperTx {
  hash: Hex;
  block: bigint;
  gasUsed: bigint;
  ok: boolean;
  nonce: number;
  liquidations: number;
}

export interface CascadeResult {
  borrowers: number;
  batchMaxItems: number;
  liquidatable: number;
  taken: number;
  /** per account taken: blocks from the shock to its first liquidation, and its block-gas floor */
  latency: number[];
  floor: number[];
  txs: KeeperTx[];
  blockGasLimit: bigint;
  /** the keeper's gas in each block from the shock's next to the one before its last liquidation, ÷ the block's limit */
  blockShares: number[];
  nonceGaps: number;
  refused: number;
  staleRefused: number;
  refusedKinds: string[];
}

export async function runCascade(borrowers: number, batchMaxItems: number, seed = 9): Promise<CascadeResult> {
  const sandbox = await startSandbox({ borrowers, seed });
  const market = sandbox.market;
  const url = market.rpcUrl;
  const client = createChainClient({ rpcUrl: url }) as PublicClient;
  const dir = mkdtempSync(join(tmpdir(), "keeper-cascade-"));
  try {
    await fundWallet(market, SANDBOX_KEEPER_ADDRESS, 1_000_000_000n);
    const { address: liquidator } = await deploySandboxLiquidator(market);
    // Who calls the pool: the Liquidator, or the wallet itself without one.
    const caller = process.env.BENCH_NO_LIQUIDATOR ? SANDBOX_KEEPER_ADDRESS : liquidator;
    const keeper = startKeeper(
      ["run"],
      {
        ...withoutLiquidator(liquidatorRunEnv(market, liquidator, join(dir, "state"))),
        BATCH_MAX_ITEMS: String(batchMaxItems),
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
        POLL_INTERVAL_MS: "50",
      },
      { cwd: dir },
    );
    try {
      await keeper.waitFor((l) => l.msg === "keeper running", 600_000, "keeper running");
      await rpc(url, "evm_setIntervalMining", [1]);
      await new Promise((r) => setTimeout(r, 2_500));
      const weth = market.assets.find((a) => a.symbol === "WETH")!;
      const shock = (await setFeedAnswer(market, "WETH", movedPrice(weth.spec.priceUsd, -20))).blockNumber;
      const users = sandbox.borrowers.map((b) => b.address);
      const underWater = await underWaterAt(client, market.pool, users, shock);
      progress(
        `${borrowers} borrowers, batches of ${batchMaxItems}: WETH -20% in block ${shock}, ` +
          (underWater ? `${underWater.length} under water` : "its state already gone from anvil's memory (read at the end instead)"),
      );

      // Block by block, as an observer: until every account under water is taken or the window ends.
      const first = new Map<string, { block: bigint; hash: Hex }>();
      let wanted = new Set((underWater ?? []).map((u) => u.toLowerCase()));
      let last = shock;
      let seen = 0;
      let quietSince = shock;
      for (let b = shock + 1n; b <= shock + WINDOW_BLOCKS; b++) {
        await waitForBlock(client, b, 120_000);
        const logs = await client.getLogs({ address: market.pool, fromBlock: b, toBlock: b });
        for (const l of parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs })) {
          if (l.args.liquidator.toLowerCase() !== caller.toLowerCase()) continue;
          const key = l.args.user.toLowerCase();
          if (!first.has(key)) first.set(key, { block: l.blockNumber, hash: l.transactionHash });
        }
        last = b;
        // Without the shock's state: done after 5 blocks without a new liquidation (reading every
        // account each block would load the node the keeper is racing on).
        if (first.size > seen) {
          seen = first.size;
          quietSince = b;
        }
        const done = underWater ? [...wanted].every((u) => first.has(u)) : first.size > 0 && b - quietSince >= 5n;
        if (done) break;
      }
      await waitForBlock(client, last + 2n, 120_000);
      await keeper.stop("SIGTERM");
      if (!underWater) {
        // Under water at the shock = liquidated since, or still under water at the end (only the keeper liquidates here).
        const still = (await underWaterAt(client, market.pool, users, await client.getBlockNumber())) ?? [];
        wanted = new Set([...first.keys(), ...still.map((u) => u.toLowerCase())]);
      }

      const txs = await keeperTxs(url, client, market.pool, caller, shock + 1n, last + 2n);
      const { gasLimit } = await client.getBlock({ blockNumber: shock + 1n });
      let cumulative = 0n;
      const floorOf = new Map<Hex, number>();
      for (const tx of txs) {
        cumulative += tx.gasUsed;
        floorOf.set(tx.hash, Number((cumulative + gasLimit - 1n) / gasLimit));
      }
      const latency: number[] = [];
      const floor: number[] = [];
      for (const u of wanted) {
        const hit = first.get(u);
        if (!hit) continue;
        latency.push(Number(hit.block - shock));
        floor.push(floorOf.get(hit.hash) ?? 1);
      }
      const lastLiquidation = latency.length > 0 ? shock + BigInt(Math.max(...latency)) : shock;
      const blockShares: number[] = [];
      for (let b = shock + 1n; b < lastLiquidation; b++) {
        const gas = txs.filter((t) => t.block === b).reduce((s, t) => s + t.gasUsed, 0n);
        blockShares.push(Number((gas * 1000n) / gasLimit) / 1000);
      }
      if (process.env.BENCH_KEEPER_LOG) writeFileSync(process.env.BENCH_KEEPER_LOG, keeper.lines.map((l) => JSON.stringify(l)).join("\n"));
      const nonces = txs.map((t) => t.nonce).sort((a, b) => a - b);
      const refusedLines = keeper.lines.filter((l) => l.msg === "simulation failed");
      return {
        borrowers,
        batchMaxItems,
        liquidatable: wanted.size,
        taken: latency.length,
        latency,
        floor,
        txs,
        blockGasLimit: gasLimit,
        blockShares,
        nonceGaps: nonces.filter((n, i) => i > 0 && n !== nonces[i - 1]! + 1).length,
        refused: refusedLines.length,
        staleRefused: refusedLines.filter((l) => STALE_VIEW.test(String(l.reason))).length,
        refusedKinds: [...new Set(refusedLines.map((l) => reasonKind(l.reason)))],
      };
    } finally {
      await keeper.stop("SIGKILL");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sandbox.stop();
  }
}

/**
 * Accounts with health factor below 1 at `blockNumber`, 500 a call; undefined when anvil no longer
 * answers for that block's state: with 20,000 accounts a call at the shock's block a few blocks later
 * reverted with PANIC(0x11) in Aave's interest accrual, as if run on a later state under the old
 * block's timestamp.
 */
async function underWaterAt(
  client: PublicClient,
  pool: Address,
  users: readonly Address[],
  blockNumber: bigint,
): Promise<Address[] | undefined> {
  const chunks: Address[][] = [];
  for (let i = 0; i < users.length; i += 500) chunks.push(users.slice(i, i + 500));
  try {
    return (await Promise.all(chunks.map((c) => liquidatableAt(client, pool, c, blockNumber)))).flat();
  } catch (err) {
    if (/underflow or overflow|Panic|state|not found/i.test(String((err as Error).message))) return undefined;
    throw err;
  }
}

/** BENCH_NO_LIQUIDATOR=1: the same run from the wallet alone (one Pool.liquidationCall per transaction), for comparison. */
function withoutLiquidator(env: Record<string, string>): Record<string, string> {
  if (!process.env.BENCH_NO_LIQUIDATOR) return env;
  const { LIQUIDATOR_ADDRESS: _, ...rest } = env;
  return rest;
}

/** The keeper's transactions in the range, in chain order, with their receipts and liquidations. */
async function keeperTxs(
  url: string,
  client: PublicClient,
  pool: Address,
  liquidator: Address,
  from: bigint,
  to: bigint,
): Promise<KeeperTx[]> {
  const txs: { hash: Hex; block: bigint; nonce: number }[] = [];
  for (let b = from; b <= to; b++) {
    const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() === SANDBOX_KEEPER_ADDRESS.toLowerCase()) txs.push({ hash: tx.hash, block: b, nonce: tx.nonce });
    }
  }
  const logs = parseEventLogs({
    abi: poolAbi,
    eventName: "LiquidationCall",
    logs: await client.getLogs({ address: pool, fromBlock: from, toBlock: to }),
  });
  const count = new Map<Hex, number>();
  for (const l of logs)
    if (l.args.liquidator.toLowerCase() === liquidator.toLowerCase()) count.set(l.transactionHash, (count.get(l.transactionHash) ?? 0) + 1);
  const out: KeeperTx[] = [];
  for (let i = 0; i < txs.length; i += 200) {
    const chunk = txs.slice(i, i + 200);
    const receipts = await rpcBatch<{ gasUsed: Hex; status: Hex }>(
      url,
      chunk.map((t) => ({ method: "eth_getTransactionReceipt", params: [t.hash] })),
    );
    chunk.forEach((t, j) => {
      const r = receipts[j]!;
      if (!r.ok) throw new Error(`no receipt for ${t.hash}: ${r.error}`);
      out.push({ ...t, gasUsed: BigInt(r.result.gasUsed), ok: r.result.status === "0x1", liquidations: count.get(t.hash) ?? 0 });
    });
  }
  return out;
}

/** Gas per liquidation over the transactions carrying `min`..`max` liquidations ("-" without any). */
function gasPerLiquidation(txs: readonly KeeperTx[], min = 1, max = Number.POSITIVE_INFINITY): string {
  const these = txs.filter((t) => t.liquidations >= min && t.liquidations <= max);
  const n = these.reduce((s, t) => s + t.liquidations, 0);
  if (n === 0) return "-";
  return `${Math.round(Number(these.reduce((s, t) => s + t.gasUsed, 0n)) / n / 1000)}k (${these.length} tx)`;
}

export async function benchCascade(): Promise<void> {
  const sizes = (process.env.BENCH_BORROWERS ?? "2000,20000").split(",").map(Number);
  // Each size with batches of 20 (the default); 2,000 also one liquidation per transaction and
  // batches of 5, for the gas and the floor batching saves.
  const runs: [number, number][] = sizes.flatMap((n): [number, number][] =>
    n <= 2_000
      ? [
          [n, 1],
          [n, 5],
          [n, 20],
        ]
      : [[n, 20]],
  );
  const results: CascadeResult[] = [];
  for (const [n, batch] of runs) results.push(await runCascade(n, batch));
  const alone = results.find((r) => r.batchMaxItems === 1);
  const aloneGas = alone ? averageGas(alone.txs) : undefined;
  const rows = results.map((r) => {
    const pct = r.liquidatable === 0 ? "-" : `${((100 * r.taken) / r.liquidatable).toFixed(1)}%`;
    const liquidations = r.txs.reduce((s, t) => s + t.liquidations, 0);
    const floorBlocks = Math.max(0, ...r.floor);
    // What one liquidation per transaction would need for the same liquidations (the 2,000 run's gas alone).
    const unbatched = aloneGas === undefined ? "-" : String(Math.ceil((aloneGas * liquidations) / Number(r.blockGasLimit)));
    return [
      r.borrowers.toLocaleString("en-US"),
      String(r.batchMaxItems),
      String(r.liquidatable),
      `${r.taken} (${pct})`,
      `${r.txs.length} / ${liquidations}`,
      gasPerLiquidation(r.txs),
      `${Math.min(...r.latency)} / ${Math.max(...r.latency)}`,
      `${floorBlocks} (${unbatched})`,
      `${percentile(r.latency, 50)} / ${percentile(r.latency, 95)}`,
      `${percentile(r.floor, 50)} / ${percentile(r.floor, 95)}`,
      r.blockShares.length === 0 ? "-" : `${Math.round(100 * Math.min(...r.blockShares))}%`,
      String(r.txs.filter((t) => !t.ok).length),
      String(r.nonceGaps),
      `${r.staleRefused} / ${r.refused}${r.refusedKinds.length > 0 ? ` (${r.refusedKinds.join(", ")})` : ""}`,
    ];
  });
  console.log(
    "\nCascade: WETH -20% on the sandbox (Aave 3.0), 1 s blocks, `keeper run` through the Liquidator; read from the chain by this process, " +
      "blocks counted from the shock's (window 60)",
  );
  console.log(
    formatTable(
      [
        "borrowers",
        "batch max",
        "liquidatable",
        "taken",
        "txs / liquidations",
        "gas per liquidation",
        "first / last block",
        "gas floor (unbatched)",
        "latency p50 / p95",
        "floor p50 / p95",
        "min block share",
        "reverted",
        "nonce gaps",
        "sims refused: stale / all",
      ],
      rows,
    ),
  );
  for (const r of results.filter((x) => x.batchMaxItems === 20 && x.blockShares.length > 0)) {
    console.log(
      `keeper's share of each block's gas until its last liquidation, ${r.borrowers.toLocaleString("en-US")} borrowers (from the shock's next): ` +
        r.blockShares.map((x) => `${Math.round(100 * x)}%`).join(" "),
    );
  }
  for (const r of results.filter((x) => x.batchMaxItems === 20)) {
    console.log(
      `gas per liquidation by transaction size, ${r.borrowers.toLocaleString("en-US")} borrowers: 1: ${gasPerLiquidation(r.txs, 1, 1)}, ` +
        `2-5: ${gasPerLiquidation(r.txs, 2, 5)}, 6-20: ${gasPerLiquidation(r.txs, 6, 20)}`,
    );
  }
}

function averageGas(txs: readonly KeeperTx[]): number | undefined {
  const n = txs.reduce((s, t) => s + t.liquidations, 0);
  return n === 0 ? undefined : Number(txs.reduce((s, t) => s + t.gasUsed, 0n)) / n;
}
