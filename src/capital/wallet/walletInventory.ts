// The wallet's debt tokens as the planner may count on them: the balances read from the chain, minus
// what liquidations in flight will pull, minus what the plans of this block already took. Two plans
// never count on the same balance (the second would revert on the token transfer). A plan reserves
// debtReservation(plan): what it repays plus a margin for interest (2^256-1 amounts on 3.6 take the
// whole debt as of the block they are mined in). A flash-loan plan takes nothing from the wallet: the
// Liquidator borrows the debt asset, so it reserves nothing and is always covered.
import { debtReservation, type LiquidationPlan } from "../../scheduler/plan.js";

export class WalletInventory {
  private balances: Map<number, bigint> | undefined;

  /** undefined until the first refresh (dry run: unlimited) */
  get view(): ReadonlyMap<number, bigint> | undefined {
    return this.balances;
  }

  /** Balances by reserve id from the chain; `inFlight` plans' debts are not available. */
  refresh(balances: Map<number, bigint>, inFlight: readonly LiquidationPlan[]): void {
    for (const plan of inFlight.filter(fromWallet)) {
      balances.set(plan.debtReserveId, (balances.get(plan.debtReserveId) ?? 0n) - debtReservation(plan));
    }
    this.balances = balances;
  }

  covers(plan: LiquidationPlan): boolean {
    return !fromWallet(plan) || this.balances === undefined || (this.balances.get(plan.debtReserveId) ?? 0n) >= debtReservation(plan);
  }

  take(plan: LiquidationPlan): void {
    this.add(plan, -debtReservation(plan));
  }

  giveBack(plan: LiquidationPlan): void {
    this.add(plan, debtReservation(plan));
  }

  private add(plan: LiquidationPlan, amount: bigint): void {
    if (this.balances && fromWallet(plan)) this.balances.set(plan.debtReserveId, (this.balances.get(plan.debtReserveId) ?? 0n) + amount);
  }
}

const fromWallet = (plan: LiquidationPlan): boolean => plan.capital !== "flashLoan";
