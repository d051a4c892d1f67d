// A cascade: the sandbox with N borrowers, interval mining at 1 s, the keeper running (in this
// process, as `keeper run` wires it), and a -20% WETH shock. From the chain afterwards: how many
// accounts the shock put under water, how many the keeper liquidated within 60 blocks, the latency
// of each (blocks from the shock to its first liquidation) and, beside it, the block-gas floor: where
// that liquidation would land if every block after the shock were filled with the keeper's
// liquidations in the order they were mined (1 + the gas of those before it ÷ the block gas limit).
import { parseEventLogs, type Address, type Hex, type PublicClient } from "viem";
import { poolAbi } from "../contracts-abi/aave/index.js";
import { createChainClient } from "../src/chain/client.js";
import { createConnections } from "../src/chain/connections.js";
import { defaultSettings } from "../src/config/settings.js";
import { multicallOptions } from "../src/chain/multicall.js";
import { rpc } from "../src/chain/rpc.js";
import { rpcBatch } from "../src/chain/rpcBatch.js";
import { formatTable } from "../src/util/table.js";
import { Keeper } from "../src/daemon/keeper.js";
import { silentLogger } from "../src/logging.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../src/sandbox/keeperWallet.js";
import { movedPrice, setFeedAnswer } from "../src/sandbox/prices.js";
import { sandboxWrappedNative, startSandbox } from "../src/sandbox/sandbox.js";
import { sleep } from "../src/util/time.js";

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
const WINDOW_BLOCKS = 60n;

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Users with health factor below 1 at `blockNumber`, 500 at a time (anvil keeps recent states). */
async function liquidatableAt(client: PublicClient, pool: Address, users: readonly Address[], blockNumber: bigint): Promise<Address[]> {
  const out: Address[] = [];
  for (let i = 0; i < users.length; i += 500) {
    const chunk = users.slice(i, i + 500);
    const data = await client.multicall({
      ...multicallOptions,
      allowFailure: false,
      blockNumber,
      contracts: chunk.map((user) => ({ address: pool, abi: poolAbi, functionName: "getUserAccountData", args: [user] }) as const),
    });
    chunk.forEach((u, j) => {
      if (data[j]![5] < 10n ** 18n) out.push(u);
    });
  }
  return out;
}

interface KeeperTx {
  hash: Hex;
  block: bigint;
  index: number;
  gasUsed: bigint;
  ok: boolean;
  nonce: number;
}

/** The keeper wallet's transactions in the range, in chain order, with their receipts. */
async function keeperTxs(url: string, client: PublicClient, from: bigint, to: bigint): Promise<KeeperTx[]> {
  const txs: Omit<KeeperTx, "gasUsed" | "ok">[] = [];
  for (let b = from; b <= to; b++) {
    const block = await client.getBlock({ blockNumber: b, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== SANDBOX_KEEPER_ADDRESS.toLowerCase()) continue;
      txs.push({ hash: tx.hash, block: b, index: tx.transactionIndex, nonce: tx.nonce });
    }
  }
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
      out.push({ ...t, gasUsed: BigInt(r.result.gasUsed), ok: r.result.status === "0x1" });
    });
  }
  return out;
}

export interface CascadeResult {
  borrowers: number;
  liquidatable: number;
  taken: number;
  latency: number[];
  floor: number[];
  transactions: number;
  reverted: number;
  nonceGaps: number;
  startMs: number;
}

export async function runCascade(borrowers: number, seed = 9): Promise<CascadeResult> {
  const sandbox = await startSandbox({ borrowers, seed });
  const url = sandbox.market.rpcUrl;
  const client = createChainClient({ rpcUrl: url });
  try {
    await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 1_000_000_000n);
    const keeper = new Keeper({
      connections: createConnections({ rpcUrl: url }),
      chainId: sandbox.market.chainId,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: sandbox.market.deploymentBlock,
      logChunkBlocks: 5_000,
      pollIntervalMs: 50,
      executor: { privateKey: SANDBOX_KEEPER_KEY, dryRun: false, maxFeeGwei: 500, priorityFeeGwei: 1, txTimeoutBlocks: 3 },
      scheduler: { ...defaultSettings().scheduler, wrappedNativeToken: sandboxWrappedNative(sandbox.market) },
      logger: silentLogger,
    });
    const began = performance.now();
    await keeper.start();
    const startMs = performance.now() - began;
    progress(`${borrowers} borrowers: keeper synced ${keeper.watcher.book.size} accounts in ${Math.round(startMs)} ms`);
    await rpc(url, "evm_setIntervalMining", [1]);
    const controller = new AbortController();
    const running = keeper.run(controller.signal);
    await sleep(2_500);
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const move = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -20));
    const shock = move.blockNumber;
    progress(`${borrowers} borrowers: WETH -20% in block ${shock}`);
    // Until the keeper has nothing left to take (bad debt aside) or the window is over.
    for (;;) {
      await sleep(1_000);
      const head = keeper.watcher.head.number;
      const left = keeper.watcher.book.liquidatable().filter((u) => (keeper.watcher.book.health(u)?.totalCollateralBase ?? 0n) > 0n).length;
      if (head >= shock + WINDOW_BLOCKS) break;
      if (head > shock + 2n && left === 0 && keeper.executor.inFlight().length === 0) break;
    }
    controller.abort();
    await running;
    await keeper.stop(5_000);
    const end = await client.getBlockNumber();
    const last = end < shock + WINDOW_BLOCKS ? end : shock + WINDOW_BLOCKS;

    const users = sandbox.borrowers.map((b) => b.address);
    const underWater = await liquidatableAt(client, sandbox.market.pool, users, shock);
    const poolLogs = await client.getLogs({ address: sandbox.market.pool, fromBlock: shock + 1n, toBlock: last });
    const logs = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: poolLogs }).filter(
      (l) => l.args.liquidator.toLowerCase() === SANDBOX_KEEPER_ADDRESS.toLowerCase(),
    );
    const txs = await keeperTxs(url, client, shock + 1n, last);
    const { gasLimit } = await client.getBlock({ blockNumber: shock + 1n });
    // Cumulative gas of the keeper's transactions in chain order: the floor of each.
    let cumulative = 0n;
    const floorOf = new Map<Hex, number>();
    for (const tx of txs) {
      cumulative += tx.gasUsed;
      floorOf.set(tx.hash, Number((cumulative + gasLimit - 1n) / gasLimit));
    }
    const first = new Map<string, { block: bigint; hash: Hex }>();
    for (const l of logs) {
      const key = l.args.user.toLowerCase();
      if (!first.has(key)) first.set(key, { block: l.blockNumber, hash: l.transactionHash });
    }
    const latency: number[] = [];
    const floor: number[] = [];
    for (const u of underWater) {
      const hit = first.get(u.toLowerCase());
      if (!hit) continue;
      latency.push(Number(hit.block - shock));
      floor.push(floorOf.get(hit.hash) ?? 1);
    }
    const nonces = txs.map((t) => t.nonce).sort((a, b) => a - b);
    const nonceGaps = nonces.filter((n, i) => i > 0 && n !== nonces[i - 1]! + 1).length;
    return {
      borrowers,
      liquidatable: underWater.length,
      taken: latency.length,
      latency,
      floor,
      transactions: txs.length,
      reverted: txs.filter((t) => !t.ok).length,
      nonceGaps,
      startMs,
    };
  } finally {
    await sandbox.stop();
  }
}

export async function benchCascade(): Promise<void> {
  const rows: string[][] = [];
  for (const borrowers of (process.env.BENCH_BORROWERS ?? "2000,20000").split(",").map(Number)) {
    const r = await runCascade(borrowers);
    const pct = r.liquidatable === 0 ? "-" : `${((100 * r.taken) / r.liquidatable).toFixed(1)}%`;
    rows.push([
      borrowers.toLocaleString("en-US"),
      String(r.liquidatable),
      `${r.taken} (${pct})`,
      `${percentile(r.latency, 50)} / ${percentile(r.latency, 95)}`,
      `${percentile(r.floor, 50)} / ${percentile(r.floor, 95)}`,
      String(r.transactions),
      String(r.reverted),
      String(r.nonceGaps),
    ]);
  }
  console.log("\nCascade: WETH -20% on the sandbox, 1 s blocks, the keeper in flight (latency in blocks after the shock, within 60)");
  console.log(
    formatTable(
      ["borrowers", "liquidatable", "taken", "latency p50 / p95", "block-gas floor p50 / p95", "keeper txs", "reverted", "nonce gaps"],
      rows,
    ),
  );
}
