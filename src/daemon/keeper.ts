// The keeper: watcher → scheduler → executor, block after block. This file wires the stages:
// per block the watcher brings the account book to the new head; the executor settles what was
// mined; every liquidatable account is planned at the timestamp the next block will have, the block's
// plans chosen together (most profitable first, within MAX_INFLIGHT_BLOCKS of gas and the wallet's
// tokens) and handed to the executor in one go; then receipts, replacements and the wallet.
import { createPublicClient, webSocket, zeroAddress, type Address, type PublicClient } from "viem";
import { redactUrl } from "../util/url.js";
import { readSymbols } from "../chain/tokens.js";
import { WRAPPED_NATIVE_TOKENS } from "../config/chains.js";
import { isRetryable } from "../errors.js";
import { Executor, NO_WALLET_REASON, type SentTx, type SimulationResult, type SubmitResult } from "../executor/executor.js";
import { gweiToWei } from "../executor/fees.js";
import type { Logger } from "../logging.js";
import { compileAccount, evaluateAccount } from "../risk/healthFactor.js";
import { snapshotMarket, type MarketSnapshot } from "../risk/marketSnapshot.js";
import { chooseForBlock } from "../scheduler/blockPlan.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { chooseCapital, gasCostBase, LEFTOVER_MARGIN_DIVISOR, planLiquidation, type GasModel } from "../scheduler/profit.js";
import { decodeSwapPath, poolsSwappedBy } from "../scheduler/swapSequence.js";
import type { MarketInfo } from "../watcher/marketReader.js";
import { Watcher } from "../watcher/watcher.js";
import { gasModel, nativeReserveId, weiToBase } from "./gas.js";
import { emptyStats, formatBase, recordOutcome, summarize, type KeeperStats } from "./stats.js";
import { WalletInventory } from "./walletInventory.js";
import { FlashCapital, type BlockTerms, type CapitalCandidate, type CapitalChoice } from "./capital.js";
import { checkLiquidator } from "../chain/liquidatorContract.js";
import { backoffDelay, sleep } from "../util/time.js";

export type { KeeperStats } from "./stats.js";

export interface KeeperOptions {
  client: PublicClient;
  rpcUrl: string;
  chainId: number;
  addressesProvider: Address;
  startBlock: bigint;
  stateDir?: string;
  logChunkBlocks: number;
  pollIntervalMs: number;
  /** when set, new blocks are announced over this WebSocket (eth_subscribe newHeads); polling stays as the fallback */
  wsUrl?: string;
  privateKey?: `0x${string}`;
  dryRun: boolean;
  minProfitUsd: number;
  maxFeeGwei: number;
  priorityFeeGwei: number;
  txTimeoutBlocks: number;
  privateTxUrl?: string;
  logger: Logger;
  /** MAX_INFLIGHT_BLOCKS (default 2) */
  maxInflightBlocks?: number;
  /** the reserve asset that prices gas; default: the chain's known wrapped native token */
  wrappedNativeToken?: Address;
  /** gas a liquidationCall is planned with until simulations give real figures */
  plannedGasUnits?: bigint;
  /** LIQUIDATOR_ADDRESS and what the flash path needs: unset = the wallet only */
  flash?: FlashSettings;
}

/** The flash-loan path's settings: the Liquidator (owned by PRIVATE_KEY's address), Uniswap V3, slippage. */
export interface FlashSettings {
  liquidator: Address;
  /** UNISWAP_V3_FACTORY and UNISWAP_V3_QUOTER (resolveUniswap); the router is the contract's own */
  factory: Address;
  quoter: Address;
  routingHubs: readonly Address[];
  /** SWAP_SLIPPAGE_BPS */
  slippageBps: number;
}

const DEFAULT_GAS_UNITS = 450_000n;
const DEFAULT_INFLIGHT_BLOCKS = 2;
/** A round spanning more blocks than this (a stalled node) widens the in-flight budget no further. */
const MAX_ROUND_SPAN = 4;
/** Without a liquidator, how many of a block's largest debts are planned and sent before the rest. */
const FIRST_GROUP = 4;

export class Keeper {
  readonly watcher: Watcher;
  executor!: Executor;
  readonly stats: KeeperStats = emptyStats();
  private readonly log: Logger;
  private readonly wallet = new WalletInventory();
  private nativeId: number | undefined;
  private blockGasLimit = 30_000_000n;
  /** gas of a liquidation as recent simulations found it (the in-flight budget) */
  private gasPerLiquidation: bigint;
  /**
   * gas of a plain liquidationCall as recent simulations found it (the profit model's gas; a flash
   * plan adds the loan's and the swap's, flashLiquidationGas). Without a liquidator, gasPerLiquidation.
   */
  private liquidationCallGas: bigint;
  /** per flash plan: the gas its model added to the liquidationCall's (to learn the latter from its simulation) */
  private readonly flashGasAdded = new WeakMap<LiquidationPlan, bigint>();
  /** per plan sent: its profit re-priced with the simulation's gas and the fee it is expected to pay */
  private readonly predictedAtSend = new WeakMap<LiquidationPlan, bigint>();
  private readonly loggedOpportunities = new Map<string, string>();
  private blockTimes: bigint[] = [];
  private lastTimestamp: bigint | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly symbols = new Map<number, string>();
  /** the head of the previous round, and how many blocks the recent rounds were apart */
  private lastRoundHead: bigint | undefined;
  private roundSpans: number[] = [];
  /** nonces in flight after the previous round: one gone means something settled */
  private flightNonces = new Set<number>();
  /** When start() reached each step, in ms since the process started (performance.now()). */
  readonly startupMs: { synced?: number; walletRead?: number; firstBlock?: number } = {};
  /** prepare(), started by the watcher's sync once the market is discovered */
  private preparing: Promise<void> | undefined;
  private readonly flash: FlashCapital | undefined;

  constructor(private readonly options: KeeperOptions) {
    this.log = options.logger.child({ module: "keeper" });
    const f = options.flash;
    this.flash =
      f &&
      new FlashCapital({
        client: options.client,
        liquidator: f.liquidator,
        factory: f.factory,
        quoter: f.quoter,
        routingHubs: f.routingHubs,
        slippageBps: f.slippageBps,
        logger: options.logger,
      });
    this.gasPerLiquidation = options.plannedGasUnits ?? DEFAULT_GAS_UNITS;
    this.liquidationCallGas = this.gasPerLiquidation;
    this.watcher = new Watcher({
      client: options.client,
      addressesProvider: options.addressesProvider,
      startBlock: options.startBlock,
      stateDir: options.stateDir,
      logChunkBlocks: options.logChunkBlocks,
      logger: options.logger,
      onDiscovered: (info, head) => {
        this.preparing = this.prepare(info, head.number);
        this.preparing.catch(() => undefined); // awaited by start(), unless the sync fails first
      },
    });
  }

  /**
   * Syncs the watcher, reads the wallet and liquidates what the head allows; throws what a retry will
   * not fix. A restart's first liquidation waits for all of it, so what the wallet side needs is
   * requested as soon as the market is discovered, while the sync goes on (prepare), and what the
   * first block does not need (approving assets no liquidation uses yet, the checkpoint) waits.
   */
  async start(): Promise<void> {
    this.preparing = undefined;
    await this.watcher.sync({ deferCheckpoint: true });
    this.startupMs.synced = sinceProcessStart();
    if (!this.preparing) throw new Error("keeper: the sync did not report the market");
    await this.preparing;
    this.startupMs.walletRead = sinceProcessStart();
    const options = this.options;
    const assets = this.reserveAssets();
    const wrappedNative = options.wrappedNativeToken ?? WRAPPED_NATIVE_TOKENS[options.chainId];
    this.nativeId = nativeReserveId(this.watcher.market, wrappedNative);
    if (this.nativeId === undefined) {
      this.log.warn(
        { wrappedNativeToken: wrappedNative ?? null },
        "the wrapped native token is not a reserve (set WRAPPED_NATIVE_TOKEN): gas is left out of the profit",
      );
    }
    this.lastTimestamp = this.watcher.head.timestamp;
    await this.liquidateBlock();
    this.startupMs.firstBlock = sinceProcessStart();
    this.flightNonces = this.inFlightNonces();
    this.watcher.checkpoint();
    if (!options.dryRun) {
      // Every asset the wallet holds approved, after the first block's liquidations (which approve what they use).
      const held = assets.filter((a) => (this.wallet.view?.get(a.id) ?? 0n) > 0n).map((a) => a.asset);
      await this.executor.ensureApprovals(held);
      this.log.info({ wallet: this.executor.address, assetsHeld: held.length }, "wallet ready");
    }
  }

  /**
   * The executor for the discovered pool, and at once what the first block's liquidations need from
   * the chain besides the book: the executor's checks and nonce, the wallet's balances and allowances,
   * symbols, the head's gas limit and mined nonce.
   */
  private prepare(info: MarketInfo, head: bigint): Promise<void> {
    const options = this.options;
    this.executor = new Executor({
      publicClient: options.client,
      rpcUrl: options.rpcUrl,
      privateTxUrl: options.privateTxUrl,
      privateKey: options.privateKey,
      chainId: options.chainId,
      pool: info.addresses.pool,
      maxFeeGwei: options.maxFeeGwei,
      priorityFeeGwei: options.priorityFeeGwei,
      txTimeoutBlocks: options.txTimeoutBlocks,
      dryRun: options.dryRun,
      logger: options.logger,
    });
    // Reserve ids are positions in the pool's list (a dropped reserve leaves address(0)).
    const assets = info.reservesList.flatMap((asset, id) => (asset === zeroAddress ? [] : [{ id, asset }]));
    return Promise.all([
      this.executor.start(),
      options.client.getBlock({ blockNumber: head }).then((block) => {
        this.blockGasLimit = block.gasLimit;
      }),
      readSymbols(
        options.client,
        assets.map((a) => a.asset),
      ).then((symbols) => {
        assets.forEach((a, i) => {
          this.symbols.set(a.id, symbols[i]!);
        });
      }),
      // The head's nonce: the first block's settle is then no request.
      this.executor.settle(head),
      ...(options.dryRun ? [] : [this.refreshWallet(assets), this.executor.checkApprovals(assets.map((a) => a.asset))]),
      // A dry run with a liquidator plans with the wallet's real balances (none without a key), so that
      // it shows the choice a live run would make; without one, the wallet is unlimited (pool checks only).
      ...(options.dryRun && this.flash ? [this.refreshWallet(assets)] : []),
      ...(this.flash ? [this.checkFlash(info)] : []),
    ]).then(() => undefined);
  }

  /** A contract of someone else, or on another pool, would make every flash liquidation revert: one line, exit 2. */
  private async checkFlash(info: MarketInfo): Promise<void> {
    const flash = this.flash!;
    await checkLiquidator(this.options.client, flash.liquidator, { pool: info.addresses.pool, owner: this.executor.address });
    this.log.info({ liquidator: flash.liquidator, quoter: this.options.flash!.quoter }, "flash loans through the Liquidator");
  }

  /** One step: new blocks → book → the block's liquidations; then receipts, replacements, the wallet. */
  async tick(): Promise<boolean> {
    // The block's first liquidations go out after the watcher's first pass (the accounts that can have
    // crossed 1); its second pass (positions the logs touched, every other account) runs after them, and
    // whatever it finds newly liquidatable gets a second round in the same block.
    // What the last blocks mined (the wallet's nonce at the head) is asked for while the watcher reads.
    const first = await this.watcher.pollFirst((h) => void this.executor.settle(h.number).catch(() => undefined));
    if (!first) return false;
    if (!this.stopping) await this.liquidateBlock();
    const update = await first.complete();
    const head = this.watcher.head;
    if (this.lastTimestamp !== undefined && head.timestamp > this.lastTimestamp) {
      const blocks = update.toBlock - update.fromBlock + 1n;
      this.blockTimes = [...this.blockTimes, (head.timestamp - this.lastTimestamp) / (blocks > 0n ? blocks : 1n)].slice(-8);
    }
    this.lastTimestamp = head.timestamp;
    this.log.debug(
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
    // Liquidations first: they race other keepers for this block. Receipts, replacements and the
    // wallet's balances come after (in-flight amounts stay reserved meanwhile).
    const seen = new Set(first.liquidatable.map((u) => u.toLowerCase()));
    if (!this.stopping && update.liquidatable.some((u) => !seen.has(u.toLowerCase()))) await this.liquidateBlock();
    await this.executor.settle(head.number);
    const before = this.flightNonces;
    this.flightNonces = this.inFlightNonces();
    const settled = [...before].some((n) => !this.flightNonces.has(n));
    // Receipts and replacements, and the wallet's balances at once (what settled is out of the in-flight
    // set already; tokens sent to the wallet from outside are seen at the latest 20 blocks later).
    const walletDue = (settled || head.number % 20n === 0n) && (!this.options.dryRun || this.flash !== undefined);
    const [outcomes] = await Promise.all([this.executor.onBlock(head.number, head.baseFeePerGas), walletDue && this.refreshWallet()]);
    for (const outcome of outcomes) {
      const market = this.watcher.market;
      const value = recordOutcome(this.stats, outcome, market, (wei) => weiToBase(wei, market, this.nativeId));
      const unit = market.baseCurrencyUnit;
      if (value && outcome.kind === "mined") {
        this.log.info(
          {
            user: outcome.tx.plan.user,
            hash: outcome.hash,
            block: outcome.blockNumber,
            capital: value.capital,
            debtRepaidUsd: formatBase(value.debtBase, unit),
            // Realized at the mined block's prices and gas; predicted as planned (gas at the fee cap).
            realizedProfitUsd: formatBase(value.profitBase, unit),
            predictedProfitUsd: formatBase(this.predictedAtSend.get(outcome.tx.plan) ?? value.predictedProfitBase, unit),
            plannedProfitUsd: formatBase(value.predictedProfitBase, unit),
            gasUsd: formatBase(value.gasBase, unit),
            predictedGasUsd: formatBase(outcome.tx.plan.gasCostBase, unit),
            gasUsed: outcome.gasUsed.toString(),
            ...(outcome.tx.plan.gasUnits !== undefined && { plannedGas: outcome.tx.plan.gasUnits.toString() }),
            ...(value.ownerProfit !== undefined && {
              ownerProfit: value.ownerProfit.toString(),
              expectedOwnerProfit: value.expectedOwnerProfit?.toString(),
            }),
          },
          "liquidated",
        );
      }
    }
    return true;
  }

  /**
   * Runs until `signal` aborts; transient errors (isRetryable: RPC and viem errors among them) are logged once
   * per incident and retried with backoff; any other is thrown.
   */
  async run(signal: AbortSignal): Promise<void> {
    const unsubscribe = this.options.wsUrl ? this.subscribeNewHeads(this.options.wsUrl) : undefined;
    try {
      await this.loop(signal);
    } finally {
      unsubscribe?.();
    }
  }

  /** Stops taking work, waits up to `timeoutMs` for transactions in flight, writes the checkpoint. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const drained = await this.executor.drain(timeoutMs, async () => {
      await this.tick().catch(() => undefined);
    });
    if (!drained) this.log.warn({ inFlight: this.executor.inFlight().length }, "stopping with transactions still in flight");
    this.watcher.checkpoint();
    this.log.info(this.summary(), "stopped");
  }

  summary() {
    return summarize(this.stats, this.watcher.market.baseCurrencyUnit);
  }

  /**
   * The block's liquidations: every liquidatable account not in flight planned at the next block's
   * timestamp (with a liquidator: from the wallet and by flash loan, whichever nets more), chosen
   * together (profit order, gas budget, wallet), sent by the executor in one go.
   */
  private async liquidateBlock(): Promise<void> {
    const head = this.watcher.head;
    this.noteRound(head.number);
    // What was mined in this block frees its users (and its gas): one request, started first.
    const settling = this.executor.settle(head.number);
    // Users whose positions are being read are left out until read, but their logged opportunity stays.
    this.forgetLoggedOpportunities(this.watcher.book.liquidatable());
    const candidates = this.watcher.liquidatable();
    if (candidates.length === 0) return settling;
    // Planning costs ~0.1-1 ms an account: in a cascade, plan the largest debts first (the profit is
    // a share of the debt repaid) and only about as many as the gas budget can take.
    const ranked = candidates.length > 1 ? rankByDebt(candidates, (u) => this.watcher.book.debtEstimate(u)) : candidates;
    await settling;
    const gasBudget = this.inflightBlocks() * this.blockGasLimit - this.executor.inFlightGas();
    const wanted = gasBudget / this.gasPerLiquidation;
    if (wanted <= 0n) return;
    const enough = Number(wanted + wanted / 2n + 4n);
    const snapshot = this.predictedSnapshot();
    const gas = this.gasModel(snapshot);
    const block: BlockTerms = { snapshot, gas, minProfitBase: this.minProfitBase(), blockNumber: head.number };
    const choiceOf = new Map<string, CapitalChoice>();
    const plansOf = (choices: readonly (CapitalChoice | undefined)[]): LiquidationPlan[] => {
      const plans: LiquidationPlan[] = [];
      for (const choice of choices) {
        if (!choice) continue;
        const plan = choice.plan;
        if (this.options.dryRun && this.loggedOpportunities.get(plan.user.toLowerCase()) === opportunityKey(plan)) continue;
        choiceOf.set(plan.user.toLowerCase(), choice);
        plans.push(plan);
      }
      return plans;
    };
    const choose = (plans: readonly LiquidationPlan[], budget: bigint) =>
      chooseForBlock(plans, {
        gasBudget: budget,
        gasPerLiquidation: this.gasPerLiquidation,
        covers: (p) => this.wallet.covers(p),
        take: (p) => this.wallet.take(p),
        // Only a wallet plan is ever short: its new wallet plan against what is left, or its flash loan.
        replan: (p) => chooseCapital(this.plan(p.user, snapshot, gas), choiceOf.get(p.user.toLowerCase())?.flash),
      });
    const eligible = ranked.filter((u) => !this.executor.hasInFlight(u));
    if (!this.flash) {
      // From the wallet: the largest debts are planned and sent first, the rest planned while their
      // simulation is on the way (planning costs ~0.2 ms an account; a cascade plans a hundred).
      const firstUsers = eligible.slice(0, FIRST_GROUP);
      const firstChosen = choose(plansOf(this.planWallet(firstUsers, snapshot, gas)), gasBudget);
      const firstSent = this.submit(firstChosen, choiceOf, gas);
      firstSent.catch(() => undefined); // awaited below
      const rest = plansOf(this.planWallet(eligible.slice(FIRST_GROUP), snapshot, gas, enough - firstChosen.length));
      const sent = await firstSent;
      await this.submit(choose(rest, gasBudget - BigInt(firstChosen.length) * this.gasPerLiquidation), choiceOf, gas, sent);
      return;
    }
    const considered: CapitalCandidate[] = [];
    for (const user of eligible) {
      if (considered.length >= enough) break;
      const candidate = this.planCandidate(user, snapshot, gas);
      if (candidate.wallet || candidate.free) considered.push(candidate);
    }
    // With a liquidator, the quotes of every plan the block considers: one eth_call.
    const chosen = choose(plansOf(await this.flash.choose(considered, block)), gasBudget);
    if (chosen.length === 0) return;
    // Swaps of one block on the same pools: the later ones get their marginal quote (one more eth_call,
    // while the rest is sent); a pool another path or a transaction in flight swaps in waits a block.
    const sequenced = this.flash.sequence(chosen, poolsSwappedBy(this.executor.inFlight().map((t) => t.plan)), block);
    const first = this.submit(sequenced.now, choiceOf, gas);
    first.catch(() => undefined); // awaited below: no unhandled rejection while the marginal quotes come back
    // The later swaps follow the ones sent now: simulated after them, as the block will run them.
    const later = await sequenced.later.catch((err: unknown) => {
      this.log.warn({ err: firstLine(err) }, "marginal quotes failed");
      return [];
    });
    const sent = await first;
    if (later.length > 0) await this.submit(later, choiceOf, gas, sent);
  }

  /** Wallet plans (no liquidator) of these users, in order, until `limit` are worth a transaction. */
  private planWallet(users: readonly Address[], snapshot: MarketSnapshot, gas: GasModel, limit = users.length): CapitalChoice[] {
    const out: CapitalChoice[] = [];
    for (const user of users) {
      if (out.length >= limit) break;
      const plan = this.planCandidate(user, snapshot, gas).wallet;
      if (plan) out.push({ plan });
    }
    return out;
  }

  /** Hands plans to the executor in the order given; wallet reservations are given back unless sent. */
  private async submit(
    plans: LiquidationPlan[],
    choices: ReadonlyMap<string, CapitalChoice>,
    gas: GasModel,
    sentBefore: readonly LiquidationPlan[] = [],
  ): Promise<LiquidationPlan[]> {
    if (plans.length === 0) return [];
    for (const p of plans) if (p.capital === "flashLoan" && p.gasUnits !== undefined) this.flashGasAdded.set(p, p.gasUnits - gas.gasUnits);
    const head = this.watcher.head;
    this.stats.opportunities += plans.length;
    let results: SubmitResult[];
    try {
      // Approved once per asset, remembered: no request unless the wallet got a new asset. A flash
      // loan needs none (the contract approves the pool and the router itself).
      const fromWallet = plans.filter((p) => p.capital !== "flashLoan");
      if (!this.options.dryRun && fromWallet.length > 0) {
        await this.executor.ensureApprovals([...new Set(fromWallet.map((p) => p.debtAsset))]);
      }
      results = await this.executor.liquidate(plans, head.number, head.baseFeePerGas, sentBefore);
    } catch (err) {
      for (const plan of plans) this.wallet.giveBack(plan);
      throw err;
    }
    results.forEach((result, i) => {
      this.afterSubmit(plans[i]!, result, choices.get(plans[i]!.user.toLowerCase()), gas);
    });
    return plans.filter((_, i) => results[i]!.kind === "sent");
  }

  private inFlightNonces(): Set<number> {
    return new Set(this.executor.inFlight().map((t) => t.nonce));
  }

  private noteRound(head: bigint): void {
    const last = this.lastRoundHead;
    this.lastRoundHead = head;
    if (last !== undefined && head > last) this.roundSpans = [...this.roundSpans, Number(head - last)].slice(-4);
  }

  /**
   * Blocks of gas that may be in flight: MAX_INFLIGHT_BLOCKS beyond those mined before the next round.
   * When the node is slow and rounds are several blocks apart, the blocks in between are filled too
   * (with only MAX_INFLIGHT_BLOCKS they would go out empty): the longest of the last 4 rounds, capped.
   */
  private inflightBlocks(): bigint {
    const span = Math.min(Math.max(1, ...this.roundSpans), MAX_ROUND_SPAN);
    return BigInt((this.options.maxInflightBlocks ?? DEFAULT_INFLIGHT_BLOCKS) + span - 1);
  }

  private afterSubmit(plan: LiquidationPlan, result: SubmitResult, choice: CapitalChoice | undefined, gas: GasModel): void {
    if (result.kind === "sent") {
      this.stats.sent++;
      // Learn what a liquidation really takes (its simulated gas), for the next block's budget; and
      // what its liquidationCall takes, for the profit model (a flash call less what its model added).
      const simulated = result.tx.simulatedGas;
      this.gasPerLiquidation = (this.gasPerLiquidation * 7n + simulated) / 8n;
      if (!this.flash) this.liquidationCallGas = this.gasPerLiquidation;
      else {
        // What a flash call used, net of its refunds (its gas limit allows for up to a quarter more).
        const used = result.tx.simulatedNetGas ?? simulated;
        const added = this.flashGasAdded.get(plan) ?? 0n;
        if (used > added) this.liquidationCallGas = (this.liquidationCallGas * 7n + used - added) / 8n;
      }
      this.predictedAtSend.set(plan, repricedProfit(plan, result.tx, gas, this.watcher.head.baseFeePerGas));
      return;
    }
    this.wallet.giveBack(plan);
    if (result.kind === "dry-run") {
      this.loggedOpportunities.set(plan.user.toLowerCase(), opportunityKey(plan));
      const unit = this.watcher.market.baseCurrencyUnit;
      this.log.info(
        {
          dryRun: true,
          user: plan.user,
          collateral: plan.collateralSymbol ?? plan.collateralAsset,
          debt: plan.debtSymbol ?? plan.debtAsset,
          capital: plan.capital ?? "wallet",
          debtToCover: plan.debtToCover.toString(),
          expectedDebtRepaid: plan.expectedDebtRepaid.toString(),
          expectedCollateralSeized: plan.expectedCollateralSeized.toString(),
          expectedProfitUsd: formatBase(plan.expectedProfitBase, unit),
          healthFactor: formatWad(plan.healthFactor),
          ...(plan.flashLoan && { flashLoan: this.describeFlash(plan) }),
          ...(this.flash && plan.capital !== "flashLoan" && { flashAlternative: this.describeAlternative(choice) }),
          simulation: describeSimulation(result.simulation),
        },
        "opportunity",
      );
      return;
    }
    this.log.info({ user: plan.user, capital: plan.capital ?? "wallet", reason: result.reason }, "liquidation skipped");
  }

  /** The flash plan's quote and terms, for the dry-run line (amounts in token units, profit also in USD). */
  private describeFlash(plan: LiquidationPlan) {
    const f = plan.flashLoan!;
    const unit = this.watcher.market.baseCurrencyUnit;
    const { tokens, fees } = decodeSwapPath(f.swapPath);
    const symbolOf = (token: string) => this.watcher.market.reserves.find((r) => r?.asset.toLowerCase() === token.toLowerCase())?.id;
    const route = tokens.map((t) => this.symbols.get(symbolOf(t) ?? -1) ?? t);
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
      expectedProfitUsd: formatBase(plan.expectedProfitBase, unit),
      gasUnits: f.gasUnits.toString(),
    };
  }

  /** What the flash loan would have netted for a plan that takes the wallet's tokens, or why there is none. */
  private describeAlternative(choice: CapitalChoice | undefined) {
    if (choice?.flash) return { expectedProfitUsd: formatBase(choice.flash.expectedProfitBase, this.watcher.market.baseCurrencyUnit) };
    return { skip: choice?.flashSkip ?? "no wallet-free plan" };
  }

  /** A user's wallet plan and, with a liquidator, the wallet-free one (the contract calls the pool). */
  private planCandidate(user: Address, snapshot: MarketSnapshot, gas: GasModel): CapitalCandidate {
    const wallet = this.plan(user, snapshot, gas);
    if (!this.flash) return { wallet };
    const free = this.plan(user, snapshot, gas, { walletBalances: undefined, liquidator: this.flash.liquidator });
    return { wallet, free };
  }

  /**
   * The best liquidation of `user` at the next block's predicted timestamp, or undefined (logged):
   * by default from the wallet (its balances, the wallet as liquidator).
   */
  private plan(
    user: Address,
    snapshot: MarketSnapshot,
    gas: GasModel,
    from: { walletBalances: ReadonlyMap<number, bigint> | undefined; liquidator: Address | undefined } = {
      walletBalances: this.options.dryRun && !this.flash ? undefined : this.wallet.view,
      // The wallet calls the pool: 3.4+ refuses self-liquidation.
      liquidator: this.executor.address,
    },
  ): LiquidationPlan | undefined {
    const position = this.watcher.book.get(user);
    if (!position) return undefined;
    const account = compileAccount(position, this.watcher.rules);
    evaluateAccount(account, snapshot);
    const result = planLiquidation(account, snapshot, {
      gas,
      walletBalances: from.walletBalances,
      minProfitBase: this.minProfitBase(),
      blockNumber: this.watcher.head.number,
      symbols: this.symbols,
      liquidator: from.liquidator,
      leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR,
    });
    if (!result.best) {
      this.log.debug({ user, reason: result.skip, from: from.liquidator }, "not liquidating");
      return undefined;
    }
    return result.best;
  }

  private minProfitBase(): bigint {
    return (BigInt(Math.round(this.options.minProfitUsd * 1e6)) * this.watcher.market.baseCurrencyUnit) / 1_000_000n;
  }

  private forgetLoggedOpportunities(candidates: readonly Address[]): void {
    if (this.loggedOpportunities.size === 0) return;
    const now = new Set(candidates.map((c) => c.toLowerCase()));
    for (const user of this.loggedOpportunities.keys()) if (!now.has(user)) this.loggedOpportunities.delete(user);
  }

  private gasModel(snapshot: MarketSnapshot): GasModel {
    const o = this.options;
    const { baseFeePerGas } = this.watcher.head;
    const [priority, cap] = [gweiToWei(o.priorityFeeGwei), gweiToWei(o.maxFeeGwei)];
    return gasModel(snapshot.market, this.nativeId, baseFeePerGas, priority, cap, this.liquidationCallGas);
  }

  private predictedSnapshot(): MarketSnapshot {
    const head = this.watcher.head;
    return snapshotMarket(this.watcher.market, this.watcher.rules, head.timestamp + this.blockTime());
  }

  /** Median of the recent block intervals; 12 s (Ethereum) until there are some. */
  private blockTime(): bigint {
    if (this.blockTimes.length === 0) return 12n;
    const sorted = [...this.blockTimes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  private reserveAssets(): { id: number; asset: Address }[] {
    return this.watcher.market.reserves.filter((r) => r !== undefined).map((r) => ({ id: r!.id, asset: r!.asset }));
  }

  private async refreshWallet(assets = this.reserveAssets()): Promise<void> {
    const balances = await this.executor.walletBalances(assets.map((a) => a.asset));
    this.wallet.refresh(
      new Map(assets.map((a) => [a.id, balances.get(a.asset) ?? 0n])),
      this.executor.inFlight().map((t) => t.plan),
    );
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.tick();
        if (failures > 0) this.log.info({ after: failures }, "RPC answers again: resumed");
        failures = 0;
        await this.nap(this.options.pollIntervalMs, signal);
      } catch (err) {
        if (!isRetryable(err)) {
          // A retry cannot fix it (the pool upgraded to an unsupported version, ...): the daemon stops, and the
          // CLI ends the process with the error's exit code and line (src/cli/exit.ts).
          this.log.error({ err: firstLine(err) }, "stopping: an error a retry cannot fix");
          throw err;
        }
        failures++;
        const delay = backoffDelay(failures, 500, 6) * (0.8 + Math.random() * 0.4);
        if (failures === 1) this.log.warn({ err: firstLine(err) }, "RPC error: backing off and retrying");
        else this.log.debug({ err: firstLine(err), failures }, "still failing");
        await sleep(delay, signal);
      }
    }
  }

  /** Waits for the poll interval, or less when a new head is announced over the WebSocket. */
  private nap(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      if (signal.aborted) done();
      else signal.addEventListener("abort", done, { once: true });
    });
  }

  private subscribeNewHeads(wsUrl: string): () => void {
    const ws = createPublicClient({ transport: webSocket(wsUrl, { reconnect: true }) });
    let failing = false;
    const unwatch = ws.watchBlockNumber({
      emitOnBegin: false,
      onBlockNumber: () => {
        if (failing) this.log.info("WS_URL delivers new heads again");
        failing = false;
        this.wake?.();
      },
      onError: (err) => {
        if (!failing) this.log.warn({ err: firstLine(err) }, "WS_URL subscription failed: polling meanwhile");
        failing = true;
      },
    });
    this.log.info({ ws: redactUrl(wsUrl) }, "following new heads over WS_URL");
    return () => {
      unwatch();
      void (ws.transport as { getRpcClient?: () => Promise<{ close: () => void }> })
        .getRpcClient?.()
        .then((c) => c.close())
        .catch(() => undefined);
    };
  }
}

/**
 * The plan's profit as sent: its gas re-priced with what the simulation measured and the fee the
 * transaction is expected to pay (the head's base fee plus the tip, at most its cap), where the plan
 * was chosen with the model's gas at the cap. The figure the mined profit is compared with.
 */
function repricedProfit(plan: LiquidationPlan, tx: SentTx, gas: GasModel, baseFeePerGas: bigint): bigint {
  const expectedFee = baseFeePerGas + tx.maxPriorityFeePerGas;
  const fee = expectedFee < tx.maxFeePerGas ? expectedFee : tx.maxFeePerGas;
  const gasUnits = tx.simulatedNetGas ?? tx.simulatedGas;
  return plan.expectedProfitBase + plan.gasCostBase - gasCostBase({ ...gas, gasUnits, maxFeePerGas: fee });
}

/** For the dry-run line: without a wallet only the pool's checks can be simulated, and they passed. */
function describeSimulation(simulation: SimulationResult) {
  if (simulation.ok) return { ok: true, gas: simulation.gas.toString() };
  if (simulation.reason === NO_WALLET_REASON) return { ok: true, scope: "pool checks only: no wallet to pull the debt from" };
  return { ok: false, reason: simulation.reason };
}

/** Users by debt, largest first (the debt computed once per user). */
function rankByDebt(users: readonly Address[], debtOf: (u: Address) => number): Address[] {
  const withDebt = users.map((u) => ({ u, debt: debtOf(u) }));
  withDebt.sort((a, b) => b.debt - a.debt);
  return withDebt.map((x) => x.u);
}

function opportunityKey(plan: LiquidationPlan): string {
  return `${plan.collateralAsset}:${plan.debtAsset}:${plan.capital ?? "wallet"}`;
}

function formatWad(wad: bigint): string {
  return (Number(wad) / 1e18).toFixed(6);
}

/** Milliseconds since this process started: the clock of the start-up figures. */
function sinceProcessStart(): number {
  return Math.round(performance.now());
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split("\n")[0]!;
}
