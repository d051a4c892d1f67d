// JSON-RPC batches over HTTP: one POST carrying many calls. The sandbox uses it to send thousands
// of impersonated transactions in a few round trips; each answer is matched to its call by id.
import { redactUrl } from "../util/url.js";

export interface RpcCall {
  method: string;
  params?: unknown[];
}

export type RpcOutcome<T = unknown> = { ok: true; result: T } | { ok: false; error: string };

let nextBatchId = 1;

export async function rpcBatch<T = unknown>(url: string, calls: RpcCall[], timeoutMs = 120_000): Promise<RpcOutcome<T>[]> {
  if (calls.length === 0) return [];
  const firstId = nextBatchId;
  nextBatchId += calls.length;
  const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: firstId + i, method: c.method, params: c.params ?? [] }));
  const where = `a batch of ${calls.length} calls (${calls[0]!.method}, ...) to ${redactUrl(url)}`;
  let text: string;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? `0x${v.toString(16)}` : v)),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
  } catch (err) {
    throw new Error(`${where} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let answers: { id: number; result?: T; error?: { message?: string } }[];
  try {
    answers = JSON.parse(text);
    if (!Array.isArray(answers)) throw new Error("not an array");
  } catch (err) {
    throw new Error(`${where} failed: the answer is not a JSON-RPC batch: ${text.slice(0, 200)}`, { cause: err });
  }
  const byId = new Map(answers.map((a) => [a.id, a]));
  return calls.map((_, i) => {
    const answer = byId.get(firstId + i);
    if (!answer) return { ok: false, error: "no answer for this call in the batch" };
    if (answer.error) return { ok: false, error: answer.error.message ?? "unknown error" };
    return { ok: true, result: answer.result as T };
  });
}

/** Like rpcBatch, but any failed call fails the whole batch with that call's message. */
export async function rpcBatchOrThrow<T = unknown>(url: string, calls: RpcCall[]): Promise<T[]> {
  const outcomes = await rpcBatch<T>(url, calls);
  return outcomes.map((o, i) => {
    if (!o.ok) throw new Error(`${calls[i]!.method} failed: ${o.error}`);
    return o.result;
  });
}
