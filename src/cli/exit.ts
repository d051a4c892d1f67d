// How keeper's commands end: the one place that turns an error into an exit code and what stderr
// shows, and the one way the process exits.
import { EXIT_BAD_INPUT, EXIT_FAILURE, KeeperError, type ExitCode } from "../errors.js";

export interface ErrorExit {
  code: ExitCode;
  /** what goes to stderr: one line, the stack trace after it only for an unexpected error when asked for */
  text: string;
}

/**
 * A KeeperError carries its exit code and is told in one line, never with a stack trace (its message is
 * meant for the operator). Node's parseArgs rejects unknown or malformed flags (ERR_PARSE_ARGS_*): bad
 * input too. Anything else is unexpected: exit 1, one line, and its stack when `withStack` (LOG_LEVEL=debug).
 */
export function errorExit(err: unknown, withStack: boolean): ErrorExit {
  const line = `keeper: ${describeError(err)}`;
  if (err instanceof KeeperError) return { code: err.exitCode, text: line };
  if ((err as { code?: unknown } | undefined)?.code?.toString().startsWith("ERR_PARSE_ARGS")) return { code: EXIT_BAD_INPUT, text: line };
  const stack = withStack && err instanceof Error && err.stack !== undefined ? `\n${err.stack}` : "";
  return { code: EXIT_FAILURE, text: line + stack };
}

/** The error and its causes on one line: what an operator needs, without a stack trace. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e !== undefined && parts.length < 4; e = e instanceof Error ? e.cause : undefined) {
    const message = e instanceof Error ? ((e as { shortMessage?: string }).shortMessage ?? e.message) : String(e);
    const first = message.split("\n")[0]!;
    if (!parts.some((p) => p.includes(first))) parts.push(first);
  }
  return parts.join(": ");
}

/** Ends the process on `err`: its line (see errorExit) on stderr, its exit code. */
export async function exitOnError(err: unknown): Promise<never> {
  // The settings are loaded only on this path: a command that succeeds never pays for them here.
  const withStack =
    !(err instanceof KeeperError) &&
    (await import("../config/index.js").then(
      (c) => c.stackTracesWanted(),
      () => false,
    ));
  const { code, text } = errorExit(err, withStack);
  console.error(text);
  return exitAfterOutput(code);
}

// The one way keeper's commands end the process. process.exit() drops whatever stdout and stderr
// still hold when they are pipes (Node writes to pipes asynchronously): `keeper scan --json --all |
// jq` was cut mid-JSON. Exiting once both streams have handed everything to the OS keeps output whole.
export async function exitAfterOutput(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves when everything written to `stream` so far has been written out (writes complete in order). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    // A reader that went away (EPIPE) also ends the wait: there is nobody left to write to.
    stream.write("", () => resolve());
  });
}
