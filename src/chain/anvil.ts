/**
 * Start and stop local anvil nodes (plain, or forking an RPC) for the sandbox
 * and for tests. We spawn the binary from the @foundry-rs/anvil platform
 * package directly: prool would do this, but it needs Node 22.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { EXIT_FAILURE, KeeperError } from "../errors.js";
import { redactUrl, rpc } from "./rpc.js";
import { sleep } from "../util/time.js";

export interface AnvilOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Default 31337 (anvil's own default); when forking, the fork's chain id. */
  chainId?: number;
  /** Seconds; interval mining. Default: automine. */
  blockTime?: number;
  noMining?: boolean;
  gasLimit?: bigint;
  disableBlockGasLimit?: boolean;
  /** Bytes. */
  codeSizeLimit?: number;
  baseFee?: bigint;
  accounts?: number;
  /** ETH per dev account. */
  balance?: number;
  /** Genesis timestamp (seconds). */
  timestamp?: bigint;
  forkUrl?: string;
  forkBlockNumber?: bigint;
  loadState?: string;
  dumpState?: string;
  /** Seconds between state dumps. */
  stateInterval?: number;
  /**
   * Recent block states kept (in memory) for calls at past blocks. Default 256 (`--prune-history 256`):
   * without it anvil spills every older state to ~/.foundry/anvil/tmp with no bound and does not
   * remove it when killed — a 20,000-borrower sandbox wrote tens of GB there in minutes.
   * "all" keeps anvil's default (full history, spilled to disk).
   */
  historyStates?: number | "all";
  extraArgs?: string[];
  /** Default 30_000 (forking a remote RPC can be slow). */
  startupTimeoutMs?: number;
  /** Sink for anvil's stdout/stderr lines. */
  log?: (line: string) => void;
}

export interface AnvilInstance {
  /** http://127.0.0.1:<port> */
  readonly rpcUrl: string;
  /** ws://127.0.0.1:<port> */
  readonly wsUrl: string;
  readonly port: number;
  readonly pid: number;
  /** The chain id the node answered during startup. */
  readonly chainId: number;
  /** The options it was started with, `port` filled in. */
  readonly options: AnvilOptions;
  /** Idempotent. SIGTERM, SIGKILL after 3 s; resolves once the process has exited. */
  stop(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

/** anvil could not be started; `output` holds the last lines it printed. */
export class AnvilStartError extends KeeperError {
  readonly output: readonly string[];
  /** Set when a process was spawned (it has been reaped by the time this is thrown). */
  readonly pid: number | undefined;
  /** anvil failed because the port was taken (startAnvil retries these when it picked the port). */
  readonly portInUse: boolean;

  constructor(message: string, options: { cause?: unknown; output?: readonly string[]; pid?: number } = {}) {
    const output = options.output ?? [];
    // Joined on one line so the real reason ("Address already in use", a fork error) shows up in test reporters.
    const tail = output.map((l) => l.trim()).filter((l) => l !== "");
    // Not retryable as such: startAnvil itself tries another port when it picked the one in use.
    const text = tail.length > 0 ? `${message} — anvil output: ${tail.join(" | ")}` : message;
    super(text, { exitCode: EXIT_FAILURE, retryable: false, cause: options.cause });
    this.name = "AnvilStartError";
    this.output = output;
    this.pid = options.pid;
    this.portInUse = tail.some((l) => /address already in use|error binding/i.test(l));
  }
}

const OUTPUT_TAIL_LINES = 20;
const STOP_GRACE_MS = 3_000;
const PORT_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 50;
const UNOWNED_ANSWER_GRACE_MS = 1_000;

// ---------------------------------------------------------------------------
// Binary resolution

const PLATFORM_PACKAGES: Record<string, string> = {
  "linux-x64": "@foundry-rs/anvil-linux-amd64",
  "linux-arm64": "@foundry-rs/anvil-linux-arm64",
  "darwin-x64": "@foundry-rs/anvil-darwin-amd64",
  "darwin-arm64": "@foundry-rs/anvil-darwin-arm64",
  "win32-x64": "@foundry-rs/anvil-win32-amd64",
};

let cachedBinary: string | undefined;

export function anvilBinaryPath(): string {
  if (cachedBinary) return cachedBinary;
  const target = `${process.platform}-${process.arch}`;
  const pkg = PLATFORM_PACKAGES[target];
  if (!pkg)
    throw new Error(
      `anvil: no prebuilt binary package for ${target} (@foundry-rs/anvil supports ${Object.keys(PLATFORM_PACKAGES).join(", ")})`,
    );

  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch (err) {
    // The platform package is an optionalDependency of @foundry-rs/anvil; without hoisting it sits under that package.
    try {
      const wrapper = createRequire(require.resolve("@foundry-rs/anvil/package.json"));
      pkgJson = wrapper.resolve(`${pkg}/package.json`);
    } catch {
      throw new Error(
        `anvil: package ${pkg} is not installed (it is an optional dependency of @foundry-rs/anvil; reinstall without --no-optional)`,
        { cause: err },
      );
    }
  }
  const bin = join(dirname(pkgJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(bin)) throw new Error(`anvil: ${pkg} is installed but ${bin} is missing`);
  cachedBinary = bin;
  return bin;
}

// ---------------------------------------------------------------------------
// Process tracking: children must never outlive this Node process.

const live = new Set<ChildProcess>();
/** Ports handed to live or starting instances, so two concurrent starts never pick the same one. */
const claimedPorts = new Set<number>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' covers normal exit, process.exit() and uncaught exceptions (e.g. a vitest worker shutting down).
  process.on("exit", killAllSync);
  // A signal with no listener kills Node without emitting 'exit'. Our listener only acts when it is
  // the sole one: then it kills the children and re-raises, keeping the default behaviour. If the app
  // has its own handler, that handler owns shutdown and the 'exit' hook still runs later.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killAllSync();
      process.off(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** Pids of anvil processes started by this module that are still running. */
export function runningAnvilPids(): number[] {
  return [...live].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
}

// ---------------------------------------------------------------------------
// Start / stop

async function freePort(): Promise<number> {
  for (let i = 0; i < 10; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const addr = server.address();
        const p = typeof addr === "object" && addr ? addr.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== 0 && !claimedPorts.has(port)) return port;
  }
  throw new Error("anvil: could not find a free loopback port");
}

const DEFAULT_HISTORY_STATES = 256;

function buildArgs(o: AnvilOptions, port: number): string[] {
  const args = ["--host", "127.0.0.1", "--port", String(port)];
  const opt = (flag: string, value: { toString(): string } | undefined): void => {
    if (value !== undefined) args.push(flag, value.toString());
  };
  const flag = (name: string, on: boolean | undefined): void => {
    if (on) args.push(name);
  };
  // --chain-id only when asked: when forking, anvil's default is the fork's chain id, which is what we want.
  opt("--chain-id", o.chainId);
  opt("--block-time", o.blockTime);
  flag("--no-mining", o.noMining);
  opt("--gas-limit", o.gasLimit);
  flag("--disable-block-gas-limit", o.disableBlockGasLimit);
  opt("--code-size-limit", o.codeSizeLimit);
  opt("--base-fee", o.baseFee);
  opt("--accounts", o.accounts);
  opt("--balance", o.balance);
  opt("--timestamp", o.timestamp);
  opt("--fork-url", o.forkUrl);
  opt("--fork-block-number", o.forkBlockNumber);
  opt("--load-state", o.loadState);
  opt("--dump-state", o.dumpState);
  opt("--state-interval", o.stateInterval);
  if (o.historyStates !== "all") args.push("--prune-history", String(o.historyStates ?? DEFAULT_HISTORY_STATES));
  if (o.extraArgs) args.push(...o.extraArgs);
  return args;
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  const bin = anvilBinaryPath();
  if (options.port !== undefined) return launch(bin, options, options.port);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, options, port);
    } catch (err) {
      // Another process may grab the port between our probe and anvil's bind; a fresh port fixes that.
      if (err instanceof AnvilStartError && err.portInUse && attempt < PORT_ATTEMPTS) continue;
      throw err;
    }
  }
}

export async function startForkedAnvil(forkUrl: string, options: Omit<AnvilOptions, "forkUrl"> = {}): Promise<AnvilInstance> {
  // Probe first: a clear "fork URL does not answer" beats whatever anvil prints, and costs one request.
  const timeoutMs = Math.min(options.startupTimeoutMs ?? 30_000, 15_000);
  try {
    await rpc<string>(forkUrl, "eth_chainId", [], { timeoutMs });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AnvilStartError(`anvil: fork URL ${redactUrl(forkUrl)} does not answer eth_chainId: ${reason}`, { cause: err });
  }
  return startAnvil({ ...options, forkUrl });
}

type ExitInfo = { code: number | null; signal: string | null };

async function launch(bin: string, options: AnvilOptions, port: number): Promise<AnvilInstance> {
  const timeoutMs = options.startupTimeoutMs ?? 30_000;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const forkUrl = options.forkUrl;
  // anvil prints the fork endpoint in its banner; keep API keys out of logs and error messages.
  const scrub = (line: string): string => (forkUrl ? line.split(forkUrl).join(redactUrl(forkUrl)) : line);

  const tail: string[] = [];
  let listening = false;
  const onLine = (raw: string): void => {
    const line = scrub(raw);
    if (!listening && line.includes(`Listening on 127.0.0.1:${port}`)) listening = true;
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    try {
      options.log?.(line);
    } catch {
      // A broken log sink must not take the node down with it.
    }
  };

  claimedPorts.add(port);
  installHooks();
  const child = spawn(bin, buildArgs(options, port), { stdio: ["ignore", "pipe", "pipe"], detached: false, windowsHide: true });
  // Without a listener, a failed kill() or spawn would be an uncaught 'error' event.
  const spawnFailed = new Promise<Error>((resolve) => child.on("error", resolve));
  const spawned = await Promise.race([new Promise<true>((resolve) => child.once("spawn", () => resolve(true))), spawnFailed]);
  if (spawned !== true) {
    claimedPorts.delete(port);
    throw new AnvilStartError(`anvil: could not spawn ${bin}: ${spawned.message}`, { cause: spawned });
  }
  const pid = child.pid as number; // defined once 'spawn' fired
  live.add(child);

  const stdoutLines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  const stderrLines = createInterface({ input: child.stderr!, crlfDelay: Infinity });
  stdoutLines.on("line", onLine);
  stderrLines.on("line", onLine);

  let exitInfo: ExitInfo | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      claimedPorts.delete(port);
      clearTimeout(killTimer);
      // 'close' follows once stdio drained, so the output tail is complete; don't wait forever for it.
      const fallback = setTimeout(finish, 1_000);
      child.once("close", finish);
      function finish(): void {
        clearTimeout(fallback);
        // Destroyed pipes can't keep the event loop alive after the process is gone.
        stdoutLines.close();
        stderrLines.close();
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code, signal });
      }
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo) {
        child.kill("SIGTERM"); // lets anvil write --dump-state
        killTimer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      }
      await exited;
    })();
    return stopping;
  };

  const describeExit = (e: ExitInfo): string => (e.signal ? `signal ${e.signal}` : `code ${e.code}`);
  const exitedFirst = exited.then((e) => ({ exited: e }) as const);

  // An answer on the port does not prove it is *our* anvil: when the port is taken, the other server
  // answers while ours is about to die with "Address already in use". anvil prints "Listening on" only
  // after binding, so that line is the proof. Fallback if the line never comes (e.g. --silent in
  // extraArgs): our process survived a grace period after the first answer (bind errors exit at once).
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let firstAnswerAt: number | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await stop();
      const reason = lastError instanceof Error ? `; last probe: ${lastError.message}` : "";
      throw new AnvilStartError(`anvil on port ${port} did not answer eth_chainId within ${timeoutMs} ms${reason}`, {
        cause: lastError,
        output: tail,
        pid,
      });
    }
    const probe = rpc<string>(rpcUrl, "eth_chainId", [], { timeoutMs: Math.min(remaining, 2_000) }).then(
      (chainId) => ({ chainId }) as const,
      (error: unknown) => ({ error }) as const,
    );
    const outcome = await Promise.race([probe, exitedFirst]);
    if ("exited" in outcome) {
      throw new AnvilStartError(`anvil exited with ${describeExit(outcome.exited)} before it was ready`, { output: tail, pid });
    }
    if ("chainId" in outcome) firstAnswerAt ??= Date.now();
    const owned = listening || (firstAnswerAt !== undefined && Date.now() - firstAnswerAt >= UNOWNED_ANSWER_GRACE_MS);
    if ("chainId" in outcome && owned && !exitInfo) {
      return Object.freeze({
        rpcUrl,
        wsUrl: `ws://127.0.0.1:${port}`,
        port,
        pid,
        chainId: Number(outcome.chainId),
        options: Object.freeze({ ...options, port }),
        stop,
        exited,
      });
    }
    if ("error" in outcome) lastError = outcome.error;
    await Promise.race([sleep(POLL_INTERVAL_MS), exited]);
  }
}
