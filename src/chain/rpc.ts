/**
 * Minimal JSON-RPC over HTTP with plain fetch — for anvil_* cheat methods and
 * readiness probes, where pulling in a viem client would be overkill.
 */
import { EXIT_FAILURE, KeeperError } from "../errors.js";
import { redactUrl } from "../util/url.js";

// redactUrl lives in util/url.ts (config needs it without the RPC code); re-exported for callers that import it from here.
export { redactUrl };

/** The node answered with a JSON-RPC error object (as opposed to a transport failure); asked again later, it may not. */
export class RpcError extends KeeperError {
  constructor(
    message: string,
    readonly method: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message, { exitCode: EXIT_FAILURE, retryable: true });
    this.name = "RpcError";
  }
}

export interface RpcOptions {
  /** Abort the request after this long. Default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface JsonRpcResponse {
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

let nextId = 1;

export async function rpc<T>(url: string, method: string, params: unknown[] = [], options: RpcOptions = {}): Promise<T> {
  const where = `${method} on ${redactUrl(url)}`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;

  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }, bigintReplacer),
      signal,
    });
    text = await res.text();
  } catch (err) {
    // fetch's own message is just "fetch failed"; the useful part (ECONNREFUSED, timeout) is in cause.
    const detail = err instanceof Error ? describeFetchError(err) : String(err);
    throw new Error(`${where} failed: ${detail}`, { cause: err });
  }

  if (!res.ok) {
    throw new Error(`${where} failed: HTTP ${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
  }
  let body: JsonRpcResponse;
  try {
    body = JSON.parse(text) as JsonRpcResponse;
  } catch (err) {
    throw new Error(`${where} failed: response is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  if (body.error) {
    const { code = 0, message = "unknown error", data } = body.error;
    throw new RpcError(`${where} failed: ${message} (code ${code})`, method, code, data);
  }
  if (!("result" in body)) {
    throw new Error(`${where} failed: response has neither result nor error: ${text.slice(0, 200)}`);
  }
  return body.result as T;
}

function describeFetchError(err: Error): string {
  if (err.name === "TimeoutError" || err.name === "AbortError") return err.message;
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${err.message} (${code})` : `${err.message}: ${cause.message}`;
  }
  return err.message;
}

// Callers pass bigint params (balances, block numbers); JSON-RPC wants 0x quantities.
function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `0x${value.toString(16)}` : value;
}
