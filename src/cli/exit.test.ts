import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HttpRequestError } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { AnvilStartError } from "../chain/anvil.js";
import { RpcError } from "../chain/rpc.js";
import { ConfigError, stackTracesWanted } from "../config/index.js";
import { isRetryable, KeeperError } from "../errors.js";
import { InsufficientFundsError, NonceTooLowError, TransportError } from "../executor/nodeErrors.js";
import { UnsupportedPoolRevisionError } from "../risk/rules.js";
import { MathRevertError } from "../risk/wadRayMath.js";
import { CheckpointError } from "../watcher/checkpoint.js";
import { MarketDiscoveryError } from "../watcher/marketReader.js";
import { errorExit } from "./exit.js";
import { UsageError } from "./usage.js";

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("did not throw");
}

describe("errorExit: every kind of error to its exit code and line", () => {
  // [kind, error, exit code, the whole of stderr]
  const cases: [string, unknown, number, string][] = [
    [
      "an unknown command",
      new UsageError('unknown command "rn" (commands: run, ...)'),
      2,
      'keeper: unknown command "rn" (commands: run, ...)',
    ],
    ["a bad setting", new ConfigError("MAX_FEE_GWEI", '"lots" is not a number'), 2, 'keeper: MAX_FEE_GWEI: "lots" is not a number'],
    [
      "an RPC_URL not answering (retryable, still input)",
      new ConfigError("RPC_URL", "http://x does not answer", { retryable: true }),
      2,
      "keeper: RPC_URL: http://x does not answer",
    ],
    [
      "a foreign checkpoint, with its cause",
      new CheckpointError("STATE_DIR: /s/checkpoint.json is not a keeper checkpoint", {
        cause: new SyntaxError("Unexpected token } in JSON\n  at position 3"),
      }),
      2,
      "keeper: STATE_DIR: /s/checkpoint.json is not a keeper checkpoint: Unexpected token } in JSON",
    ],
    [
      "not a market",
      new MarketDiscoveryError("POOL_ADDRESSES_PROVIDER: no contract at 0xdead on this chain"),
      2,
      "keeper: POOL_ADDRESSES_PROVIDER: no contract at 0xdead on this chain",
    ],
    [
      "an Aave version without rules",
      new UnsupportedPoolRevisionError(11),
      2,
      "keeper: the pool runs Aave V3.7 (POOL_REVISION 11), which keeper does not support; " +
        "supported revisions: 1 (Aave V3.0), 10 (Aave V3.6)",
    ],
    [
      "parseArgs refusing a flag",
      thrownBy(() => parseArgs({ args: ["--nope"], options: {}, strict: true })),
      2,
      "keeper: Unknown option '--nope'",
    ],
    [
      "a node's JSON-RPC error",
      new RpcError("eth_call on http://x failed: boom (code -32000)", "eth_call", -32000),
      1,
      "keeper: eth_call on http://x failed: boom (code -32000)",
    ],
    [
      "a refused transaction",
      new InsufficientFundsError("insufficient funds for gas * price + value"),
      1,
      "keeper: insufficient funds for gas * price + value",
    ],
    [
      "a contract revert the model found",
      new MathRevertError("rayDiv", "division by zero"),
      1,
      "keeper: rayDiv: division by zero (the contract reverts here)",
    ],
    [
      "anvil not starting",
      new AnvilStartError("anvil exited with code 1 before it was ready", { output: ["Error: bad fork", ""] }),
      1,
      "keeper: anvil exited with code 1 before it was ready — anvil output: Error: bad fork",
    ],
    [
      "a viem error: its short message",
      new HttpRequestError({ url: "http://127.0.0.1:9", details: "fetch failed" }),
      1,
      "keeper: HTTP request failed.",
    ],
    [
      "an unexpected error: its first line and its causes'",
      new Error("sync failed\nmore", { cause: new Error("ECONNRESET") }),
      1,
      "keeper: sync failed: ECONNRESET",
    ],
    ["something thrown that is not an Error", "boom", 1, "keeper: boom"],
  ];

  it.each(cases)("%s", (_kind, err, code, text) => {
    expect(errorExit(err, false)).toEqual({ code, text });
  });

  it("a KeeperError never shows a stack trace, even when stack traces are wanted", () => {
    for (const [, err] of cases.filter(([, e]) => e instanceof KeeperError)) {
      const { text } = errorExit(err, true);
      expect(text.split("\n")).toHaveLength(1);
    }
  });

  it("an unexpected error shows its stack after the line only when stack traces are wanted", () => {
    const err = new TypeError("cannot read properties of undefined (reading 'pool')");
    expect(errorExit(err, false)).toEqual({ code: 1, text: "keeper: cannot read properties of undefined (reading 'pool')" });
    const withStack = errorExit(err, true);
    expect(withStack.code).toBe(1);
    const [line, ...stack] = withStack.text.split("\n");
    expect(line).toBe("keeper: cannot read properties of undefined (reading 'pool')");
    expect(stack[0]).toBe("TypeError: cannot read properties of undefined (reading 'pool')");
    expect(stack[1]).toMatch(/^\s+at .*exit\.test\.ts/);
  });
});

describe("retryable", () => {
  it("bad input is never retried; a node's answer, a transport failure and a model revert may be", () => {
    expect(new ConfigError("CHAIN_ID", "is 1 but the node is on chain 31337").retryable).toBe(false);
    expect(new ConfigError("RPC_URL", "does not answer", { retryable: true }).retryable).toBe(true);
    expect(new UsageError("--limit must be a whole number").retryable).toBe(false);
    expect(new CheckpointError("STATE_DIR: another chain").retryable).toBe(false);
    expect(new MarketDiscoveryError("POOL_ADDRESSES_PROVIDER: has no pool set").retryable).toBe(false);
    expect(new UnsupportedPoolRevisionError(7).retryable).toBe(false);
    expect(new RpcError("m failed", "m", -32000).retryable).toBe(true);
    expect(new TransportError("fetch failed").retryable).toBe(true);
    expect(new NonceTooLowError("nonce too low").retryable).toBe(false);
    expect(new MathRevertError("wadMul", "uint256 overflow").retryable).toBe(true);
    expect(new AnvilStartError("anvil: could not spawn").retryable).toBe(false);
  });

  it("isRetryable: a KeeperError's flag; anything else (viem, transport, a bug) counts as transient", () => {
    expect(isRetryable(new UnsupportedPoolRevisionError(11))).toBe(false);
    expect(isRetryable(new RpcError("m failed", "m", -32000))).toBe(true);
    expect(isRetryable(new HttpRequestError({ url: "http://127.0.0.1:9" }))).toBe(true);
    expect(isRetryable(new Error("the node returned a pending block as latest"))).toBe(true);
    expect(isRetryable("a string")).toBe(true);
  });
});

describe("stackTracesWanted: LOG_LEVEL debug or trace, from the environment or .env, never failing", () => {
  const dir = mkdtempSync(join(tmpdir(), "keeper-exit-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const none = join(dir, "missing.env");

  it("from the environment", () => {
    expect(stackTracesWanted({ LOG_LEVEL: "debug" }, none)).toBe(true);
    expect(stackTracesWanted({ LOG_LEVEL: "TRACE" }, none)).toBe(true);
    expect(stackTracesWanted({ LOG_LEVEL: "info" }, none)).toBe(false);
    expect(stackTracesWanted({ LOG_LEVEL: "loud" }, none)).toBe(false);
    expect(stackTracesWanted({}, none)).toBe(false);
  });

  it("from .env when the environment has none (the environment wins)", () => {
    const file = join(dir, ".env");
    writeFileSync(file, "LOG_LEVEL=debug\n");
    expect(stackTracesWanted({}, file)).toBe(true);
    expect(stackTracesWanted({ LOG_LEVEL: "" }, file)).toBe(true);
    expect(stackTracesWanted({ LOG_LEVEL: "warn" }, file)).toBe(false);
  });

  it("an unreadable .env is no stack trace, not a second error", () => {
    expect(stackTracesWanted({}, dir)).toBe(false); // a directory: EISDIR
  });
});
