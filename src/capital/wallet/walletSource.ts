// The wallet's own tokens as a capital source: the plan repays what the wallet holds of the debt
// asset (less what liquidations in flight and this round's earlier plans take, walletInventory.ts),
// the wallet (or the Liquidator on its behalf) calling the pool. Without balances (a dry run without
// a liquidator) the wallet counts as unlimited: the plan is the pool's, checked by simulation.
import type { Address } from "viem";
import type { CompiledAccount } from "../../risk/healthFactor.js";
import type { LiquidationPlan } from "../../scheduler/plan.js";
import { LEFTOVER_MARGIN_DIVISOR, planLiquidation } from "../../scheduler/profit.js";
import { firstLine } from "../../errors.js";
import type { Logger } from "../../logging.js";
import type { CapitalSource, RoundTerms, SourcePlan } from "../source.js";
import { WalletInventory } from "./walletInventory.js";

export interface WalletSourceOptions {
  /** who calls Pool.liquidationCall: 3.4+ refuses self-liquidation (undefined: not checked) */
  liquidator: () => Address | undefined;
  /** false: plan as if the wallet held every debt token (a dry run without a liquidator) */
  limited: boolean;
}

/** What refreshing the wallet needs of the executor (which owns the key and its approvals). */
export interface WalletAccess {
  walletBalances(assets: readonly Address[]): Promise<Map<Address, bigint>>;
  approved(asset: Address): boolean;
  ensureApprovals(assets: readonly Address[]): Promise<unknown>;
  inFlight(): readonly { plans: readonly LiquidationPlan[] }[];
}

export class WalletSource implements CapitalSource {
  readonly kind = "wallet" as const;
  readonly inventory = new WalletInventory();

  constructor(private readonly options: WalletSourceOptions) {}

  async prepare(): Promise<void> {
    // The balances are read after each block's receipts (refresh), not per round.
  }

  plan(account: CompiledAccount, terms: RoundTerms): SourcePlan {
    const result = planLiquidation(account, terms.snapshot, {
      gas: terms.gas,
      walletBalances: this.options.limited ? this.inventory.view : undefined,
      minProfitBase: terms.minProfitBase,
      blockNumber: terms.blockNumber,
      symbols: terms.symbols,
      liquidator: this.options.liquidator(),
      leftoverMarginDivisor: LEFTOVER_MARGIN_DIVISOR,
    });
    return result.best ? { plan: result.best } : { skip: result.skip ?? "no plan" };
  }

  /**
   * The wallet's balances, of the assets it may already pay with: a token it holds but has not approved
   * yet (a profit just received) is approved now when `approveNew`, off the hot path, and counts from
   * the next round on (a simulation at the plans' block would not see an approval mined after it).
   */
  async refresh(wallet: WalletAccess, assets: readonly { id: number; asset: Address }[], approveNew: boolean, log: Logger): Promise<void> {
    const balances = await wallet.walletBalances(assets.map((a) => a.asset));
    const unapproved = assets.filter((a) => (balances.get(a.asset) ?? 0n) > 0n && !wallet.approved(a.asset)).map((a) => a.asset);
    if (unapproved.length > 0 && approveNew) {
      wallet.ensureApprovals(unapproved).catch((err: unknown) => log.warn({ err: firstLine(err) }, "approval failed: retried later"));
    }
    this.inventory.refresh(
      new Map(assets.map((a) => [a.id, wallet.approved(a.asset) ? (balances.get(a.asset) ?? 0n) : 0n])),
      wallet.inFlight().flatMap((t) => t.plans),
    );
  }

  /** Every asset the wallet holds approved (awaited), then its balances read again; how many it holds. */
  async approveHeld(wallet: WalletAccess, assets: readonly { id: number; asset: Address }[], log: Logger): Promise<number> {
    const balances = await wallet.walletBalances(assets.map((a) => a.asset));
    const held = assets.filter((a) => (balances.get(a.asset) ?? 0n) > 0n).map((a) => a.asset);
    await wallet.ensureApprovals(held);
    await this.refresh(wallet, assets, true, log);
    return held.length;
  }

  covers(plan: LiquidationPlan): boolean {
    return this.inventory.covers(plan);
  }

  take(plan: LiquidationPlan): void {
    this.inventory.take(plan);
  }

  giveBack(plan: LiquidationPlan): void {
    this.inventory.giveBack(plan);
  }
}
