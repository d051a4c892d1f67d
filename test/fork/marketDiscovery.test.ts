// Market discovery tells a wrong POOL_ADDRESSES_PROVIDER (bad input: exit 2, never retried) from a node
// that failed to answer a read (an outage: retried, the daemon keeps going), on a real market.
import { beforeAll, describe, expect, it } from "vitest";
import { createChainClient } from "../../src/chain/client.js";
import { isRetryable } from "../../src/errors.js";
import { deployMarket, MULTICALL3_ADDRESS, type MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { discoverMarket, MarketDiscoveryError } from "../../src/watcher/marketReader.js";
import { useAnvil } from "../helpers/anvil.js";
import { startRpcProxy, type RpcProxy } from "../helpers/rpcProxy.js";

let market: MarketDeployment;
let rpcUrl: string;
beforeAll(async () => {
  rpcUrl = (await useAnvil()).rpcUrl;
  market = await deployMarket(rpcUrl, { aave: "3.0" });
});

async function throughProxy(unavailable: (method: string) => boolean, run: (proxy: RpcProxy) => Promise<void>): Promise<void> {
  const proxy = await startRpcProxy(rpcUrl, { unavailable });
  try {
    await run(proxy);
  } finally {
    await proxy.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("resolved");
    },
    (err: unknown) => err,
  );
}

describe("discoverMarket: a wrong address or a node that did not answer", () => {
  it("control: the provider through the proxy is discovered", async () => {
    await throughProxy(
      () => false,
      async (proxy) => {
        const info = await discoverMarket(createChainClient({ rpcUrl: proxy.url, retryCount: 0 }), market.addressesProvider);
        expect(info.addresses.pool).toBe(market.pool);
      },
    );
  });

  it("a contract that is not a provider (it reverts): MarketDiscoveryError, exit 2, not retryable", async () => {
    const err = await rejection(discoverMarket(createChainClient({ rpcUrl, retryCount: 0 }), MULTICALL3_ADDRESS));
    expect(err).toBeInstanceOf(MarketDiscoveryError);
    expect((err as MarketDiscoveryError).message).toMatch(/^POOL_ADDRESSES_PROVIDER: .* is not an Aave V3 PoolAddressesProvider$/);
    expect((err as MarketDiscoveryError).exitCode).toBe(2);
    expect(isRetryable(err)).toBe(false);
  });

  it("the provider's code is there but its reads get HTTP 503: the node's error, retryable, not a wrong address", async () => {
    await throughProxy(
      (method) => method === "eth_call",
      async (proxy) => {
        const err = await rejection(discoverMarket(createChainClient({ rpcUrl: proxy.url, retryCount: 0 }), market.addressesProvider));
        expect(err).not.toBeInstanceOf(MarketDiscoveryError);
        expect(String((err as Error).message)).toMatch(/HTTP request failed/);
        expect(isRetryable(err)).toBe(true);
        // The code check went through: only the reads failed.
        expect(proxy.counts.get("eth_getCode")).toBe(1);
      },
    );
  });
});
