// Simulation: does a pool call go through, and how much gas does it use? Many calls at once: one
// eth_simulateV1 (the calls one after the other in one block, as our consecutive nonces will run;
// about 3x cheaper on anvil than one eth_createAccessList each), else one JSON-RPC batch of
// eth_createAccessList (it executes once and reports the gas; eth_estimateGas binary-searches,
// executing many times). A call that fails there is run again alone through eth_call, which says
// why; a failure never holds the other calls back.
import type { Address, BlockTag, Hex, PublicClient } from "viem";
import type { RpcEndpoint } from "../chain/connections.js";
import { RpcError } from "../chain/rpc.js";
import type { PoolCall } from "./poolCall.js";
import type { LogLike } from "./receipts.js";
import { decodeRevertData, reasonName, revertOf, TOKEN_TRANSFER_ERRORS } from "./revertReason.js";

export type SimulationResult = { ok: true; gas: bigint } | { ok: false; reason: string };
/** reverted: false when the failure is not a revert (an RPC failure): nothing is known about the call. */
export type Simulation = { ok: true; gas: bigint; netGas?: bigint; logs?: LogLike[] } | { ok: false; reason: string; reverted: boolean };
// `gas` carries the refund margin (what a gas limit needs); `netGas`, when the node reported it, is the
// gas the call used net of refunds, what its receipt will say (the keeper prices the plan with it);
// `logs`, when the node ran the calls in one simulated block (eth_simulateV1), what each emitted.

/** Where a simulation runs: a block tag, or the block the plans were made from (by number). */
export type At = BlockTag | bigint;
const tagOf = (at: At): string => (typeof at === "bigint" ? `0x${at.toString(16)}` : at);

/** The simulation reason in a dry run without a wallet when every pool check passed. */
export const NO_WALLET_REASON = "skipped: no wallet (the pool's checks pass; the debt transfer needs a funded, approved wallet)";

/** Sender for simulations in dry run without a key; holds no tokens. */
const NO_WALLET_SENDER: Address = "0x00000000000000000000000000000000000c0ffe";
const BATCH_TIMEOUT_MS = 15_000;
/** The gas limit of the block eth_simulateV1 runs a sequence in: far more than any real block. */
const SIMULATED_BLOCK_GAS = "0x3b9aca00"; // 1e9

/** gasUsed is net of refunds (at most 1/5 of the gross) and nested calls keep 1/64 back: +5% here and
 *  the gas-limit margin at sending cover both, as eth_estimateGas would (a flash call: see grossGas). */
const withRefundMargin = (gasUsed: bigint) => gasUsed + gasUsed / 20n;

/**
 * The gas a call needs to run, from the gas it uses: a flash liquidation sets and clears the
 * Liquidator's balances and allowances within the call, so its refunds reach EIP-3529's cap and the
 * gross it needs is up to 5/4 of the net gasUsed (measured on the 3.0 sandbox: 612k net simulated,
 * OUT_OF_GAS in the flash loan's repayment at an 803k limit). The gas limit is sized on this; the
 * simulated gas (the in-flight budget: a block counts the net) is not.
 */
export function grossGas(call: PoolCall, gas: bigint): bigint {
  return call.flash ? gas + gas / 4n : gas;
}

export class Simulator {
  private readonly from: Address;
  /** false once the node said it has no eth_simulateV1 */
  private simulateV1 = true;

  constructor(
    private readonly client: PublicClient,
    /** the node, for batches and eth_simulateV1 (the viem client sends one call per request) */
    private readonly node: RpcEndpoint,
    private readonly wallet: Address | undefined,
    private readonly scrub: (text: string) => string,
  ) {
    this.from = wallet ?? NO_WALLET_SENDER;
  }

  /**
   * One call. Without a wallet (dry run, no key) it runs from an empty address: if it gets as far as
   * pulling the debt token, every pool check passed and the result is NO_WALLET_REASON. A call that
   * names its sender (a flash call, from the Liquidator's owner) runs from it in full.
   */
  async one(call: PoolCall, at: At = "latest"): Promise<Simulation> {
    const block = typeof at === "bigint" ? { blockNumber: at } : { blockTag: at };
    const { to, data } = call;
    const account = this.wallet ?? call.from ?? this.from;
    // A node that lacks eth_createAccessList, or a call that reverts, falls through to eth_call.
    if (this.wallet) {
      try {
        const result = (await this.client.createAccessList({ account, to, data, ...block })) as { gasUsed: bigint; error?: string };
        if (!result.error && result.gasUsed > 0n) return { ok: true, gas: withRefundMargin(result.gasUsed), netGas: result.gasUsed };
      } catch {
        // fall through: find the reason
      }
    }
    try {
      await this.client.call({ account, to, data, ...block });
    } catch (err) {
      const r = revertOf(err);
      return this.failure(account, r.reverted, r.reason);
    }
    try {
      return { ok: true, gas: await this.client.estimateGas({ account, to, data, ...block }) };
    } catch (err) {
      const r = revertOf(err);
      return { ok: false, reverted: r.reverted, reason: this.scrub(r.reason) };
    }
  }

  /** A failed call's result. Without a wallet, a call that got as far as pulling the debt token passed
   *  every pool check: NO_WALLET_REASON, not a revert of the plan. */
  private failure(account: Address, reverted: boolean, reason: string): Simulation {
    if (account === NO_WALLET_SENDER && reverted && TOKEN_TRANSFER_ERRORS.has(reasonName(reason))) {
      return { ok: false, reverted: false, reason: NO_WALLET_REASON };
    }
    return { ok: false, reverted, reason: this.scrub(reason) };
  }

  /**
   * Many calls at once: one batched request (one eth_simulateV1 even for a single call: it takes the
   * block's timestamp); the ones that fail in it get `one` (for their reason).
   * `after`: calls that will run before these in the same block (earlier batches): with eth_simulateV1
   * they run first in the simulated block, so the gas (a reserve's index accrual is paid by the first
   * liquidation of a block that touches it) and a swap's output are the ones the block will see.
   */
  async many(calls: readonly PoolCall[], blockTag: At = "latest", after: readonly PoolCall[] = [], time?: bigint): Promise<Simulation[]> {
    if (calls.length === 0) return [];
    const ran = this.simulateV1 ? await this.simulateInOneBlock([...after, ...calls], blockTag, time) : undefined;
    const inBlock = ran?.slice(after.length);
    if (inBlock) {
      // A call that failed in the sequence says why there (its revert data): run alone it would meet
      // another state (without the calls before it, at another timestamp). Without data: alone, for a reason.
      return Promise.all(
        inBlock.map((r, i) => {
          if (r.gas > 0n) return { ok: true as const, gas: withRefundMargin(r.gas), netGas: r.gas, logs: r.logs };
          if (r.revertData !== undefined && r.revertData !== "0x") {
            return this.failure(this.wallet ?? calls[i]!.from ?? this.from, true, decodeRevertData(r.revertData));
          }
          return this.one(calls[i]!, blockTag);
        }),
      );
    }
    if (!this.wallet || calls.length === 1) return Promise.all(calls.map((c) => this.one(c, blockTag)));
    const gases = await this.accessListBatch(calls, blockTag);
    if (!gases) return Promise.all(calls.map((c) => this.one(c, blockTag)));
    return Promise.all(
      gases.map((gas, i) => (gas > 0n ? { ok: true as const, gas: withRefundMargin(gas), netGas: gas } : this.one(calls[i]!, blockTag))),
    );
  }

  /**
   * Gas used by each call run in sequence in one simulated block (0n: it failed), or undefined. `time`:
   * the simulated block's timestamp (the block the calls are for). Without it a node may simulate at
   * the latest block's own timestamp (anvil does), where reserves that block touched need no index
   * update: the first liquidation touching them in the next block uses ~25-35k gas more than simulated.
   */
  private async simulateInOneBlock(
    calls: readonly PoolCall[],
    blockTag: At,
    time?: bigint,
  ): Promise<{ gas: bigint; logs: LogLike[]; revertData?: Hex }[] | undefined> {
    const payload = {
      blockStateCalls: [
        {
          // The sequence may hold more than a block's gas (the calls in flight, a cascade's batches): the
          // simulated block takes them all, each call its own gas.
          blockOverrides: { ...(time !== undefined && { time: `0x${time.toString(16)}` }), gasLimit: SIMULATED_BLOCK_GAS },
          // Without a wallet each call runs from its own sender (a flash call from the Liquidator's owner).
          calls: calls.map((c) => ({
            from: c.origin ?? this.wallet ?? c.from ?? this.from,
            to: c.to,
            data: c.data,
            ...(c.value !== undefined && c.value > 0n && { value: `0x${c.value.toString(16)}` }),
          })),
        },
      ],
      validation: false,
    };
    try {
      type Answer = { calls: { status: Hex; gasUsed: Hex; logs?: LogLike[]; returnData?: Hex; error?: { data?: Hex } }[] }[];
      const [block] = await this.node.request<Answer>("eth_simulateV1", [payload, tagOf(blockTag)], { timeoutMs: BATCH_TIMEOUT_MS });
      if (!block || block.calls.length !== calls.length) return undefined;
      return block.calls.map((c) => ({
        gas: c.status === "0x1" ? BigInt(c.gasUsed) : 0n,
        logs: c.logs ?? [],
        ...(c.status !== "0x1" && { revertData: c.error?.data ?? c.returnData }),
      }));
    } catch (err) {
      const missing = err instanceof RpcError && (err.code === -32601 || /not (found|supported|available)|unsupported/i.test(err.message));
      if (missing) this.simulateV1 = false;
      return undefined;
    }
  }

  /** Gas used by each call, from one batch of eth_createAccessList (0n: it failed), or undefined. */
  private async accessListBatch(calls: readonly PoolCall[], blockTag: At): Promise<bigint[] | undefined> {
    const requests = calls.map((c) => ({
      method: "eth_createAccessList",
      params: [{ from: this.from, to: c.to, data: c.data }, tagOf(blockTag)],
    }));
    try {
      const answers = await this.node.batch<{ gasUsed?: Hex; error?: string }>(requests, BATCH_TIMEOUT_MS);
      return answers.map((a) => (a.ok && !a.result.error && a.result.gasUsed ? BigInt(a.result.gasUsed) : 0n));
    } catch {
      // An endpoint that refuses batches: one request per call.
      return undefined;
    }
  }
}
