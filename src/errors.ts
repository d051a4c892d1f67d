// The one base of every error keeper throws on purpose. It carries what a caller decides with, so no
// caller lists error classes: the exit code a command ends with (src/cli/exit.ts maps any error to an
// exit, in one place) and whether trying the same work again later may succeed (the daemon's retry
// loop, its start-up). Anything else that is thrown (viem's errors, a bug) is not a KeeperError: the
// daemon treats it as transient, a command exits 1 with one line.

/** Exit codes of every keeper command; the README's table lists them. */
export const EXIT_OK = 0;
/** Failed at run time: an RPC or node error a command does not retry, an unexpected error, a second signal. */
export const EXIT_FAILURE = 1;
/** Input the operator must fix before running again: a setting, an option, STATE_DIR, the market. */
export const EXIT_BAD_INPUT = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILURE | typeof EXIT_BAD_INPUT;

export interface KeeperErrorOptions {
  exitCode: ExitCode;
  /** true when the same work, tried again later, may succeed (the node may answer, the state may change) */
  retryable: boolean;
  cause?: unknown;
}

export class KeeperError extends Error {
  readonly exitCode: ExitCode;
  readonly retryable: boolean;

  constructor(message: string, options: KeeperErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode;
    this.retryable = options.retryable;
  }
}

/** Whether to try again: a KeeperError says; anything else (a viem or transport error) counts as transient. */
export function isRetryable(err: unknown): boolean {
  return err instanceof KeeperError ? err.retryable : true;
}

/** An error's first line, for a log field (viem's shortMessage when there is one). */
export function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}
