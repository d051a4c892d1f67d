// The viem client keeper reads the chain with: http (with a fallback URL when given), retries with
// backoff inside the transport, no request batching (so one request is one call, as counted).
import { createPublicClient, fallback, http, type PublicClient, type Transport } from "viem";

export interface ClientOptions {
  rpcUrl: string;
  rpcUrlFallback?: string;
  /** per-request timeout (default 15 s) */
  timeoutMs?: number;
  /** transport-level retries of one request (default 3, exponential backoff from 250 ms) */
  retryCount?: number;
}

export function createChainClient(options: ClientOptions): PublicClient {
  const httpOptions = { timeout: options.timeoutMs ?? 15_000, retryCount: options.retryCount ?? 3, retryDelay: 250 };
  const transport: Transport = options.rpcUrlFallback
    ? fallback([http(options.rpcUrl, httpOptions), http(options.rpcUrlFallback, httpOptions)])
    : http(options.rpcUrl, httpOptions);
  // cacheTime 0: viem otherwise answers getBlockNumber from a cache for 4 s.
  return createPublicClient({ transport, cacheTime: 0, pollingInterval: 1_000 });
}
