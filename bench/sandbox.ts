// How long the sandbox takes to build: anvil start, the whole Aave V3 market, and 2,000 borrowers,
// on the Aave version `keeper sandbox` deploys by default (3.6) unless another is asked for.
import { startAnvil } from "../src/chain/anvil.js";
import { sandboxSpec, type AaveVersion } from "../src/sandbox/marketSpec.js";
import { createBorrowers, planBorrowers } from "../src/sandbox/borrowers.js";
import { deployMarket } from "../src/sandbox/deployMarket.js";
import { formatTable } from "../src/util/table.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchSandbox(version: AaveVersion = "3.6", runs = 3): Promise<void> {
  const anvilMs: number[] = [];
  const deployMs: number[] = [];
  const planMs: number[] = [];
  const createMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    let t = performance.now();
    const anvil = await startAnvil();
    anvilMs.push(performance.now() - t);
    try {
      t = performance.now();
      const market = await deployMarket(anvil.rpcUrl, { aave: version });
      deployMs.push(performance.now() - t);
      t = performance.now();
      const plans = planBorrowers(market, { count: 2_000, seed: run + 1 });
      planMs.push(performance.now() - t);
      t = performance.now();
      await createBorrowers(market, plans);
      createMs.push(performance.now() - t);
    } finally {
      await anvil.stop();
    }
  }
  const row = (what: string, xs: number[]) => [
    what,
    `${Math.round(median(xs))} ms`,
    `${Math.round(Math.min(...xs))} ms`,
    `${Math.round(Math.max(...xs))} ms`,
  ];
  const spec = sandboxSpec(version);
  console.log(`\nSandbox build, Aave ${version} (${runs} runs)`);
  console.log(
    formatTable(
      ["step", "median", "min", "max"],
      [
        row("start anvil", anvilMs),
        row(`deploy the Aave ${version} market (${spec.assets.length} reserves, ${spec.eModes.length} eMode, seeded)`, deployMs),
        row("plan 2,000 borrowers (key derivation included)", planMs),
        row("create 2,000 borrowers on chain", createMs),
      ],
    ),
  );
}
