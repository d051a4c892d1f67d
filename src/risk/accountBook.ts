// The set of tracked accounts, their last computed health, and the reverse index
// reserve id -> accounts exposed to it (collateral or borrowing bit set), so that a price or index
// change of one reserve re-evaluates only the accounts that hold it.
//
// Layout: each account has a slot number. What the per-block scan reads (positions as floats and the
// HF bracket) sits in one Float64Array at slot·PACKED_STRIDE, so scanning 100k accounts — or the 15%
// exposed to one asset — touches contiguous memory instead of chasing objects across the heap (that
// alone made the incremental pass ~6x faster). The bigint CompiledAccount per slot is only touched when
// the float bracket cannot decide (HF within ~1e-4 of 1) or when exact figures are asked for.
import { compileAccount, evaluateAccount, healthOf, type CompiledAccount } from "./healthFactor.js";
import { surelyHealthy, worstHealthFactor } from "./healthBound.js";
import { PACKED_STRIDE, packAccount, screenAccount, screenPacked } from "./healthScreen.js";
import { eModeView, type MarketSnapshot } from "./marketSnapshot.js";
import type { ProtocolRules } from "./rules.js";
import type { AccountHealth, AccountPosition, Address } from "./types.js";
import { MAX_RESERVES_COUNT } from "./userConfiguration.js";

interface Entry {
  readonly slot: number;
  readonly position: AccountPosition;
  readonly compiled: CompiledAccount;
  /** false: screened through `compiled` (stable debt or many positions) */
  readonly packed: boolean;
  liquidatable: boolean;
}

export interface AccountBookOptions {
  /**
   * true (default): decide clearly healthy / clearly liquidatable accounts with the float bracket of
   * healthScreen.ts and run the bigint evaluation only near HF = 1 and on demand (health(), lowest()).
   * false: exact bigint evaluation of every account on every recompute. Results are identical.
   */
  screening?: boolean;
}

export class AccountBook {
  private readonly bySlot: (Entry | undefined)[] = [];
  private readonly byUser = new Map<string, Entry>();
  private readonly freeSlots: number[] = [];
  /** Snapshot each slot was last evaluated against (exact or screened). */
  private readonly snapOf: (MarketSnapshot | undefined)[] = [];
  private packedData = new Float64Array(1024 * PACKED_STRIDE);
  /** index = reserve id; values = slots */
  private readonly exposure: Set<number>[] = Array.from({ length: MAX_RESERVES_COUNT }, () => new Set<number>());
  private readonly liquidatableSet = new Set<Entry>();
  private readonly screening: boolean;
  /** Accounts evaluated by the last recompute* call. */
  lastRecomputeCount = 0;
  /** Of those, how many needed the exact bigint evaluation. */
  lastExactCount = 0;

  constructor(
    private readonly rules: ProtocolRules,
    options: AccountBookOptions = {},
  ) {
    this.screening = options.screening ?? true;
  }

  get size(): number {
    return this.byUser.size;
  }

  /** Adds or replaces a user's position; its health is unknown until a recompute covers it. */
  upsert(position: AccountPosition): void {
    const key = position.user.toLowerCase();
    const old = this.byUser.get(key);
    if (old !== undefined) this.unlink(old);
    const slot = this.freeSlots.pop() ?? this.bySlot.length;
    const compiled = compileAccount(position, this.rules);
    if ((slot + 1) * PACKED_STRIDE > this.packedData.length) {
      const grown = new Float64Array(this.packedData.length * 2);
      grown.set(this.packedData);
      this.packedData = grown;
    }
    const packed = packAccount(compiled, this.packedData, slot * PACKED_STRIDE);
    const entry: Entry = { slot, position, compiled, packed, liquidatable: false };
    this.bySlot[slot] = entry;
    this.snapOf[slot] = undefined;
    this.byUser.set(key, entry);
    for (const s of compiled.collateral) this.exposure[s.id]!.add(slot);
    for (const s of compiled.debt) this.exposure[s.id]!.add(slot);
  }

  remove(user: Address): boolean {
    const key = user.toLowerCase();
    const e = this.byUser.get(key);
    if (e === undefined) return false;
    this.unlink(e);
    this.byUser.delete(key);
    return true;
  }

  get(user: Address): AccountPosition | undefined {
    return this.byUser.get(user.toLowerCase())?.position;
  }

  has(user: Address): boolean {
    return this.byUser.has(user.toLowerCase());
  }

  *users(): IterableIterator<Address> {
    for (const e of this.byUser.values()) yield e.position.user;
  }

  usersExposedTo(reserveIds: Iterable<number>): Set<Address> {
    const out = new Set<Address>();
    for (const slot of this.exposedSlots(reserveIds)) out.add(this.bySlot[slot]!.position.user);
    return out;
  }

  /** Re-evaluates every account; returns how many were evaluated. */
  recomputeAll(snapshot: MarketSnapshot): number {
    this.begin(snapshot);
    let n = 0;
    const bySlot = this.bySlot;
    for (let slot = 0; slot < bySlot.length; slot++) {
      const e = bySlot[slot];
      if (e !== undefined) {
        this.evaluate(e, snapshot);
        n++;
      }
    }
    this.lastRecomputeCount = n;
    return n;
  }

  /** Re-evaluates the given users (e.g. those an event marked dirty); unknown users are ignored. */
  recompute(users: Iterable<Address>, snapshot: MarketSnapshot): number {
    this.begin(snapshot);
    let n = 0;
    for (const u of users) {
      const e = this.byUser.get(u.toLowerCase());
      if (e !== undefined) {
        this.evaluate(e, snapshot);
        n++;
      }
    }
    this.lastRecomputeCount = n;
    return n;
  }

  /**
   * Re-evaluates only the accounts exposed to these reserves (their price or index moved). Correct as
   * long as nothing else changed since the other accounts were evaluated.
   */
  recomputeForReserves(reserveIds: Iterable<number>, snapshot: MarketSnapshot): number {
    this.begin(snapshot);
    let n = 0;
    const bySlot = this.bySlot;
    for (const slot of this.exposedSlots(reserveIds)) {
      this.evaluate(bySlot[slot]!, snapshot);
      n++;
    }
    this.lastRecomputeCount = n;
    return n;
  }

  /**
   * A new block's first pass: re-evaluates at `after` only the accounts that can have fallen under 1
   * since `before`: those not evaluated at `before`, those not screened from packed floats (stable
   * debt, many positions), and those whose bracket at `before`, times the worst move any price or
   * index made since (healthBound.ts), is not surely above 1. Every other account keeps its evaluation
   * at `before` until recomputeStale. Returns how many were evaluated.
   */
  recomputeAtRisk(before: MarketSnapshot | undefined, after: MarketSnapshot): number {
    if (before === undefined || before.rules.version !== after.rules.version) return this.recomputeAll(after);
    this.begin(after);
    const factors = new Map<number, number>();
    const factorOf = (category: number) => {
      let f = factors.get(category);
      if (f === undefined) {
        f = worstHealthFactor(before, after, category);
        factors.set(category, f);
      }
      return f;
    };
    const data = this.packedData;
    const bySlot = this.bySlot;
    let n = 0;
    for (let slot = 0; slot < bySlot.length; slot++) {
      const e = bySlot[slot];
      if (e === undefined) continue;
      const o = slot * PACKED_STRIDE;
      if (e.packed && this.snapOf[slot] === before && surelyHealthy(data[o]!, data[o + 1]!, factorOf(e.compiled.eModeCategory))) continue;
      this.evaluate(e, after);
      n++;
    }
    this.lastRecomputeCount = n;
    return n;
  }

  /** Re-evaluates every account not evaluated at `snapshot` yet (after recomputeAtRisk). */
  recomputeStale(snapshot: MarketSnapshot): number {
    this.begin(snapshot);
    let n = 0;
    const bySlot = this.bySlot;
    for (let slot = 0; slot < bySlot.length; slot++) {
      const e = bySlot[slot];
      if (e === undefined || this.snapOf[slot] === snapshot) continue;
      this.evaluate(e, snapshot);
      n++;
    }
    this.lastRecomputeCount = n;
    return n;
  }

  /** Exact Pool.getUserAccountData figures at the last evaluation; undefined if unknown or never evaluated. */
  health(user: Address): AccountHealth | undefined {
    const e = this.byUser.get(user.toLowerCase());
    if (e === undefined) return undefined;
    const snap = this.snapOf[e.slot];
    if (snap === undefined) return undefined;
    e.compiled.snapshot = snap;
    return healthOf(e.compiled);
  }

  /**
   * The account's debt in base units at its last evaluation, from floats: a ranking key, cheap where
   * health() runs the exact path (which rounds each balance to whole token units: up to ~1e-5 apart on
   * small balances of few-decimal tokens). Stable debt at its last computed balance.
   */
  debtEstimate(user: Address): number {
    const e = this.byUser.get(user.toLowerCase());
    const snap = e === undefined ? undefined : this.snapOf[e.slot];
    if (e === undefined || snap === undefined) return 0;
    const view = snap.views[e.compiled.eModeCategory] ?? eModeView(snap, e.compiled.eModeCategory);
    let debt = 0;
    for (const d of e.compiled.debt) {
      const r = snap.reserves[d.id];
      if (r === undefined) continue;
      const balance = d.fScaled * r.fDebtIndex + (d.stable !== null ? Number(d.stableBal) : 0);
      debt += balance * view.fPriceOverUnit[d.id]!;
    }
    return debt;
  }

  /** Users with HF < 1e18 at their last evaluation (exact). */
  liquidatable(): Address[] {
    const out: Address[] = [];
    for (const e of this.liquidatableSet) out.push(e.position.user);
    return out;
  }

  /** The n evaluated accounts with the lowest health factor, lowest first (exact order). */
  lowest(n: number): { user: Address; health: AccountHealth }[] {
    if (n <= 0) return [];
    // Each account carries a bracket [hfLo, hfHi] around its exact HF. The n-th smallest hfHi bounds
    // the n-th smallest exact HF, so only accounts with hfLo below it can be in the answer; those few
    // get their exact HF and are sorted by it.
    const data = this.packedData;
    const his: number[] = [];
    for (let slot = 0; slot < this.bySlot.length; slot++) {
      if (this.bySlot[slot] !== undefined && this.snapOf[slot] !== undefined) his.push(data[slot * PACKED_STRIDE + 1]!);
    }
    if (his.length === 0) return [];
    const bound = nthSmallest(his, Math.min(n, his.length) - 1);
    const out: { user: Address; health: AccountHealth }[] = [];
    for (let slot = 0; slot < this.bySlot.length; slot++) {
      const e = this.bySlot[slot];
      if (e === undefined || this.snapOf[slot] === undefined || data[slot * PACKED_STRIDE]! > bound) continue;
      out.push({ user: e.position.user, health: this.health(e.position.user)! });
    }
    out.sort((a, b) => (a.health.healthFactor < b.health.healthFactor ? -1 : a.health.healthFactor > b.health.healthFactor ? 1 : 0));
    return out.slice(0, n);
  }

  /** The compiled form (per-position bigint values of its last exact evaluation), for the scheduler. */
  compiled(user: Address): CompiledAccount | undefined {
    const e = this.byUser.get(user.toLowerCase());
    if (e === undefined) return undefined;
    const snap = this.snapOf[e.slot];
    if (snap !== undefined && e.compiled.exactSnapshot !== snap) evaluateAccount(e.compiled, snap);
    return e.compiled;
  }

  private begin(snapshot: MarketSnapshot): void {
    if (snapshot.rules !== this.rules && snapshot.rules.version !== this.rules.version) {
      throw new Error(`snapshot built with ${snapshot.rules.version} rules, book uses ${this.rules.version}`);
    }
    this.lastExactCount = 0;
  }

  private evaluate(e: Entry, snapshot: MarketSnapshot): void {
    const data = this.packedData;
    const o = e.slot * PACKED_STRIDE;
    this.snapOf[e.slot] = snapshot;
    let decided: boolean;
    if (!this.screening) decided = false;
    else if (e.packed) decided = screenPacked(data, o, e.compiled.eModeCategory, snapshot);
    else {
      decided = screenAccount(e.compiled, snapshot);
      data[o] = e.compiled.hfLo;
      data[o + 1] = e.compiled.hfHi;
    }
    let liq: boolean;
    if (decided) liq = data[o + 1]! < 1;
    else {
      const acc = e.compiled;
      evaluateAccount(acc, snapshot);
      this.lastExactCount++;
      data[o] = acc.hfLo;
      data[o + 1] = acc.hfHi;
      liq = acc.hfHi < 1 ? true : acc.hfLo >= 1 ? false : healthOf(acc).healthFactor < this.rules.liquidationThreshold;
    }
    if (liq !== e.liquidatable) {
      e.liquidatable = liq;
      if (liq) this.liquidatableSet.add(e);
      else this.liquidatableSet.delete(e);
    }
  }

  private exposedSlots(reserveIds: Iterable<number>): Iterable<number> {
    const ids = [...reserveIds];
    if (ids.length === 1) return this.exposure[ids[0]!] ?? [];
    const out = new Set<number>();
    for (const id of ids) for (const slot of this.exposure[id] ?? []) out.add(slot);
    return out;
  }

  private unlink(e: Entry): void {
    for (const s of e.compiled.collateral) this.exposure[s.id]!.delete(e.slot);
    for (const s of e.compiled.debt) this.exposure[s.id]!.delete(e.slot);
    this.liquidatableSet.delete(e);
    this.bySlot[e.slot] = undefined;
    this.snapOf[e.slot] = undefined;
    this.freeSlots.push(e.slot);
  }
}

/** k-th smallest (0-based) by quickselect (reorders `xs`). */
function nthSmallest(xs: number[], k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k]!;
  }
  return xs[k]!;
}
