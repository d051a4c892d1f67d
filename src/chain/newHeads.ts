// New heads announced over a WebSocket (eth_subscribe newHeads through viem, reconnecting by itself).
// The daemon polls RPC_URL all the same; an announcement only wakes it early.
import { createPublicClient, webSocket } from "viem";
import { redactUrl } from "../util/url.js";

export interface NewHeads {
  /** the URL, redacted, for log lines */
  readonly label: string;
  /** Calls onHead per new head and onError when the subscription fails; returns the unsubscribe. */
  watch(onHead: (blockNumber: bigint) => void, onError: (err: Error) => void): () => void;
}

export function subscribeNewHeads(wsUrl: string): NewHeads {
  return {
    label: redactUrl(wsUrl),
    watch(onHead, onError) {
      const ws = createPublicClient({ transport: webSocket(wsUrl, { reconnect: true }) });
      const unwatch = ws.watchBlockNumber({ emitOnBegin: false, onBlockNumber: onHead, onError });
      return () => {
        unwatch();
        void (ws.transport as { getRpcClient?: () => Promise<{ close: () => void }> })
          .getRpcClient?.()
          .then((c) => c.close())
          .catch(() => undefined);
      };
    },
  };
}
