// `npm run bench -- startup`: how long `keeper` takes to start, run as the README says (`npx keeper`)
// and as a supervisor would (`node bin/keeper.js`): `help` to exit, and for `keeper run` the time
// from the spawn to its first log line ("keeper starting", logged before its first request; it
// carries sinceProcessStartMs, the process's own view, which leaves npm's part out). Builds dist/
// first when it is not current, since that is what `npm ci` leaves.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, staleReason } from "../bin/compiled.js";
import { buildDist } from "../scripts/build.js";

const RUNS = 5;

interface Started {
  /** spawn → exit (help) or spawn → first stdout line (run) */
  ms: number;
  /** run only: the process's own sinceProcessStartMs on that line */
  inProcessMs?: number;
}

function once(command: string[], stopAtFirstLine: boolean, env: Record<string, string>): Promise<Started> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Own process group: under npx the keeper is a grandchild that a signal to npm would not reach.
    const child = spawn(command[0]!, command.slice(1), { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "ignore"] });
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      if (!stopAtFirstLine || !buffer.includes("\n")) return;
      const ms = performance.now() - started;
      const line = JSON.parse(buffer.slice(0, buffer.indexOf("\n"))) as { sinceProcessStartMs?: number };
      process.kill(-child.pid!, "SIGKILL");
      resolve({ ms, inProcessMs: line.sinceProcessStartMs });
    });
    child.on("error", reject);
    child.on("exit", () => {
      if (!stopAtFirstLine) resolve({ ms: performance.now() - started });
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function benchStartup(): Promise<void> {
  if (staleReason() !== undefined) await buildDist();
  const stateDir = mkdtempSync(join(tmpdir(), "keeper-bench-startup-"));
  // `keeper run` with settings that pass validation; its first request then fails, after the line we time.
  const runEnv = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    RPC_URL: "http://127.0.0.1:9",
    POOL_ADDRESSES_PROVIDER: "0x000000000000000000000000000000000000dEaD",
    DRY_RUN: "true",
    STATE_DIR: stateDir,
  };
  const cases: [string, string[], boolean][] = [
    ["node bin/keeper.js help", [process.execPath, "bin/keeper.js", "help"], false],
    ["npx keeper help", ["npx", "keeper", "help"], false],
    ["node bin/keeper.js run: first log line", [process.execPath, "bin/keeper.js", "run"], true],
    ["npx keeper run: first log line", ["npx", "keeper", "run"], true],
    ["node -e 0 (Node alone)", [process.execPath, "-e", "0"], false],
  ];
  console.log(`\nStart-up (median of ${RUNS}, interleaved; dist/ bundle)\n`);
  const results = new Map<string, Started[]>(cases.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, command, firstLine] of cases) results.get(name)!.push(await once(command, firstLine, runEnv));
  }
  console.log("| command | spawn → done (ms) | in the keeper process (ms) |\n|---|---|---|");
  for (const [name] of cases) {
    const runs = results.get(name)!;
    const inProcess = runs.map((r) => r.inProcessMs).filter((v): v is number => v !== undefined);
    console.log(`| ${name} | ${Math.round(median(runs.map((r) => r.ms)))} | ${inProcess.length ? Math.round(median(inProcess)) : "-"} |`);
  }
  rmSync(stateDir, { recursive: true, force: true });
}

/** `npm run bench -- coldstart`: restarts from a checkpoint, timed to the first liquidation. */
export async function benchColdStart(runs = Number(process.env.BENCH_RUNS ?? 5)): Promise<void> {
  const { coldStartScene } = await import("../test/helpers/coldStart.js");
  const scene = await coldStartScene();
  try {
    const accounts = scene.underWater.length;
    console.log(`\nCold start from a checkpoint (200 borrowers, 1 s blocks, the second shock's ${accounts} accounts under water)\n`);
    const rows: string[][] = [];
    for (let i = 0; i < runs; i++) {
      for (const via of ["npx", "node"] as const) {
        const r = await scene.restart(via);
        rows.push([
          via,
          String(i + 1),
          r.loadAverage,
          String(r.spawnToProcessMs),
          ...["starting", "connected", "synced", "walletRead"].map((phase) => String(r.startupMs[phase] ?? "-")),
          String(r.firstTxSentMs ?? "-"),
          r.blocks.length === 0 ? "-" : `+${r.blocks.reduce((a, b) => (a > b ? a : b))}`,
          String(r.blocksFromSpawn ?? "-"),
        ]);
        console.log(rows.at(-1)!.join("  "));
      }
    }
    console.log(
      "\n| via | run | load | spawn → keeper process (ms) | settings read | node answered | synced | wallet read | first tx sent | " +
        "last of them mined (blocks after the process start) | (blocks after the spawn) |\n|---|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const row of rows) console.log(`| ${row.join(" | ")} |`);
  } finally {
    await scene.stop();
  }
}
