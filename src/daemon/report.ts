// The keeper's log lines about its work, written from its events: a mined liquidation with its value
// realized beside predicted, a dry run's opportunities, and, once per account and reason (not every
// block), why an account under water is not liquidated. The stages log their own mechanics (the
// executor its transactions, the watcher its sync); this is what an operator reads to know what
// happened and why.
import type { Logger } from "../logging.js";
import { formatDecimal } from "../util/decimal.js";
import { NO_WALLET_REASON, type SimulationResult } from "../executor/simulation.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { gasCostBase, type GasModel } from "../scheduler/profit.js";
import { decodeSwapPath } from "../chain/uniswapRoutes.js";
import type { MarketState } from "../risk/types.js";
import type { KeeperEventBus } from "./events.js";
import { recordOutcome, type KeeperStats } from "./stats.js";

export interface ReportOptions {
  events: KeeperEventBus;
  logger: Logger;
  stats: KeeperStats;
  market: () => MarketState;
  /** wei of the gas token in base currency, at the market's current prices */
  weiToBase: (wei: bigint) => bigint;
  /** the gas model plans are made with now (for the profit a sent plan is expected to make) */
  gasModel: () => GasModel | undefined;
  symbols: ReadonlyMap<number, string>;
}

/** Subscribes the log lines and the stats to the keeper's events. */
export function attachReport(o: ReportOptions): void {
  const log = o.logger.child({ module: "keeper" });
  const usd = (base: bigint) => formatDecimal(base, o.market().baseCurrencyUnit, 2);
  /** per plan sent: its profit re-priced with the simulation's gas and the fee it is expected to pay */
  const predictedAtSend = new WeakMap<LiquidationPlan, bigint>();
  /** per account under water and not liquidated: the reason last logged (digits aside) */
  const notLiquidating = new Map<string, string>();

  o.events.on("blockProcessed", ({ update }) => {
    log.debug(
      {
        block: update.toBlock,
        logs: update.logs,
        dirty: update.dirtyUsers,
        recomputed: update.recomputed,
        firstPassRecomputed: update.firstPassRecomputed,
        liquidatable: update.liquidatable.length,
        ms: update.ms,
      },
      "block processed",
    );
    // An account no longer under water: its next reason is news again.
    if (notLiquidating.size > 0) {
      const now = new Set(update.liquidatable.map((u) => u.toLowerCase()));
      for (const user of notLiquidating.keys()) if (!now.has(user)) notLiquidating.delete(user);
    }
  });

  o.events.on("skipped", ({ user, reason, stage }) => {
    if (stage !== "plan") {
      log.info({ user, stage, reason }, "liquidation skipped");
      return;
    }
    // Health factors and amounts move every block: the reason's words decide whether it is news.
    const key = reason.replace(/\d[\d.,]*/g, "#");
    if (notLiquidating.get(user.toLowerCase()) === key) return;
    notLiquidating.set(user.toLowerCase(), key);
    log.info({ user, reason }, "not liquidating");
  });

  o.events.on("sent", ({ tx, baseFeePerGas }) => {
    o.stats.sent++;
    o.stats.opportunities += tx.plans.length;
    const gas = o.gasModel();
    if (!gas) return;
    const expectedFee = baseFeePerGas + tx.maxPriorityFeePerGas;
    const fee = expectedFee < tx.maxFeePerGas ? expectedFee : tx.maxFeePerGas;
    // Each liquidation of the transaction takes its share of the simulated gas.
    const gasUnits = (tx.simulatedNetGas ?? tx.simulatedGas) / BigInt(tx.plans.length);
    for (const plan of tx.plans) {
      predictedAtSend.set(plan, plan.expectedProfitBase + plan.gasCostBase - gasCostBase({ ...gas, gasUnits, maxFeePerGas: fee }));
    }
  });

  o.events.on("opportunity", ({ plan, simulation, flashAlternative }) => {
    o.stats.opportunities++;
    log.info(
      {
        dryRun: true,
        user: plan.user,
        collateral: plan.collateralSymbol ?? plan.collateralAsset,
        debt: plan.debtSymbol ?? plan.debtAsset,
        capital: plan.capital ?? "wallet",
        debtToCover: plan.debtToCover.toString(),
        expectedDebtRepaid: plan.expectedDebtRepaid.toString(),
        expectedCollateralSeized: plan.expectedCollateralSeized.toString(),
        expectedProfitUsd: usd(plan.expectedProfitBase),
        healthFactor: formatDecimal(plan.healthFactor, 10n ** 18n, 6),
        ...(plan.flashLoan && { flashLoan: describeFlash(plan, o.symbols, o.market(), usd) }),
        ...(flashAlternative !== undefined &&
          plan.capital !== "flashLoan" && {
            flashAlternative:
              typeof flashAlternative === "string"
                ? { skip: flashAlternative }
                : { expectedProfitUsd: usd(flashAlternative.expectedProfitBase) },
          }),
        ...(simulation && { simulation: describeSimulation(simulation) }),
      },
      "opportunity",
    );
  });

  o.events.on("reverted", ({ tx, hash, blockNumber, reason }) => {
    recordOutcome(o.stats, { kind: "reverted", tx, hash, blockNumber, reason }, o.market(), o.weiToBase);
  });

  o.events.on("mined", ({ outcome }) => {
    const { hash, blockNumber, gasUsed } = outcome;
    const values = recordOutcome(o.stats, outcome, o.market(), o.weiToBase);
    for (const { plan, value } of values) {
      log.info(
        {
          user: plan.user,
          hash,
          block: blockNumber,
          capital: value.capital,
          ...(outcome.tx.plans.length > 1 && { batch: outcome.tx.plans.length }),
          debtRepaidUsd: usd(value.debtBase),
          // Realized at the mined block's prices and gas (a batch's gas shared among its liquidations);
          // predicted as sent (the simulation's gas and what it got, the expected fee), and as planned.
          realizedProfitUsd: usd(value.profitBase),
          predictedProfitUsd: usd(predictedAtSend.get(plan) ?? value.predictedProfitBase),
          plannedProfitUsd: usd(value.predictedProfitBase),
          gasUsd: usd(value.gasBase),
          predictedGasUsd: usd(plan.gasCostBase),
          gasUsed: (gasUsed / BigInt(values.length)).toString(),
          ...(plan.gasUnits !== undefined && { plannedGas: plan.gasUnits.toString() }),
          ...(value.ownerProfit !== undefined && {
            ownerProfit: value.ownerProfit.toString(),
            expectedOwnerProfit: value.expectedOwnerProfit?.toString(),
          }),
        },
        "liquidated",
      );
    }
  });
}

/** The flash plan's quote and terms, for the dry-run line (amounts in token units, profit also in USD). */
function describeFlash(plan: LiquidationPlan, symbols: ReadonlyMap<number, string>, market: MarketState, usd: (base: bigint) => string) {
  const f = plan.flashLoan!;
  const { tokens, fees } = decodeSwapPath(f.swapPath);
  const idOf = (token: string) => market.reserves.find((r) => r?.asset.toLowerCase() === token.toLowerCase())?.id;
  const route = tokens.map((t) => symbols.get(idOf(t) ?? -1) ?? t);
  return {
    liquidator: f.liquidator,
    route: route.length > 0 ? route : ["no swap"],
    fees,
    amountIn: f.quotedAmountIn.toString(),
    amountOut: f.quotedAmountOut.toString(),
    minAmountOut: f.minAmountOut.toString(),
    loan: f.loanAmount.toString(),
    premium: f.premium.toString(),
    expectedProfit: f.expectedProfit.toString(),
    minProfit: f.minProfit.toString(),
    expectedProfitUsd: usd(plan.expectedProfitBase),
    gasUnits: f.gasUnits.toString(),
  };
}

/** For the dry-run line: without a wallet only the pool's checks can be simulated, and they passed. */
function describeSimulation(simulation: SimulationResult) {
  if (simulation.ok) return { ok: true, gas: simulation.gas.toString() };
  if (simulation.reason === NO_WALLET_REASON) return { ok: true, scope: "pool checks only: no wallet to pull the debt from" };
  return { ok: false, reason: simulation.reason };
}
