// Time from a new block's arrival (the keeper's eth_getBlockByNumber answer naming it) to the
// signed liquidation handed to the RPC (the eth_sendRawTransaction request leaving), with 2,000
// and 20,000 tracked accounts, on the sandbox chain. Small price steps put accounts under water
// block after block. Mining is manual, as on a real chain: a block with the price move arrives,
// the keeper reacts and its transactions wait in the mempool; the next block includes them.
import { createConnections } from "../src/chain/connections.js";
import { defaultSettings } from "../src/config/settings.js";
import { formatTable } from "../src/util/table.js";
import { Keeper } from "../src/daemon/keeper.js";
import { silentLogger } from "../src/logging.js";
import { fundWallet, SANDBOX_KEEPER_ADDRESS, SANDBOX_KEEPER_KEY } from "../src/sandbox/keeperWallet.js";
import { encodeFunctionData } from "viem";
import { sandboxPriceFeedAbi } from "../contracts-abi/sandbox/SandboxPriceFeed.js";
import { rpc } from "../src/chain/rpc.js";
import { sandboxWrappedNative, startSandbox } from "../src/sandbox/sandbox.js";

interface Timing {
  arrivedAt: number | undefined;
  sends: number[];
}

/** Watches the process's fetch calls: when a new head arrives and when raw transactions leave. */
function instrumentFetch(timing: Timing): () => void {
  const original = globalThis.fetch;
  let lastHead = -1n;
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const body = typeof init?.body === "string" ? init.body : "";
    // A batch carries several: each counts, leaving when the request does.
    const sends = body.split('"eth_sendRawTransaction"').length - 1;
    if (sends > 0 && timing.arrivedAt !== undefined)
      for (let i = 0; i < sends; i++) timing.sends.push(performance.now() - timing.arrivedAt);
    const response = await original(input, init);
    if (body.includes('"eth_getBlockByNumber"') && body.includes('"latest"')) {
      const text = await response.clone().text();
      const number = /"number":"(0x[0-9a-f]+)"/.exec(text)?.[1];
      if (number && BigInt(number) > lastHead) {
        lastHead = BigInt(number);
        timing.arrivedAt = performance.now();
      }
    }
    return response;
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}

/** Progress goes to stderr so the table on stdout stays clean. */
const progress = (line: string) => process.stderr.write(`  ${line}\n`);

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

async function measure(borrowers: number, steps: number) {
  const sandbox = await startSandbox({ borrowers, seed: 7 });
  try {
    await fundWallet(sandbox.market, SANDBOX_KEEPER_ADDRESS, 1_000_000_000n);
    const keeper = new Keeper({
      connections: createConnections({ rpcUrl: sandbox.market.rpcUrl }),
      chainId: sandbox.market.chainId,
      market: { addressesProvider: sandbox.market.addressesProvider, startBlock: sandbox.market.deploymentBlock, logChunkBlocks: 5_000 },
      pollIntervalMs: 100,
      executor: { privateKey: SANDBOX_KEEPER_KEY, dryRun: false, maxFeeGwei: 500, priorityFeeGwei: 1, txTimeoutBlocks: 3 },
      scheduler: { ...defaultSettings().scheduler, wrappedNativeToken: sandboxWrappedNative(sandbox.market) },
      logger: silentLogger,
    });
    const began = performance.now();
    await keeper.start();
    progress(`${borrowers} borrowers: keeper synced ${keeper.watcher.book.size} accounts in ${Math.round(performance.now() - began)} ms`);
    const timing: Timing = { arrivedAt: undefined, sends: [] };
    const firstPerBlock: number[] = [];
    const all: number[] = [];
    const url = sandbox.market.rpcUrl;
    await rpc(url, "evm_setAutomine", [false]);
    const restore = instrumentFetch(timing);
    try {
      const assets = sandbox.market.assets.filter((a) => a.spec.eModeCategory === 0);
      const prices = new Map(assets.map((a) => [a.symbol, a.spec.priceUsd]));
      for (let step = 0; step < steps; step++) {
        const asset = assets[step % assets.length]!;
        const price = (prices.get(asset.symbol)! * 985n) / 1000n; // -1.5% a step
        prices.set(asset.symbol, price);
        const data = encodeFunctionData({ abi: sandboxPriceFeedAbi, functionName: "setAnswer", args: [price] });
        await rpc(url, "eth_sendTransaction", [{ from: sandbox.market.deployer, to: asset.priceFeed, data, gas: "0x989680" }]);
        timing.sends = [];
        timing.arrivedAt = undefined;
        await rpc(url, "evm_mine"); // the block the keeper reacts to (with last step's liquidations)
        await keeper.tick();
        if (step % 10 === 9) progress(`${borrowers} borrowers: ${step + 1}/${steps} blocks, ${all.length} liquidations sent`);
        if (timing.sends.length > 0) firstPerBlock.push(timing.sends[0]!);
        all.push(...timing.sends);
      }
      await rpc(url, "evm_mine");
      await keeper.tick();
    } finally {
      restore();
    }
    return {
      borrowers,
      tracked: keeper.watcher.book.size,
      blocks: steps,
      liquidations: keeper.stats.liquidations,
      firstPerBlock,
      all,
      reverted: keeper.stats.reverted,
    };
  } finally {
    await sandbox.stop();
  }
}

export async function benchPipeline(): Promise<void> {
  const rows: string[][] = [];
  for (const borrowers of (process.env.BENCH_BORROWERS ?? "2000,20000").split(",").map(Number)) {
    const r = await measure(borrowers, Number(process.env.BENCH_BLOCKS ?? 40));
    const f = (x: number) => `${x.toFixed(1)} ms`;
    rows.push([
      r.tracked.toLocaleString("en-US"),
      String(r.blocks),
      String(r.all.length),
      String(r.reverted),
      f(percentile(r.firstPerBlock, 50)),
      f(percentile(r.firstPerBlock, 99)),
      f(percentile(r.all, 50)),
      f(percentile(r.all, 99)),
    ]);
  }
  console.log("\nNew block → signed liquidation handed to the RPC (sandbox chain on loopback, WETH/WBTC/LINK -1.5% a block)");
  console.log(
    formatTable(["tracked accounts", "blocks", "txs", "reverted", "first tx of a block p50", "p99", "every tx p50", "p99"], rows),
  );
}
