// Simulation: does a pool call go through, and how much gas does it use? One eth_createAccessList
// per call (it executes once and reports the gas; eth_estimateGas binary-searches, executing many
// times), many calls in one JSON-RPC batch. A call that fails there is run again through eth_call,
// which says why; a failure never holds the other calls back.
import type { Address, BlockTag, Hex, PublicClient } from "viem";
import { rpcBatch } from "../chain/rpcBatch.js";
import type { PoolCall } from "./poolCall.js";
import { reasonName, revertOf, TOKEN_TRANSFER_ERRORS } from "./revertReason.js";

export type SimulationResult = { ok: true; gas: bigint } | { ok: false; reason: string };
/** reverted: false when the failure is not a revert (an RPC failure): nothing is known about the call. */
export type Simulation = { ok: true; gas: bigint } | { ok: false; reason: string; reverted: boolean };

/** The simulation reason in a dry run without a wallet when every pool check passed. */
export const NO_WALLET_REASON = "skipped: no wallet (the pool's checks pass; the debt transfer needs a funded, approved wallet)";

/** Sender for simulations in dry run without a key; holds no tokens. */
const NO_WALLET_SENDER: Address = "0x00000000000000000000000000000000000c0ffe";
const BATCH_TIMEOUT_MS = 15_000;

/** gasUsed is net of refunds (at most 1/5 of the gross) and nested calls keep 1/64 back: +5% here and
 *  the gas-limit margin at sending cover both, as eth_estimateGas would. */
const withRefundMargin = (gasUsed: bigint) => gasUsed + gasUsed / 20n;

export class Simulator {
  private readonly from: Address;

  constructor(
    private readonly client: PublicClient,
    /** the node, for batches (the viem client sends one call per request) */
    private readonly url: string,
    private readonly wallet: Address | undefined,
    private readonly scrub: (text: string) => string,
  ) {
    this.from = wallet ?? NO_WALLET_SENDER;
  }

  /**
   * One call. Without a wallet (dry run, no key) it runs from an empty address: if it gets as far as
   * pulling the debt token, every pool check passed and the result is NO_WALLET_REASON.
   */
  async one(call: PoolCall, blockTag: BlockTag = "latest"): Promise<Simulation> {
    const { to, data } = call;
    const account = this.from;
    // A node that lacks eth_createAccessList, or a call that reverts, falls through to eth_call.
    if (this.wallet) {
      try {
        const result = (await this.client.createAccessList({ account, to, data, blockTag })) as { gasUsed: bigint; error?: string };
        if (!result.error && result.gasUsed > 0n) return { ok: true, gas: withRefundMargin(result.gasUsed) };
      } catch {
        // fall through: find the reason
      }
    }
    try {
      await this.client.call({ account, to, data, blockTag });
    } catch (err) {
      const r = revertOf(err);
      if (!this.wallet && r.reverted && TOKEN_TRANSFER_ERRORS.has(reasonName(r.reason))) return { ok: false, reverted: false, reason: NO_WALLET_REASON };
      return { ok: false, reverted: r.reverted, reason: this.scrub(r.reason) };
    }
    try {
      return { ok: true, gas: await this.client.estimateGas({ account, to, data, blockTag }) };
    } catch (err) {
      const r = revertOf(err);
      return { ok: false, reverted: r.reverted, reason: this.scrub(r.reason) };
    }
  }

  /** Many calls at once: one batched request; the ones that fail in it get `one` (for their reason). */
  async many(calls: readonly PoolCall[], blockTag: BlockTag = "latest"): Promise<Simulation[]> {
    if (calls.length === 0) return [];
    if (!this.wallet || calls.length === 1) return Promise.all(calls.map((c) => this.one(c, blockTag)));
    const requests = calls.map((c) => ({ method: "eth_createAccessList", params: [{ from: this.from, to: c.to, data: c.data }, blockTag] }));
    let answers: Awaited<ReturnType<typeof rpcBatch<{ gasUsed?: Hex; error?: string }>>>;
    try {
      answers = await rpcBatch<{ gasUsed?: Hex; error?: string }>(this.url, requests, BATCH_TIMEOUT_MS);
    } catch {
      // An endpoint that refuses batches: one request per call.
      return Promise.all(calls.map((c) => this.one(c, blockTag)));
    }
    return Promise.all(
      answers.map((a, i) => {
        const gasUsed = a.ok && !a.result.error && a.result.gasUsed ? BigInt(a.result.gasUsed) : 0n;
        return gasUsed > 0n ? { ok: true as const, gas: withRefundMargin(gasUsed) } : this.one(calls[i]!, blockTag);
      }),
    );
  }
}
