// Every connection keeper makes to nodes, built here and handed to the stages that need them: the
// viem client for reads (RPC_URL, with RPC_URL_FALLBACK), the node as a JSON-RPC endpoint for what
// viem does not batch or know (eth_simulateV1, batched receipts, a block's sends), where signed
// transactions go (PRIVATE_TX_URL's relay, else the node), and WS_URL's new-heads subscription. No
// other module of the daemon opens a connection of its own.
import type { PublicClient } from "viem";
import { createChainClient } from "./client.js";
import { subscribeNewHeads, type NewHeads } from "./newHeads.js";
import { pollPendingTransactions, subscribePendingTransactions, type PendingTransactions } from "./pendingTransactions.js";
import { redactUrl, rpc, type RpcOptions } from "./rpc.js";
import { rpcBatch, type RpcCall, type RpcOutcome } from "./rpcBatch.js";

/** A JSON-RPC endpoint: one call, or many in one HTTP request. */
export interface RpcEndpoint {
  /** the URL, redacted, for log lines */
  readonly label: string;
  request<T>(method: string, params?: unknown[], options?: RpcOptions): Promise<T>;
  batch<T>(calls: RpcCall[], timeoutMs?: number): Promise<RpcOutcome<T>[]>;
}

/** Where signed transactions go. */
export interface SendTarget {
  endpoint: RpcEndpoint;
  /** a private relay (PRIVATE_TX_URL): one transaction per request, in nonce order; else the node, batched */
  relay: boolean;
}

export interface Connections {
  /** reads: RPC_URL, falling back to RPC_URL_FALLBACK */
  client: PublicClient;
  /** RPC_URL as a JSON-RPC endpoint (batches, eth_simulateV1) */
  node: RpcEndpoint;
  send: SendTarget;
  /** WS_URL's new heads, when set */
  newHeads?: NewHeads;
  /** pending transactions (WATCH_PENDING): over WS_URL, or RPC_URL's filter polled */
  pending?: PendingTransactions;
}

/** WATCH_PENDING: auto = over WS_URL where set; on = also by polling RPC_URL; off = never. */
export type WatchPending = "auto" | "on" | "off";

export interface ConnectionSettings {
  rpcUrl: string;
  rpcUrlFallback?: string;
  wsUrl?: string;
  privateTxUrl?: string;
  /** transport-level retries of one read (default 3) */
  retryCount?: number;
  /** default "auto" */
  watchPending?: WatchPending;
}

export function httpEndpoint(url: string): RpcEndpoint {
  return {
    label: redactUrl(url),
    request: <T>(method: string, params: unknown[] = [], options?: RpcOptions) => rpc<T>(url, method, params, options),
    batch: <T>(calls: RpcCall[], timeoutMs?: number) => rpcBatch<T>(url, calls, timeoutMs),
  };
}

export function createConnections(settings: ConnectionSettings): Connections {
  const client = createChainClient({
    rpcUrl: settings.rpcUrl,
    rpcUrlFallback: settings.rpcUrlFallback,
    ...(settings.retryCount !== undefined && { retryCount: settings.retryCount }),
  });
  const node = httpEndpoint(settings.rpcUrl);
  const relay = settings.privateTxUrl !== undefined;
  const watch = settings.watchPending ?? "auto";
  const pending =
    watch === "off"
      ? undefined
      : settings.wsUrl !== undefined
        ? subscribePendingTransactions(settings.wsUrl, node)
        : watch === "on"
          ? pollPendingTransactions(node)
          : undefined;
  return {
    client,
    node,
    send: { endpoint: relay ? httpEndpoint(settings.privateTxUrl!) : node, relay },
    ...(settings.wsUrl !== undefined && { newHeads: subscribeNewHeads(settings.wsUrl) }),
    ...(pending && { pending }),
  };
}

/** The node and send endpoints around a client already made (a command's probe of RPC_URL, a test's proxy). */
export function endpointsFor(client: PublicClient, rpcUrl: string, privateTxUrl?: string): Pick<Connections, "client" | "node" | "send"> {
  const node = httpEndpoint(rpcUrl);
  return {
    client,
    node,
    send: privateTxUrl === undefined ? { endpoint: node, relay: false } : { endpoint: httpEndpoint(privateTxUrl), relay: true },
  };
}
