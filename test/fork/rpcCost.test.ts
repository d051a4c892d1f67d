// Steady state: the requests the watcher makes per block do not grow with the number of borrowers.
// Measured through a counting JSON-RPC proxy on a sandbox of 200 and of 2,000 borrowers (Aave 3.0), and
// of 200 on Aave 3.6, whose market read (eMode bitmaps, grace periods) still fits in the one eth_call.
import { describe, expect, it } from "vitest";
import { createPublicClient, http } from "viem";
import { rpc } from "../../src/chain/rpc.js";
import { silentLogger } from "../../src/logging.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import type { AaveVersion } from "../../src/sandbox/marketSpec.js";
import { startSandbox } from "../../src/sandbox/sandbox.js";
import { Watcher } from "../../src/watcher/watcher.js";
import { startRpcProxy } from "../helpers/rpcProxy.js";

/** Requests per processed block over 6 blocks: 3 empty, 3 with a price move. */
async function requestsPerBlock(
  borrowers: number,
  aave: AaveVersion = "3.0",
): Promise<{ perBlock: Record<string, number>[]; book: number }> {
  const sandbox = await startSandbox({ aave, borrowers, seed: 51 });
  const proxy = await startRpcProxy(sandbox.anvil.rpcUrl);
  try {
    const client = createPublicClient({ transport: http(proxy.url), cacheTime: 0 });
    const watcher = new Watcher({
      client,
      addressesProvider: sandbox.market.addressesProvider,
      startBlock: 0n,
      logChunkBlocks: 5_000,
      logger: silentLogger,
    });
    await watcher.sync();
    const perBlock: Record<string, number>[] = [];
    const weth = sandbox.market.assets[0]!;
    for (let i = 0; i < 6; i++) {
      if (i % 2 === 0) await rpc(sandbox.anvil.rpcUrl, "evm_mine");
      else await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -2 * i));
      proxy.reset();
      const update = await watcher.poll();
      expect(update?.toBlock).toBeDefined();
      perBlock.push(Object.fromEntries(proxy.counts));
    }
    return { perBlock, book: watcher.book.size };
  } finally {
    await proxy.close();
    await sandbox.stop();
  }
}

describe("RPC cost per block", () => {
  it("is the same few requests with 200 and with 2,000 borrowers", async () => {
    const small = await requestsPerBlock(200);
    const large = await requestsPerBlock(2_000);
    console.log("requests per block, 200 borrowers:", JSON.stringify(small.perBlock));
    console.log("requests per block, 2,000 borrowers:", JSON.stringify(large.perBlock));
    expect(small.book).toBeGreaterThan(200);
    expect(large.book).toBeGreaterThan(2_000);
    expect(large.perBlock).toEqual(small.perBlock);
    for (const block of large.perBlock) {
      // the head's header, one eth_getLogs, one eth_call for every reserve and price
      expect(block).toEqual({ eth_getBlockByNumber: 1, eth_getLogs: 1, eth_call: 1 });
    }
  });

  it("is the same three requests on Aave 3.6", async () => {
    const v36 = await requestsPerBlock(200, "3.6");
    expect(v36.book).toBeGreaterThan(200);
    for (const block of v36.perBlock) expect(block).toEqual({ eth_getBlockByNumber: 1, eth_getLogs: 1, eth_call: 1 });
  });
});
