// Pending transactions, as the node's pool sees them: over WS_URL (eth_subscribe newPendingTransactions,
// asking for whole transactions; a node that sends hashes only gets them fetched), or over HTTP by a
// pending-transaction filter polled every PENDING_POLL_MS (eth_getFilterChanges, then one batch of
// eth_getTransactionByHash). What is asked of the node grows with the pool's traffic, never with the
// number of borrowers. Transactions already mined when fetched are left out.
import { createPublicClient, webSocket, type Address, type Hex } from "viem";
import type { RpcEndpoint } from "./connections.js";
import { RpcError } from "./rpc.js";
import { redactUrl } from "../util/url.js";

/** How often the HTTP filter is polled: a few times per block even on 1 s chains. */
export const PENDING_POLL_MS = 150;

/** A pending transaction, with its fee terms (one of gasPrice or the EIP-1559 pair). */
export interface PendingTx {
  hash: Hex;
  from: Address;
  to: Address | null;
  nonce: number;
  input: Hex;
  value: bigint;
  gas: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
}

export interface PendingTransactions {
  /** where they come from, for log lines */
  readonly label: string;
  /** Calls onTx for each new pending transaction, onError when the source fails (it keeps trying); returns the stop. */
  watch(onTx: (tx: PendingTx) => void, onError: (err: Error) => void): () => void;
}

/** A node's JSON transaction (eth_getTransactionByHash) as a PendingTx; undefined when mined or malformed. */
export function parsePendingTx(raw: unknown): PendingTx | undefined {
  if (raw === null || typeof raw !== "object") return undefined;
  const t = raw as Record<string, unknown>;
  if (t.blockNumber !== null && t.blockNumber !== undefined) return undefined;
  const hex = (v: unknown): v is Hex => typeof v === "string" && /^0x[0-9a-fA-F]*$/.test(v);
  if (!hex(t.hash) || !hex(t.from) || !hex(t.nonce) || !hex(t.gas)) return undefined;
  const input = hex(t.input) ? t.input : hex(t.data) ? t.data : "0x";
  const big = (v: unknown) => (hex(v) && v !== "0x" ? BigInt(v) : undefined);
  const tx: PendingTx = {
    hash: t.hash,
    from: t.from as Address,
    to: hex(t.to) ? (t.to as Address) : null,
    nonce: Number(BigInt(t.nonce)),
    input,
    value: big(t.value) ?? 0n,
    gas: BigInt(t.gas),
  };
  const maxFee = big(t.maxFeePerGas);
  const tip = big(t.maxPriorityFeePerGas);
  if (maxFee !== undefined && tip !== undefined) {
    tx.maxFeePerGas = maxFee;
    tx.maxPriorityFeePerGas = tip;
  } else {
    const gasPrice = big(t.gasPrice);
    if (gasPrice === undefined) return undefined;
    tx.gasPrice = gasPrice;
  }
  return tx;
}

/** Fetches the transactions of these hashes in one batch; mined or unknown ones are left out. */
async function fetchPending(node: RpcEndpoint, hashes: readonly Hex[]): Promise<PendingTx[]> {
  if (hashes.length === 0) return [];
  const answers = await node.batch<unknown>(
    hashes.map((h) => ({ method: "eth_getTransactionByHash", params: [h] })),
    10_000,
  );
  return answers.flatMap((a) => (a.ok ? (parsePendingTx(a.result) ?? []) : []));
}

/** A pending-transaction filter on the node, polled. */
export function pollPendingTransactions(node: RpcEndpoint, intervalMs = PENDING_POLL_MS): PendingTransactions {
  return {
    label: `${node.label} (pending-transaction filter, polled every ${intervalMs} ms)`,
    watch(onTx, onError) {
      let stopped = false;
      let filter: Hex | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const poll = async () => {
        try {
          filter ??= await node.request<Hex>("eth_newPendingTransactionFilter", [], { timeoutMs: 10_000 });
          let hashes: Hex[];
          try {
            hashes = await node.request<Hex[]>("eth_getFilterChanges", [filter], { timeoutMs: 10_000 });
          } catch (err) {
            // A node that restarted or expired the filter: a new one next time.
            if (err instanceof RpcError) filter = undefined;
            throw err;
          }
          if (!Array.isArray(hashes)) throw new Error(`eth_getFilterChanges answered ${JSON.stringify(hashes).slice(0, 80)}, not a list`);
          for (const tx of await fetchPending(node, hashes)) if (!stopped) onTx(tx);
        } catch (err) {
          if (!stopped) onError(err instanceof Error ? err : new Error(String(err)));
        }
        if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
      };
      void poll();
      return () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        if (filter) void node.request("eth_uninstallFilter", [filter], { timeoutMs: 2_000 }).catch(() => undefined);
      };
    },
  };
}

/** eth_subscribe newPendingTransactions over a WebSocket (viem's transport, reconnecting by itself). */
export function subscribePendingTransactions(wsUrl: string, node: RpcEndpoint): PendingTransactions {
  return {
    label: `${redactUrl(wsUrl)} (newPendingTransactions)`,
    watch(onTx, onError) {
      const client = createPublicClient({ transport: webSocket(wsUrl, { reconnect: true }) });
      let stopped = false;
      let unsubscribe: (() => Promise<unknown>) | undefined;
      const deliver = (data: unknown) => {
        if (stopped) return;
        if (typeof data === "string") {
          fetchPending(node, [data as Hex]).then(
            (txs) => {
              for (const tx of txs) if (!stopped) onTx(tx);
            },
            (err: unknown) => onError(err instanceof Error ? err : new Error(String(err))),
          );
          return;
        }
        const tx = parsePendingTx(data);
        if (tx) onTx(tx);
      };
      const transport = client.transport as unknown as {
        subscribe: (args: {
          params: unknown[];
          onData: (d: { result?: unknown }) => void;
          onError: (e: unknown) => void;
        }) => Promise<{ unsubscribe: () => Promise<unknown> }>;
      };
      transport
        .subscribe({
          // true: whole transactions where the node can (geth, reth); hashes elsewhere.
          params: ["newPendingTransactions", true],
          onData: (d) => deliver(d.result),
          onError: (e) => onError(e instanceof Error ? e : new Error(String(e))),
        })
        .then(
          (s) => {
            unsubscribe = s.unsubscribe;
            if (stopped) void s.unsubscribe().catch(() => undefined);
          },
          (err: unknown) => onError(err instanceof Error ? err : new Error(String(err))),
        );
      return () => {
        stopped = true;
        void unsubscribe?.().catch(() => undefined);
      };
    },
  };
}
