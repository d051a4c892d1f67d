// Waiting: one abortable sleep and one exponential backoff, shared by the daemon, the CLI and the sandbox.

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // The listener is removed when the timer fires: a long-running loop must not pile them up.
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Exponential backoff: `baseMs * 2^min(attempt, maxDoublings)`, capped at `capMs` (no jitter: callers add their own). */
export function backoffDelay(attempt: number, baseMs: number, maxDoublings: number, capMs = 30_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt, maxDoublings));
}
