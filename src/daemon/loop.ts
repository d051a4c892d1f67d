// The daemon's loop: one tick per poll interval, or sooner when WS_URL announces a head; a transient
// error is logged once per incident and retried with backoff, any other ends the loop (thrown).
import type { NewHeads } from "../chain/newHeads.js";
import { firstLine, isRetryable } from "../errors.js";
import type { Logger } from "../logging.js";
import { backoffDelay, sleep } from "../util/time.js";

export interface LoopOptions {
  /** one step; its errors decide the loop's fate */
  tick: () => Promise<unknown>;
  pollIntervalMs: number;
  newHeads?: NewHeads;
  log: Logger;
}

/** Runs `tick` until `signal` aborts. */
export async function runLoop(o: LoopOptions, signal: AbortSignal): Promise<void> {
  let wake: (() => void) | undefined;
  let wsFailing = false;
  const unwatch = o.newHeads?.watch(
    () => {
      if (wsFailing) o.log.info("WS_URL delivers new heads again");
      wsFailing = false;
      wake?.();
    },
    (err) => {
      if (!wsFailing) o.log.warn({ err: firstLine(err) }, "WS_URL subscription failed: polling meanwhile");
      wsFailing = true;
    },
  );
  if (o.newHeads) o.log.info({ ws: o.newHeads.label }, "following new heads over WS_URL");
  // Waits for the poll interval, or less when a new head is announced.
  const nap = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, o.pollIntervalMs);
      wake = done;
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  let failures = 0;
  try {
    while (!signal.aborted) {
      try {
        await o.tick();
        if (failures > 0) o.log.info({ after: failures }, "RPC answers again: resumed");
        failures = 0;
        await nap();
      } catch (err) {
        if (!isRetryable(err)) {
          // A retry cannot fix it (the pool upgraded to an unsupported version, ...): the daemon stops, and the
          // CLI ends the process with the error's exit code and line (src/cli/exit.ts).
          o.log.error({ err: firstLine(err) }, "stopping: an error a retry cannot fix");
          throw err;
        }
        failures++;
        const delay = backoffDelay(failures, 500, 6) * (0.8 + Math.random() * 0.4);
        if (failures === 1) o.log.warn({ err: firstLine(err) }, "RPC error: backing off and retrying");
        else o.log.debug({ err: firstLine(err), failures }, "still failing");
        await sleep(delay, signal);
      }
    }
  } finally {
    unwatch?.();
  }
}
