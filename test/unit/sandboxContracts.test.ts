import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  decodeEventLog,
  defineChain,
  encodeFunctionData,
  http,
  numberToHex,
  pad,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { multicall3Abi, multicall3DeployedBytecode } from "../../contracts-abi/sandbox/Multicall3.js";
import { sandboxPriceFeedAbi, sandboxPriceFeedBytecode } from "../../contracts-abi/sandbox/SandboxPriceFeed.js";
import { REPO_ROOT, SOLC_VERSION, checkContracts, compileContracts } from "../../scripts/compile-contracts.js";

describe("generated sandbox contract artifacts", () => {
  it("match a fresh compile (run `npx tsx scripts/compile-contracts.ts` if this fails)", () => {
    const generated = compileContracts();
    expect(generated.map((g) => g.path)).toEqual([
      "contracts-abi/liquidator/Liquidator.ts",
      "contracts-abi/sandbox/Multicall3.ts",
      "contracts-abi/sandbox/SandboxPriceFeed.ts",
    ]);
    for (const g of generated) {
      const onDisk = path.join(REPO_ROOT, g.path);
      expect(existsSync(onDisk), `${g.path} missing`).toBe(true);
      // Compare as a boolean first so a stale file yields a short message, not a 20 kB diff.
      expect(readFileSync(onDisk, "utf8") === g.text, `${g.path} is stale`).toBe(true);
      expect(g.text).toContain(`with solc ${SOLC_VERSION}; do not edit.`);
    }
  });

  it("leaves no orphaned generated files (the script's --check view)", () => {
    expect(checkContracts()).toEqual([]);
  });

  it("compiles deterministically", () => {
    expect(compileContracts()).toEqual(compileContracts());
  });
});

const ANVIL_BIN = path.join(REPO_ROOT, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80" as const;
const OTHER_ACCOUNT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const; // anvil dev account #1
const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11" as const;
const ANSWER_UPDATED_TOPIC = "0x0559884fd3a460db3073b7fc896cc77986f16e378210ded43186175bf646fc5f";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForRpc(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`anvil exited early with code ${proc.exitCode}`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`anvil did not answer eth_chainId within ${timeoutMs} ms`);
}

async function stopAnvil(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

function revertReason(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError ? revert.reason : undefined;
}

describe.skipIf(!existsSync(ANVIL_BIN))("sandbox contracts on anvil", () => {
  let anvil: ChildProcess | undefined;
  const killOnExit = () => anvil?.kill("SIGKILL");
  let url = "";

  const chain = defineChain({
    id: 31_337,
    name: "Anvil",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: ["http://127.0.0.1"] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
  });
  const account = privateKeyToAccount(DEV_KEY);
  const clients = () => {
    const transport = http(url);
    return {
      pub: createPublicClient({ chain, transport }),
      wallet: createWalletClient({ chain, transport, account }),
      test: createTestClient({ chain, transport, mode: "anvil" }),
    };
  };

  beforeAll(async () => {
    process.once("exit", killOnExit);
    try {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      anvil = spawn(ANVIL_BIN, ["--port", String(port), "--host", "127.0.0.1", "--silent"], {
        stdio: "ignore",
      });
      await waitForRpc(url, anvil, 30_000);
    } catch (err) {
      await stopAnvil(anvil);
      throw err;
    }
  });

  afterAll(async () => {
    await stopAnvil(anvil);
    process.off("exit", killOnExit);
  });

  let feed: Address;

  it("SandboxPriceFeed behaves like a Chainlink aggregator", async () => {
    const { pub, wallet } = clients();
    const initial = 2_000n * 10n ** 8n;
    const deployHash = await wallet.deployContract({
      abi: sandboxPriceFeedAbi,
      bytecode: sandboxPriceFeedBytecode,
      args: [initial, "ETH / USD"],
    });
    const deployReceipt = await pub.waitForTransactionReceipt({ hash: deployHash });
    expect(deployReceipt.status).toBe("success");
    feed = deployReceipt.contractAddress!;
    const read = { address: feed, abi: sandboxPriceFeedAbi } as const;

    // Round 1 is recorded (and announced) at construction.
    expect(deployReceipt.logs.some((l) => l.topics[0] === ANSWER_UPDATED_TOPIC)).toBe(true);
    expect(await pub.readContract({ ...read, functionName: "decimals" })).toBe(8);
    expect(await pub.readContract({ ...read, functionName: "description" })).toBe("ETH / USD");
    expect(await pub.readContract({ ...read, functionName: "latestRound" })).toBe(1n);
    expect(await pub.readContract({ ...read, functionName: "latestAnswer" })).toBe(initial);

    const next = 1_850n * 10n ** 8n + 12_345_678n;
    const { request } = await pub.simulateContract({ ...read, account, functionName: "setAnswer", args: [next] });
    const receipt = await pub.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
    expect(receipt.status).toBe("success");
    const block = await pub.getBlock({ blockNumber: receipt.blockNumber });

    const raw = receipt.logs.find((l) => l.topics[0] === ANSWER_UPDATED_TOPIC);
    expect(raw).toBeDefined();
    expect(raw!.address.toLowerCase()).toBe(feed.toLowerCase());
    expect(raw!.topics[1]).toBe(pad(numberToHex(next), { size: 32 }));
    expect(raw!.topics[2]).toBe(pad(numberToHex(2n), { size: 32 }));
    const decoded = decodeEventLog({ abi: sandboxPriceFeedAbi, data: raw!.data, topics: raw!.topics });
    expect(decoded.eventName).toBe("AnswerUpdated");
    expect(decoded.args).toEqual({ current: next, roundId: 2n, updatedAt: block.timestamp });
    const newRound = receipt.logs
      .map((l) => decodeEventLog({ abi: sandboxPriceFeedAbi, data: l.data, topics: l.topics }))
      .find((e) => e.eventName === "NewRound");
    expect(newRound?.args).toEqual({ roundId: 2n, startedBy: account.address, startedAt: block.timestamp });

    const [roundId, answer, startedAt, updatedAt, answeredInRound] = await pub.readContract({
      ...read,
      functionName: "latestRoundData",
    });
    expect({ roundId, answer, startedAt, updatedAt, answeredInRound }).toEqual({
      roundId: 2n,
      answer: next,
      startedAt: block.timestamp,
      updatedAt: block.timestamp,
      answeredInRound: 2n,
    });
    expect(await pub.readContract({ ...read, functionName: "latestTimestamp" })).toBe(block.timestamp);
    expect(await pub.readContract({ ...read, functionName: "getAnswer", args: [1n] })).toBe(initial);
    expect((await pub.readContract({ ...read, functionName: "getRoundData", args: [1n] }))[1]).toBe(initial);
    expect(await pub.readContract({ ...read, functionName: "getAnswer", args: [3n] })).toBe(0n);
    const missing = await pub.readContract({ ...read, functionName: "getRoundData", args: [3n] }).catch((e) => e);
    expect(revertReason(missing)).toBe("No data present");
  });

  it("SandboxPriceFeed rejects setAnswer from a non-owner", async () => {
    const { pub } = clients();
    const err = await pub
      .simulateContract({
        address: feed,
        abi: sandboxPriceFeedAbi,
        account: OTHER_ACCOUNT,
        functionName: "setAnswer",
        args: [1n],
      })
      .catch((e: unknown) => e);
    expect(revertReason(err)).toBe("SandboxPriceFeed: not owner");
  });

  it("viem multicall works against Multicall3 installed with anvil_setCode", async () => {
    const { pub, test } = clients();
    await test.setCode({ address: MULTICALL3_ADDRESS, bytecode: multicall3DeployedBytecode });
    expect(await pub.getCode({ address: MULTICALL3_ADDRESS })).toBe(multicall3DeployedBytecode);

    const blockNumber = await pub.getBlockNumber();
    const results = await pub.multicall({
      allowFailure: true,
      contracts: [
        { address: feed, abi: sandboxPriceFeedAbi, functionName: "latestAnswer" },
        { address: MULTICALL3_ADDRESS, abi: multicall3Abi, functionName: "getBlockNumber" },
        { address: MULTICALL3_ADDRESS, abi: multicall3Abi, functionName: "getChainId" },
        { address: feed, abi: sandboxPriceFeedAbi, functionName: "getRoundData", args: [99n] },
      ],
    });
    expect(results[0]).toEqual({ status: "success", result: 1_850n * 10n ** 8n + 12_345_678n });
    expect(results[1]).toEqual({ status: "success", result: blockNumber });
    expect(results[2]).toEqual({ status: "success", result: 31_337n });
    expect(results[3]?.status).toBe("failure");

    // allowFailure=false on a failing call reverts the whole batch with Multicall3's reason.
    const strict = await pub
      .simulateContract({
        address: MULTICALL3_ADDRESS,
        abi: multicall3Abi,
        functionName: "aggregate3",
        args: [[{ target: feed, allowFailure: false, callData: getRoundData99() }]],
      })
      .catch((e: unknown) => e);
    expect(revertReason(strict)).toBe("Multicall3: call failed");

    const mismatch = await pub
      .simulateContract({
        address: MULTICALL3_ADDRESS,
        abi: multicall3Abi,
        account: OTHER_ACCOUNT,
        functionName: "aggregate3Value",
        args: [[{ target: OTHER_ACCOUNT, allowFailure: false, value: 1n, callData: "0x" }]],
        value: 2n,
      })
      .catch((e: unknown) => e);
    expect(revertReason(mismatch)).toBe("Multicall3: value mismatch");
  });
});

function getRoundData99(): Hex {
  return encodeFunctionData({ abi: sandboxPriceFeedAbi, functionName: "getRoundData", args: [99n] });
}
