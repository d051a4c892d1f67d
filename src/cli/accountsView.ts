// Turns the watcher's account book into what `keeper scan` and `keeper inspect` show: per account
// the health factor, totals in USD and, per collateral, the price at which it becomes liquidatable.
import type { Address } from "viem";
import { healthOf } from "../risk/healthFactor.js";
import { liquidationPrices } from "../risk/liquidationPrice.js";
import type { MarketSnapshot } from "../risk/marketSnapshot.js";
import type { AccountHealth } from "../risk/types.js";
import type { Watcher } from "../watcher/watcher.js";

export interface AccountView {
  user: Address;
  eModeCategory: number;
  health: AccountHealth;
  collateral: {
    reserveId: number;
    symbol: string;
    asset: Address;
    balance: bigint;
    decimals: number;
    valueBase: bigint;
    liquidationPrice?: bigint;
    direction?: "down" | "up";
  }[];
  debt: { reserveId: number; symbol: string; asset: Address; balance: bigint; decimals: number; valueBase: bigint }[];
}

export function accountView(watcher: Watcher, user: Address, symbols: ReadonlyMap<number, string>): AccountView | undefined {
  const compiled = watcher.book.compiled(user);
  if (!compiled || !watcher.book.health(user)) return undefined;
  const snapshot: MarketSnapshot = watcher.snapshot;
  const health = healthOf(compiled);
  const prices = new Map(liquidationPrices(compiled, snapshot).map((p) => [p.reserveId, p]));
  const reserve = (id: number) => snapshot.market.reserves[id]!;
  return {
    user: compiled.user,
    eModeCategory: compiled.eModeCategory,
    health,
    collateral: compiled.collateral.map((c) => ({
      reserveId: c.id,
      symbol: symbols.get(c.id) ?? String(c.id),
      asset: reserve(c.id).asset,
      balance: c.bal,
      decimals: reserve(c.id).decimals,
      valueBase: c.base,
      liquidationPrice: prices.get(c.id)?.price,
      direction: prices.get(c.id)?.direction,
    })),
    debt: compiled.debt.map((d) => ({
      reserveId: d.id,
      symbol: symbols.get(d.id) ?? String(d.id),
      asset: reserve(d.id).asset,
      balance: d.varBal + d.stableBal,
      decimals: reserve(d.id).decimals,
      valueBase: d.base,
    })),
  };
}

/** Every account in the book, lowest health factor first. */
export function sortedAccounts(watcher: Watcher, symbols: ReadonlyMap<number, string>, limit = Infinity): AccountView[] {
  const users = Number.isFinite(limit) ? watcher.book.lowest(limit).map((x) => x.user) : [...watcher.book.users()];
  const views = users.map((u) => accountView(watcher, u, symbols)).filter((v): v is AccountView => v !== undefined);
  views.sort((a, b) => (a.health.healthFactor < b.health.healthFactor ? -1 : a.health.healthFactor > b.health.healthFactor ? 1 : 0));
  return views;
}

/** JSON-safe form: bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
