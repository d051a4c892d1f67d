// Risk-engine benchmark: figures only, nothing asserted. `npm run bench` (or `npx tsx --expose-gc bench/run.ts`).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AccountBook } from "../src/risk/accountBook.js";
import { snapshotMarket } from "../src/risk/marketSnapshot.js";
import { RULES_V3_0 } from "../src/risk/rules.js";
import type { AccountPosition, MarketState } from "../src/risk/types.js";
import { formatMarket, mathUtilsHealthFactor } from "../test/unit/riskMathUtilsCrossCheck.js";
import { Rng, makeAccount, makeMarket } from "../test/unit/riskSynthetic.js";

const ACCOUNTS = 100_000;
const MATH_UTILS_ACCOUNTS = 10_000;
const T0 = 1_700_000_000n;

function getGc(): { gc: (() => void) | undefined; how: string } {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return { gc: g, how: "--expose-gc" };
  try {
    // tsx run without the flag: enable it at runtime and fetch gc from a fresh context.
    setFlagsFromString("--expose-gc");
    const f = runInNewContext("gc") as unknown;
    if (typeof f === "function") return { gc: f as () => void, how: "v8.setFlagsFromString fallback" };
  } catch {
    /* fall through */
  }
  return { gc: undefined, how: "unavailable (heap figures include garbage)" };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function time(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

interface Row {
  what: string;
  value: string;
  note: string;
}

function fullRecompute(
  book: AccountBook,
  market: MarketState,
  runs: number,
  warmup: number,
  tsStart: bigint,
): { ms: number; exact: number } {
  const xs: number[] = [];
  let exact = 0;
  for (let k = 0; k < warmup + runs; k++) {
    const ts = tsStart + BigInt(12 * k); // a new block: every index moves
    const ms = time(() => book.recomputeAll(snapshotMarket(market, RULES_V3_0, ts)));
    if (k >= warmup) {
      xs.push(ms);
      exact = book.lastExactCount;
    }
  }
  return { ms: median(xs), exact };
}

function incremental(book: AccountBook, market: MarketState, reserveId: number, ts: bigint, runs: number, warmup: number) {
  const xs: number[] = [];
  let touched = 0;
  let exact = 0;
  book.recomputeAll(snapshotMarket(market, RULES_V3_0, ts));
  const r = market.reserves[reserveId]!;
  const original = r.price;
  for (let k = 0; k < warmup + runs; k++) {
    r.price = k % 2 === 0 ? (original * 995n) / 1000n : original; // same block, one feed moves
    const ms = time(() => {
      const snap = snapshotMarket(market, RULES_V3_0, ts);
      touched = book.recomputeForReserves([reserveId], snap);
    });
    if (k >= warmup) {
      xs.push(ms);
      exact = book.lastExactCount;
    }
  }
  r.price = original;
  return { ms: median(xs), touched, exact };
}

export async function benchRisk(): Promise<void> {
  const { gc, how } = getGc();
  const rows: Row[] = [];
  const rng = new Rng(2024);
  const market = makeMarket(rng, { eModePriceSource: true, ltZeroReserve: true });
  const positions: AccountPosition[] = [];
  for (let i = 0; i < ACCOUNTS; i++) positions.push(makeAccount(rng, market, i, { stableProb: 0.02, eModeProb: 0.15 }));
  const nPos = positions.reduce((n, p) => n + p.scaledCollateral.size + p.scaledVariableDebt.size, 0);
  rows.push({
    what: "accounts / reserves / positions",
    value: `${ACCOUNTS} / 20 / ${nPos}`,
    note: "decimals 6/8/18, 1-3 coll, 1-2 debt, 15% eMode, 2% with stable debt",
  });

  // Memory held by the book (compiled accounts + exposure index), positions themselves excluded.
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const screened = new AccountBook(RULES_V3_0);
  const tUpsert = time(() => {
    for (const p of positions) screened.upsert(p);
  });
  gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  rows.push({ what: "upsert 100k (compile + index)", value: `${tUpsert.toFixed(0)} ms`, note: "" });
  rows.push({
    what: "book memory, screened mode",
    value: `${((heap1 - heap0) / 2 ** 20).toFixed(1)} MiB`,
    note: `heapUsed delta, gc: ${how}`,
  });

  const fullS = fullRecompute(screened, market, 9, 3, T0);
  rows.push({
    what: "full recompute 100k, screened",
    value: `${fullS.ms.toFixed(1)} ms`,
    note: `snapshot + all accounts, new block; ${fullS.exact} needed bigint (near HF 1); median of 9`,
  });

  const ids = [3, 7, 12];
  for (const id of ids) {
    const inc = incremental(screened, market, id, T0 + 100_000n, 15, 5);
    rows.push({
      what: `incremental, price of reserve ${id} −0.5%, screened`,
      value: `${inc.ms.toFixed(2)} ms`,
      note: `${inc.touched} exposed accounts re-evaluated, ${inc.exact} in bigint; median of 15`,
    });
  }

  gc?.();
  const heap2 = process.memoryUsage().heapUsed;
  const exactBook = new AccountBook(RULES_V3_0, { screening: false });
  for (const p of positions) exactBook.upsert(p);
  const fullE = fullRecompute(exactBook, market, 7, 2, T0 + 200_000n);
  gc?.();
  const heap3 = process.memoryUsage().heapUsed;
  rows.push({
    what: "book memory, exact mode (after a recompute)",
    value: `${((heap3 - heap2) / 2 ** 20).toFixed(1)} MiB`,
    note: "per-position bigint caches populated",
  });
  rows.push({
    what: "full recompute 100k, exact (no screening)",
    value: `${fullE.ms.toFixed(1)} ms`,
    note: "bigint evaluation of every account; median of 7",
  });
  for (const id of ids) {
    const inc = incremental(exactBook, market, id, T0 + 300_000n, 15, 5);
    rows.push({
      what: `incremental, price of reserve ${id} −0.5%, exact`,
      value: `${inc.ms.toFixed(2)} ms`,
      note: `${inc.touched} accounts, cached balances, only the moved position redone`,
    });
  }

  // Side by side with @aave/math-utils on the same 10k accounts.
  const sample = positions.slice(0, MATH_UTILS_ACCOUNTS);
  const ts = T0 + 400_000n;
  let formatted: ReturnType<typeof formatMarket> | undefined;
  const tFormat = time(() => {
    formatted = formatMarket(market, ts);
  });
  const muRuns: number[] = [];
  let sink = 0;
  for (let k = 0; k < 3; k++) {
    muRuns.push(
      time(() => {
        for (const p of sample) sink += mathUtilsHealthFactor(p, market, formatted!, ts);
      }),
    );
  }
  const mu = median(muRuns);
  const small = (screening: boolean) => {
    const b = new AccountBook(RULES_V3_0, { screening });
    for (const p of sample) b.upsert(p);
    return fullRecompute(b, market, 9, 3, ts).ms;
  };
  const ourExact = small(false);
  const ourScreened = small(true);
  rows.push({ what: "math-utils formatReserves (once)", value: `${tFormat.toFixed(1)} ms`, note: "" });
  rows.push({ what: "math-utils formatUserSummary 10k", value: `${mu.toFixed(0)} ms`, note: `median of 3 (checksum ${sink.toFixed(0)})` });
  rows.push({
    what: "keeper 10k, exact / screened",
    value: `${ourExact.toFixed(2)} / ${ourScreened.toFixed(2)} ms`,
    note: "snapshot + evaluation of the same accounts",
  });
  rows.push({
    what: "speed-up vs math-utils, exact / screened",
    value: `${(mu / ourExact).toFixed(0)}x / ${(mu / ourScreened).toFixed(0)}x`,
    note: "target ≥ 20x",
  });

  const w1 = Math.max(...rows.map((r) => r.what.length));
  const w2 = Math.max(...rows.map((r) => r.value.length));
  console.log(`risk engine benchmark (node ${process.version}, ${RULES_V3_0.version} rules)`);
  console.log(`${"measure".padEnd(w1)} | ${"value".padStart(w2)} | note`);
  console.log(`${"-".repeat(w1)}-|-${"-".repeat(w2)}-|-----`);
  for (const r of rows) console.log(`${r.what.padEnd(w1)} | ${r.value.padStart(w2)} | ${r.note}`);
}
