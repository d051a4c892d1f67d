// Output piped to another program arrives whole: `keeper scan --json --all | reader` with megabytes of
// JSON and a reader that starts reading late (as a slow consumer does), so the pipe is full when scan
// is done. Before the fix, scan exited with most of its output still buffered and the JSON was cut.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { KEEPER_BIN } from "../helpers/keeperProcess.js";

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  sandbox = await startSandbox({ borrowers: 2_000, seed: 23 });
  dir = mkdtempSync(join(tmpdir(), "keeper-pipe-"));
});
afterAll(async () => {
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Waits a second before reading a byte, then reads stdin to the end and parses it as one JSON document.
const READER = `
setTimeout(() => {
  const chunks = [];
  process.stdin.on("data", (c) => chunks.push(c));
  process.stdin.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8");
    let parsed;
    try { parsed = JSON.parse(text); } catch (err) { console.log(JSON.stringify({ bytes: text.length, error: String(err) })); return; }
    console.log(JSON.stringify({ bytes: text.length, accounts: parsed.accounts.length, accountsTracked: parsed.accountsTracked }));
  });
}, 1000);`;

describe("piped output", () => {
  it("`keeper scan --json --all | reader`: megabytes of JSON, all of it parsed", async () => {
    const env = {
      PATH: process.env.PATH ?? "",
      RPC_URL: sandbox.anvil.rpcUrl,
      POOL_ADDRESSES_PROVIDER: sandbox.market.addressesProvider,
      START_BLOCK: String(sandbox.market.deploymentBlock),
      STATE_DIR: join(dir, "state"),
      KEEPER_BIN,
      NODE: process.execPath,
      READER,
    };
    // A real shell pipeline: scan's stdout is a pipe to another process, as with `| jq`.
    const shell = spawn("sh", ["-c", '"$NODE" "$KEEPER_BIN" scan --json --all | "$NODE" -e "$READER"'], { env, cwd: dir });
    let out = "";
    let err = "";
    shell.stdout.on("data", (c: Buffer) => (out += c.toString()));
    shell.stderr.on("data", (c: Buffer) => (err += c.toString()));
    await new Promise((resolve) => shell.on("close", resolve));
    const result = JSON.parse(out.trim()) as { bytes: number; accounts?: number; accountsTracked?: number; error?: string };
    expect(result.error, err).toBeUndefined();
    expect(result.bytes).toBeGreaterThan(2_000_000);
    expect(result.accountsTracked).toBeGreaterThanOrEqual(2_000);
    expect(result.accounts).toBe(result.accountsTracked);
  });
});
