// The wallet's tokens: balances of each asset (one multicall) and the pool's allowance, approved once
// per asset for good (maxUint256) and remembered, so the hot path never reads it again. Only wallet
// plans use them: a flash-loan plan borrows its debt asset inside the Liquidator's call.
import { encodeFunctionData, maxUint256, type Address, type Hex, type PublicClient } from "viem";
import { mintableErc20Abi } from "../../contracts-abi/aave/index.js";
import { multicallOptions } from "../chain/multicall.js";
import type { Logger } from "../logging.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import type { TxRequest } from "./sender.js";
import type { Fees } from "./fees.js";

/** Allowances at or above this count as "approved for good" (maxUint256 minus what was spent). */
const APPROVED_THRESHOLD = 1n << 255n;
const APPROVAL_TIMEOUT_MS = 120_000;

const lower = (a: string) => a.toLowerCase();

/** The wallet's balance of each asset, in one multicall (zero for every asset without a wallet). */
export async function readBalances(
  client: PublicClient,
  owner: Address | undefined,
  assets: readonly Address[],
): Promise<Map<Address, bigint>> {
  const out = new Map<Address, bigint>();
  if (!owner) {
    for (const a of assets) out.set(a, 0n);
    return out;
  }
  const balances = await client.multicall({
    ...multicallOptions,
    allowFailure: false,
    contracts: assets.map((a) => ({ address: a, abi: mintableErc20Abi, functionName: "balanceOf", args: [owner] }) as const),
  });
  assets.forEach((a, i) => {
    out.set(a, balances[i] ?? 0n);
  });
  return out;
}

/** The debt assets the wallet pays with, once each: those of the wallet plans (flash plans need no token, no approval). */
export function walletDebtAssets(plans: readonly LiquidationPlan[]): Address[] {
  const assets = new Map<string, Address>();
  for (const p of plans) if (p.capital !== "flashLoan") assets.set(lower(p.debtAsset), p.debtAsset);
  return [...assets.values()];
}

export class Approvals {
  private readonly approved = new Set<string>();
  /** assets whose approval is being sent (not asked again meanwhile) */
  private readonly pending = new Set<string>();

  constructor(
    private readonly client: PublicClient,
    private readonly owner: Address,
    /** who pulls the wallet's tokens: the pool, or the Liquidator for owner-funded loans */
    private readonly spender: Address,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the pool's allowance (and the wallet's balance) of each asset not yet known approved, in one
   * multicall; remembers those approved for good. Returns the ones the wallet holds but has not approved.
   */
  /** Whether the spender may pull the wallet's `asset` (known approved for good). */
  has(asset: Address): boolean {
    return this.approved.has(lower(asset));
  }

  async check(assets: readonly Address[]): Promise<Address[]> {
    const todo = [...new Map(assets.map((a) => [lower(a), a])).values()].filter((a) => !this.approved.has(lower(a)));
    if (todo.length === 0) return [];
    const reads = await this.client.multicall({
      ...multicallOptions,
      allowFailure: false,
      contracts: todo.flatMap((a) => [
        { address: a, abi: mintableErc20Abi, functionName: "allowance", args: [this.owner, this.spender] } as const,
        { address: a, abi: mintableErc20Abi, functionName: "balanceOf", args: [this.owner] } as const,
      ]),
    });
    const need: Address[] = [];
    todo.forEach((asset, i) => {
      const allowance = reads[2 * i] ?? 0n;
      const balance = reads[2 * i + 1] ?? 0n;
      if (allowance >= APPROVED_THRESHOLD) this.approved.add(lower(asset));
      else if (balance > 0n) need.push(asset);
    });
    return need;
  }

  /**
   * Approves the spender for maxUint256 on each asset the wallet holds whose allowance is below 2^255;
   * sends those approvals through `send` (the executor's nonce sequence) and waits for them.
   */
  async ensure(
    assets: readonly Address[],
    fees: () => Promise<Fees>,
    withMargin: (gas: bigint) => bigint,
    send: (req: TxRequest) => Promise<{ hash: Hex; nonce: number }>,
  ): Promise<void> {
    const need = (await this.check(assets)).filter((a) => !this.pending.has(lower(a)));
    if (need.length === 0) return;
    for (const a of need) this.pending.add(lower(a));
    try {
      await this.approve(need, fees, withMargin, send);
    } finally {
      for (const a of need) this.pending.delete(lower(a));
    }
  }

  private async approve(
    need: readonly Address[],
    fees: () => Promise<Fees>,
    withMargin: (gas: bigint) => bigint,
    send: (req: TxRequest) => Promise<{ hash: Hex; nonce: number }>,
  ): Promise<void> {
    const feesNow = await fees();
    const sent: { asset: Address; hash: Hex }[] = [];
    for (const asset of need) {
      const data = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [this.spender, maxUint256] });
      const estimate = await this.client.estimateGas({ account: this.owner, to: asset, data });
      const r = await send({ to: asset, data, value: 0n, gas: withMargin(estimate), fees: feesNow });
      this.log.info({ asset, hash: r.hash, nonce: r.nonce }, "approval sent");
      sent.push({ asset, hash: r.hash });
    }
    for (const { asset, hash } of sent) {
      const receipt = await this.client.waitForTransactionReceipt({ hash, timeout: APPROVAL_TIMEOUT_MS, pollingInterval: 250 });
      if (receipt.status !== "success") throw new Error(`executor: approve of ${asset} reverted (tx ${hash})`);
      this.approved.add(lower(asset));
      this.log.info({ asset, hash, block: receipt.blockNumber }, "approval mined");
    }
  }
}
