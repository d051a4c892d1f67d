// Runs `keeper` as a child process the way an operator does (bin/keeper.js, environment variables
// only) and collects its JSON log lines, so tests can wait for what it says.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { Address } from "viem";
import type { MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { SANDBOX_KEEPER_KEY } from "../../src/sandbox/keeperWallet.js";

export const REPO_ROOT = join(import.meta.dirname, "../..");
export const KEEPER_BIN = join(REPO_ROOT, "bin/keeper.js");

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface KeeperProcess {
  child: ChildProcess;
  lines: LogLine[];
  /** everything it printed that was not a JSON log line */
  text: string[];
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** sends the signal and resolves with the exit code */
  stop(signal: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) signal(child, "SIGKILL");
});

/**
 * Under npx the keeper is a grandchild (npm → sh → node), and a signal to npm does not reach it
 * (sh does not pass it on): npx's children run in their own process group, which gets the signal.
 */
function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.spawnargs[0] === "npx" && child.pid !== undefined) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

export interface StartOptions {
  /** "npx": `npx keeper ...` from the repository, as the README says (npm's start-up included); default `node bin/keeper.js` */
  via?: "node" | "npx";
  /** working directory (default the repository): where a `.keeper/sandbox.json` is looked for when RPC_URL is unset */
  cwd?: string;
}

export function startKeeper(args: string[], env: Record<string, string>, options: StartOptions = {}): KeeperProcess {
  const [command, commandArgs] = options.via === "npx" ? ["npx", ["keeper", ...args]] : [process.execPath, [KEEPER_BIN, ...args]];
  const child = spawn(command, commandArgs, {
    // Only what the test gives (plus PATH, and HOME for npm's cache): the keeper must not pick up this machine's settings.
    env: { PATH: process.env.PATH ?? "", ...(options.via === "npx" && { HOME: process.env.HOME ?? "" }), ...env },
    cwd: options.cwd ?? REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.via === "npx",
  });
  running.add(child);
  const lines: LogLine[] = [];
  const text: string[] = [];
  const waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  // "close": every process holding the pipes is gone (under npx, the keeper after npm).
  const exited = new Promise<number | null>((resolve) =>
    child.on(options.via === "npx" ? "close" : "exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let buffer = "";
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
      const raw = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      let line: LogLine | undefined;
      try {
        const parsed = JSON.parse(raw);
        if (parsed && typeof parsed === "object" && "msg" in parsed) line = parsed as LogLine;
      } catch {
        // not a log line
      }
      if (!line) {
        text.push(raw);
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  return {
    child,
    lines,
    text,
    exited,
    waitFor(predicate, timeoutMs, what) {
      const seen = lines.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `keeper did not log ${what} within ${timeoutMs} ms; last lines:\n${[...lines.slice(-15).map((l) => JSON.stringify(l)), ...text.slice(-10)].join("\n")}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `keeper exited (${code}) before logging ${what}; last lines:\n${[...lines.slice(-15).map((l) => JSON.stringify(l)), ...text.slice(-10)].join("\n")}`,
            ),
          );
        });
      });
    },
    async stop(sig) {
      if (running.has(child)) signal(child, sig);
      return exited;
    },
  };
}

/**
 * The settings of `keeper run` at a sandbox market by RPC_URL alone (no sandbox file, as at an unknown
 * market of another chain): the sandbox keeper's key, its Liquidator, the sandbox's Uniswap V3.
 */
export function liquidatorRunEnv(market: MarketDeployment, liquidator: Address, stateDir: string): Record<string, string> {
  const uniswap = market.uniswap!;
  return {
    RPC_URL: market.rpcUrl,
    POOL_ADDRESSES_PROVIDER: market.addressesProvider,
    START_BLOCK: String(market.deploymentBlock),
    PRIVATE_KEY: SANDBOX_KEEPER_KEY,
    STATE_DIR: stateDir,
    LIQUIDATOR_ADDRESS: liquidator,
    UNISWAP_V3_FACTORY: uniswap.factory,
    UNISWAP_V3_ROUTER: uniswap.swapRouter,
    UNISWAP_V3_QUOTER: uniswap.quoterV2,
    WRAPPED_NATIVE_TOKEN: market.assets.find((a) => a.symbol === "WETH")!.address,
  };
}

/** The keeper's log lines that mention `user`, one JSON per line: what a failing test prints about an account. */
export function linesAbout(keeper: KeeperProcess, user: string): string {
  const key = user.slice(2).toLowerCase();
  return keeper.lines
    .filter((l) => JSON.stringify(l).toLowerCase().includes(key))
    .map((l) => JSON.stringify(l))
    .join("\n");
}
