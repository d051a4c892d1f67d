// A JSON-RPC proxy on loopback for tests: counts the calls a client makes (by method), and can
// behave like a real provider: refuse eth_getLogs over too many blocks, add latency, or go down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RpcProxyOptions {
  /** refuse eth_getLogs whose range spans more blocks than this, as providers do */
  maxLogRange?: number;
  /** added to every request */
  delayMs?: number;
  /** the n-th eth_sendRawTransaction seen (from 0, batches included), carrying `raw`, is refused with this message when it returns one */
  refuseSend?: (n: number, raw: string) => string | undefined;
  /** requests (not batches) of the methods this says are answered with HTTP 503, as by an overloaded provider */
  unavailable?: (method: string) => boolean;
}

export interface RpcProxy {
  readonly url: string;
  /** calls per method since the last reset (a batch counts each call) */
  readonly counts: Map<string, number>;
  total(): number;
  reset(): void;
  /** answer every request with HTTP 503 until up() */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string, options: RpcProxyOptions = {}): Promise<RpcProxy> {
  const counts = new Map<string, number>();
  let isDown = false;
  let sent = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (isDown) {
      res.writeHead(503).end("service unavailable");
      return;
    }
    let parsed: { id?: unknown; method?: string; params?: unknown[] } | { id?: unknown; method?: string; params?: unknown[] }[];
    try {
      parsed = JSON.parse(body);
    } catch {
      res.writeHead(400).end("bad json");
      return;
    }
    const calls = Array.isArray(parsed) ? parsed : [parsed];
    for (const call of calls) counts.set(call.method ?? "?", (counts.get(call.method ?? "?") ?? 0) + 1);
    if (options.unavailable && !Array.isArray(parsed) && options.unavailable(parsed.method ?? "")) {
      res.writeHead(503).end("service unavailable");
      return;
    }
    if (options.maxLogRange !== undefined && !Array.isArray(parsed) && parsed.method === "eth_getLogs") {
      const filter = (parsed.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      if (filter.fromBlock?.startsWith("0x") && filter.toBlock?.startsWith("0x")) {
        const span = BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n;
        if (span > BigInt(options.maxLogRange)) {
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              jsonrpc: "2.0",
              id: parsed.id,
              error: { code: -32005, message: `block range too large: ${span} > ${options.maxLogRange}` },
            }),
          );
          return;
        }
      }
    }
    if (options.refuseSend && Array.isArray(parsed) && parsed.some((c) => c.method === "eth_sendRawTransaction")) {
      // Refused calls get an error answer; the rest go upstream in one batch, answers merged by id.
      const refused = new Map<unknown, string>();
      for (const call of parsed) {
        if (call.method !== "eth_sendRawTransaction") continue;
        const message = options.refuseSend(sent++, String(call.params?.[0]));
        if (message !== undefined) refused.set(call.id, message);
      }
      const forward = parsed.filter((c) => !refused.has(c.id));
      const upstream =
        forward.length === 0
          ? undefined
          : await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(forward) });
      const answers = upstream ? ((await upstream.json()) as unknown[]) : [];
      const merged = [...answers, ...[...refused].map(([id, message]) => ({ jsonrpc: "2.0", id, error: { code: -32000, message } }))];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(merged));
      return;
    }
    if (options.refuseSend && !Array.isArray(parsed) && parsed.method === "eth_sendRawTransaction") {
      const message = options.refuseSend(sent++, String(parsed.params?.[0]));
      if (message !== undefined) {
        const answer = { jsonrpc: "2.0", id: parsed.id, error: { code: -32000, message } };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        return;
      }
    }
    try {
      const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    } catch (err) {
      res.writeHead(502).end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    down: () => (isDown = true),
    up: () => (isDown = false),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
