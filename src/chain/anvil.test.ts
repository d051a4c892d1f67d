import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { useAnvil } from "../../test/helpers/anvil.js";
import {
  AnvilStartError,
  anvilBinaryPath,
  runningAnvilPids,
  startAnvil,
  startForkedAnvil,
  type AnvilInstance,
  type AnvilOptions,
} from "./anvil.js";
import { rpc, RpcError } from "./rpc.js";

const ETH = 10n ** 18n;
const WHO = "0x00000000000000000000000000000000000beef0";
const hex = (n: bigint): string => `0x${n.toString(16)}`;

// Every instance a test starts is stopped after it, pass or fail.
const started: AnvilInstance[] = [];
async function start(options?: AnvilOptions): Promise<AnvilInstance> {
  const anvil = await startAnvil(options);
  started.push(anvil);
  return anvil;
}
async function startFork(url: string, options?: Omit<AnvilOptions, "forkUrl">): Promise<AnvilInstance> {
  const anvil = await startForkedAnvil(url, options);
  started.push(anvil);
  return anvil;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((a) => a.stop()));
});

/** Our own children are reaped by Node, so a dead one is ESRCH. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** Orphans (parent already exited) may linger as zombies until init reaps them: count those as dead. */
async function waitGone(pid: number, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    let zombie = false;
    try {
      zombie = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
    } catch {
      // no /proc entry
    }
    if (!isAlive(pid) || zombie) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("startAnvil", () => {
  it("resolves the platform binary", () => {
    expect(anvilBinaryPath()).toMatch(/@foundry-rs[\\/]anvil-[a-z0-9]+-[a-z0-9]+[\\/]bin[\\/]anvil/);
  });

  it("starts on a free loopback port and answers chainId 31337", async () => {
    const anvil = await start();
    expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`);
    expect(anvil.wsUrl).toBe(`ws://127.0.0.1:${anvil.port}`);
    expect(anvil.chainId).toBe(31337);
    expect(await rpc<string>(anvil.rpcUrl, "eth_chainId")).toBe("0x7a69");
    expect(anvil.options.port).toBe(anvil.port);
    expect(runningAnvilPids()).toContain(anvil.pid);
  });

  it("gives two concurrent instances different ports", async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.port).not.toBe(b.port);
    expect(a.pid).not.toBe(b.pid);
    await rpc(a.rpcUrl, "anvil_setBalance", [WHO, hex(7n)]);
    // Separate chains: b does not see a's state.
    expect(BigInt(await rpc<string>(a.rpcUrl, "eth_getBalance", [WHO, "latest"]))).toBe(7n);
    expect(BigInt(await rpc<string>(b.rpcUrl, "eth_getBalance", [WHO, "latest"]))).toBe(0n);
  });

  it("passes options through as flags", async () => {
    const lines: string[] = [];
    const anvil = await start({
      chainId: 1337,
      accounts: 2,
      balance: 5,
      timestamp: 1_700_000_000n,
      noMining: true,
      log: (l) => lines.push(l),
    });
    expect(anvil.chainId).toBe(1337);
    const accounts = await rpc<string[]>(anvil.rpcUrl, "eth_accounts");
    expect(accounts).toHaveLength(2);
    expect(BigInt(await rpc<string>(anvil.rpcUrl, "eth_getBalance", [accounts[0], "latest"]))).toBe(5n * ETH);
    const genesis = await rpc<{ timestamp: string }>(anvil.rpcUrl, "eth_getBlockByNumber", ["0x0", false]);
    expect(BigInt(genesis.timestamp)).toBe(1_700_000_000n);
    expect(lines.some((l) => l.includes(`Listening on 127.0.0.1:${anvil.port}`))).toBe(true);
  });

  it("still becomes ready when anvil prints nothing (--silent)", async () => {
    const anvil = await start({ extraArgs: ["--silent"] });
    expect(await rpc<string>(anvil.rpcUrl, "eth_chainId")).toBe("0x7a69");
  });

  it("stop() kills the process, resolves after exit and is idempotent", async () => {
    const anvil = await start();
    expect(isAlive(anvil.pid)).toBe(true);
    await Promise.all([anvil.stop(), anvil.stop()]);
    expect(() => process.kill(anvil.pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
    await anvil.stop();
    const exit = await anvil.exited;
    expect(exit.code !== null || exit.signal !== null).toBe(true);
    expect(runningAnvilPids()).not.toContain(anvil.pid);
  });

  it("rejects with the bind error when an explicit port is taken", async () => {
    const first = await start();
    const err = await startAnvil({ port: first.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnvilStartError);
    const startError = err as AnvilStartError;
    expect(startError.message).toMatch(/Address already in use/);
    expect(startError.portInUse).toBe(true);
    expect(startError.pid).toBeDefined();
    expect(isAlive(startError.pid!)).toBe(false);
  });

  it("surfaces RPC errors with the node's message", async () => {
    const anvil = await start();
    const err = await rpc(anvil.rpcUrl, "no_such_method").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toMatch(/^no_such_method on http:\/\/127\.0\.0\.1:\d+ failed: .+/);
  });
});

describe("forking", () => {
  it("forks another anvil and reads its state, latest and at a pinned block", async () => {
    const source = await start();
    // anvil_setBalance rewrites the state of the current head block, so pin the head it was set on
    // and mine past it before changing the balance again.
    await rpc(source.rpcUrl, "anvil_setBalance", [WHO, hex(1n * ETH)]);
    const pinned = BigInt(await rpc<string>(source.rpcUrl, "eth_blockNumber"));
    await rpc(source.rpcUrl, "anvil_mine", ["0x1"]);
    await rpc(source.rpcUrl, "anvil_setBalance", [WHO, hex(2n * ETH)]);
    await rpc(source.rpcUrl, "anvil_mine", ["0x1"]);

    const [latest, old] = await Promise.all([startFork(source.rpcUrl), startFork(source.rpcUrl, { forkBlockNumber: pinned })]);
    expect(latest.chainId).toBe(31337);
    expect(BigInt(await rpc<string>(latest.rpcUrl, "eth_getBalance", [WHO, "latest"]))).toBe(2n * ETH);
    expect(BigInt(await rpc<string>(old.rpcUrl, "eth_getBalance", [WHO, "latest"]))).toBe(1n * ETH);
    expect(BigInt(await rpc<string>(old.rpcUrl, "eth_blockNumber"))).toBe(pinned);
  });

  it("rejects a dead fork URL quickly without spawning anything", async () => {
    const before = runningAnvilPids();
    const t0 = Date.now();
    const err = await startForkedAnvil("http://127.0.0.1:1", { startupTimeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnvilStartError);
    expect((err as Error).message).toMatch(/fork URL http:\/\/127\.0\.0\.1:1 does not answer eth_chainId/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(runningAnvilPids()).toEqual(before);
  });

  it("reports anvil's own fork error and leaves no process behind", async () => {
    // Straight to startAnvil, so anvil itself hits the dead URL and exits.
    const err = await startAnvil({ forkUrl: "http://127.0.0.1:1", startupTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnvilStartError);
    const startError = err as AnvilStartError;
    expect(startError.message).toMatch(/exited with code \d+ before it was ready.*fork/i);
    expect(startError.portInUse).toBe(false);
    expect(isAlive(startError.pid!)).toBe(false);
  });

  it("kills anvil and rejects when startup times out", async () => {
    // A fork endpoint that accepts connections and never answers keeps anvil from ever listening.
    const sockets = new Set<Socket>();
    const blackHole = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => blackHole.listen(0, "127.0.0.1", r));
    const { port } = blackHole.address() as { port: number };
    try {
      const t0 = Date.now();
      const err = await startAnvil({ forkUrl: `http://127.0.0.1:${port}/secret-key`, startupTimeoutMs: 1_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AnvilStartError);
      const startError = err as AnvilStartError;
      expect(startError.message).toMatch(/did not answer eth_chainId within 1000 ms/);
      expect(startError.message).not.toContain("secret-key");
      expect(isAlive(startError.pid!)).toBe(false);
      expect(Date.now() - t0).toBeLessThan(1_000 + 3_000 + 1_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackHole.close(r));
    }
  });

  it.skipIf(!process.env.FORK_URL)("forks FORK_URL (set FORK_URL to run; skipped: not set)", async () => {
    const anvil = await startFork(process.env.FORK_URL!, { startupTimeoutMs: 60_000 });
    const block = BigInt(await rpc<string>(anvil.rpcUrl, "eth_blockNumber"));
    expect(block).toBeGreaterThan(0n);
  });
});

describe("useAnvil (test helper)", () => {
  let fromPreviousTest: number | undefined;

  it("starts an instance scoped to the test", async () => {
    const anvil = await useAnvil();
    fromPreviousTest = anvil.pid;
    expect(await rpc<string>(anvil.rpcUrl, "eth_chainId")).toBe("0x7a69");
  });

  it("has stopped it once that test finished", () => {
    expect(fromPreviousTest).toBeDefined();
    expect(isAlive(fromPreviousTest!)).toBe(false);
  });
});

describe("children never outlive Node", () => {
  const anvilModule = fileURLToPath(new URL("./anvil.ts", import.meta.url));

  /** Runs a Node child that starts anvil, prints its pid, then does `then`. */
  async function orphanScenario(then: string, signal?: NodeJS.Signals): Promise<number> {
    const script = `
      import { startAnvil } from ${JSON.stringify(anvilModule)};
      const a = await startAnvil();
      console.log("PID " + a.pid);
      ${then}
    `;
    const node = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      const pid = await new Promise<number>((resolve, reject) => {
        node.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /PID (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        node.stderr.on("data", (d: Buffer) => (out += d.toString()));
        node.once("exit", () => setTimeout(() => reject(new Error(`node exited before printing a pid: ${out}`)), 100));
      });
      if (signal) node.kill(signal);
      await new Promise((r) => (node.exitCode !== null || node.signalCode !== null ? r(null) : node.once("exit", r)));
      return pid;
    } finally {
      node.kill("SIGKILL");
    }
  }

  async function expectGone(pid: number): Promise<void> {
    const gone = await waitGone(pid);
    if (!gone) process.kill(pid, "SIGKILL"); // don't leak it even when the assertion fails
    expect(gone).toBe(true);
  }

  it("kills anvil when Node exits without stopping it", async () => {
    await expectGone(await orphanScenario("process.exit(0);"));
  });

  it("kills anvil on an uncaught exception", async () => {
    await expectGone(await orphanScenario("throw new Error('boom');"));
  });

  it("kills anvil when Node gets SIGTERM and has no handler of its own", async () => {
    await expectGone(await orphanScenario("setInterval(() => {}, 1000);", "SIGTERM"));
  });
});
