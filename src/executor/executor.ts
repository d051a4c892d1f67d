// The executor: the one object that owns the keeper wallet's nonce. It simulates a liquidationCall,
// signs it locally, sends it (public mempool or a private relay), and follows it block by block until
// it is mined, reverted, replaced or dropped. Nothing that would revert is sent; one transaction per
// user at a time.
import {
  decodeEventLog,
  encodeFunctionData,
  formatGwei,
  keccak256,
  maxUint256,
  TransactionReceiptNotFoundError,
  type Address,
  type BlockTag,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { mintableErc20Abi, poolAbi } from "../../contracts-abi/aave/index.js";
import { multicallOptions } from "../chain/multicall.js";
import { redactUrl, rpc, RpcError } from "../chain/rpc.js";
import type { Logger } from "../logging.js";
import type { LiquidationPlan } from "../scheduler/plan.js";
import { gweiToWei, initialFees, replacementFees, type Fees } from "./fees.js";
import { reasonName, revertOf, TOKEN_TRANSFER_ERRORS } from "./revertReason.js";

export interface ExecutorOptions {
  /** reads (the watcher's client) */
  publicClient: PublicClient;
  /** where signed transactions go (public mempool) */
  rpcUrl: string;
  /** if set, eth_sendRawTransaction goes there instead (a private relay); reads still use publicClient */
  privateTxUrl?: string;
  /** required unless dryRun; never logged, never in an error */
  privateKey?: `0x${string}`;
  chainId: number;
  pool: Address;
  /** cap on maxFeePerGas */
  maxFeeGwei: number;
  /** maxPriorityFeePerGas */
  priorityFeeGwei: number;
  /** replace a transaction not mined after this many blocks */
  txTimeoutBlocks: number;
  dryRun: boolean;
  logger: Logger;
  /** applied to the simulation's gas estimate (default 1.25) */
  gasLimitMultiplier?: number;
}

export type SimulationResult = { ok: true; gas: bigint } | { ok: false; reason: string };

/** The simulation reason in a dry run without a wallet when every pool check passed. */
export const NO_WALLET_REASON = "skipped: no wallet (the pool's checks pass; the debt transfer needs a funded, approved wallet)";

export interface SentTx {
  hash: Hex;
  nonce: number;
  plan: LiquidationPlan;
  /** the head block when this hash (the latest replacement) was sent */
  sentAtBlock: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  replacements: number;
  /** all hashes sent for this nonce, oldest first */
  hashes: Hex[];
}

export type TxOutcome =
  | { kind: "mined"; tx: SentTx; hash: Hex; blockNumber: bigint; gasUsed: bigint; effectiveGasPrice: bigint; debtRepaid: bigint; collateralReceived: bigint }
  | { kind: "reverted"; tx: SentTx; hash: Hex; blockNumber: bigint; reason: string }
  | { kind: "replaced"; tx: SentTx; hash: Hex }
  | { kind: "dropped"; tx: SentTx; reason: string };

export type SubmitResult = { kind: "sent"; tx: SentTx } | { kind: "dry-run"; simulation: SimulationResult } | { kind: "skipped"; reason: string };

/** Allowances at or above this count as "approved for good" (maxUint256 minus what was spent). */
const APPROVED_THRESHOLD = 1n << 255n;
const DEFAULT_GAS_LIMIT_MULTIPLIER = 1.25;
const SEND_TIMEOUT_MS = 10_000;
const APPROVAL_TIMEOUT_MS = 120_000;
const CANCEL_GAS = 21_000n;
/** Sender for simulations in dry run without a key; holds no tokens. */
const NO_WALLET_SENDER: Address = "0x00000000000000000000000000000000000c0ffe";

type SimulationInternal = { ok: true; gas: bigint } | { ok: false; reason: string; /** false: not a revert (RPC failure) */ reverted: boolean };

type SendFailureKind = "nonce-too-low" | "underpriced" | "other";
type SendResult = { ok: true; hash: Hex } | { ok: false; kind: SendFailureKind; message: string };

interface TxRequest {
  to: Address;
  data: Hex;
  value: bigint;
  gas: bigint;
  fees: Fees;
}

interface Flight {
  tx: SentTx;
  data: Hex;
  gas: bigint;
  /** hashes of 0-value self-transfers sent to cancel the liquidation */
  cancelHashes: Set<Hex>;
  cancelReason?: string;
  /** the "cannot bump under the cap" warning was logged (once per incident) */
  capWarned: boolean;
}

/** Runs async sections one at a time, in call order. */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lower = (a: string) => a.toLowerCase();

function copyTx(tx: SentTx): SentTx {
  return { ...tx, hashes: [...tx.hashes] };
}

function pair(plan: LiquidationPlan): string {
  return `${plan.collateralSymbol ?? plan.collateralAsset}/${plan.debtSymbol ?? plan.debtAsset}`;
}

export class Executor {
  readonly address: Address | undefined;

  // ES private fields: not enumerable, not in JSON or util.inspect, so logging the executor never shows them.
  readonly #account: PrivateKeyAccount | undefined;
  readonly #scrub: (text: string) => string;

  private readonly client: PublicClient;
  private readonly log: Logger;
  private readonly sendUrl: string;
  private readonly cap: bigint;
  private readonly priority: bigint;
  private readonly gasMultiplierPermille: bigint;
  private started = false;
  private nonce = 0;
  private readonly flights = new Map<string, Flight>();
  /** users with a submit between the in-flight check and the send */
  private readonly reserved = new Set<string>();
  private readonly approved = new Set<string>();
  private readonly nonceLock = new Lock();
  private readonly blockLock = new Lock();

  private readonly options: Omit<ExecutorOptions, "privateKey">;

  constructor(options: ExecutorOptions) {
    const { privateKey } = options;
    if (!options.dryRun && !privateKey) throw new Error("executor: a private key is required unless in dry run");
    if (privateKey) {
      try {
        this.#account = privateKeyToAccount(privateKey);
      } catch {
        // No cause: the underlying error may quote the input.
        throw new Error("executor: the private key is not a valid 32-byte hex secp256k1 key");
      }
      const bare = privateKey.replace(/^0x/i, "").toLowerCase();
      this.#scrub = (text) => text.split(new RegExp(bare, "gi")).join("<redacted>");
    } else {
      this.#scrub = (text) => text;
    }
    // Keep nothing that holds the key in a plain field.
    const { privateKey: _key, ...rest } = options;
    this.options = rest;
    this.address = this.#account?.address;
    this.client = options.publicClient;
    this.log = options.logger.child({ module: "executor" });
    this.sendUrl = options.privateTxUrl ?? options.rpcUrl;
    this.cap = gweiToWei(options.maxFeeGwei);
    this.priority = gweiToWei(options.priorityFeeGwei);
    const multiplier = options.gasLimitMultiplier ?? DEFAULT_GAS_LIMIT_MULTIPLIER;
    if (!(multiplier >= 1) || !Number.isFinite(multiplier)) throw new Error(`executor: gasLimitMultiplier must be >= 1, got ${multiplier}`);
    this.gasMultiplierPermille = BigInt(Math.ceil(multiplier * 1000));
    if (!Number.isInteger(options.txTimeoutBlocks) || options.txTimeoutBlocks < 1) {
      throw new Error(`executor: txTimeoutBlocks must be a positive integer, got ${options.txTimeoutBlocks}`);
    }
  }

  /** Checks the chain id (of the read client and of the public send URL) and reads the nonce ("pending"). */
  async start(): Promise<void> {
    const chainId = await this.client.getChainId();
    if (chainId !== this.options.chainId) throw new Error(`executor: the RPC is on chain ${chainId}, expected ${this.options.chainId}`);
    if (!this.options.dryRun && !this.options.privateTxUrl && this.options.rpcUrl) {
      const sendChain = Number(await rpc<Hex>(this.options.rpcUrl, "eth_chainId"));
      if (sendChain !== chainId) throw new Error(`executor: ${redactUrl(this.options.rpcUrl)} is on chain ${sendChain}, expected ${chainId}`);
    }
    if (this.address) {
      this.nonce = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
      const balance = await this.client.getBalance({ address: this.address });
      if (balance === 0n && !this.options.dryRun) this.log.warn({ address: this.address }, "keeper wallet has no ETH for gas");
    }
    this.started = true;
    this.log.info(
      { address: this.address ?? null, nonce: this.address ? this.nonce : null, chainId, dryRun: this.options.dryRun, relay: this.options.privateTxUrl ? redactUrl(this.options.privateTxUrl) : null },
      "executor started",
    );
  }

  /** The wallet's balance of each asset, in one multicall (zero for every asset without a wallet). */
  async walletBalances(assets: readonly Address[]): Promise<Map<Address, bigint>> {
    const out = new Map<Address, bigint>();
    if (!this.address) {
      for (const a of assets) out.set(a, 0n);
      return out;
    }
    const owner = this.address;
    const balances = await this.client.multicall({
      ...multicallOptions,
      allowFailure: false,
      contracts: assets.map((a) => ({ address: a, abi: mintableErc20Abi, functionName: "balanceOf", args: [owner] }) as const),
    });
    assets.forEach((a, i) => out.set(a, balances[i] ?? 0n));
    return out;
  }

  /**
   * Approves the pool for maxUint256 on each asset the wallet holds whose allowance is below 2^255;
   * sends those approvals, waits for them, and remembers approved assets (no read next time).
   */
  async ensureApprovals(assets: readonly Address[]): Promise<void> {
    if (this.options.dryRun || !this.address) return;
    await this.ensureStarted();
    const owner = this.address;
    const pool = this.options.pool;
    const todo = [...new Map(assets.map((a) => [lower(a), a])).values()].filter((a) => !this.approved.has(lower(a)));
    if (todo.length === 0) return;
    const reads = await this.client.multicall({
      ...multicallOptions,
      allowFailure: false,
      contracts: todo.flatMap((a) => [
        { address: a, abi: mintableErc20Abi, functionName: "allowance", args: [owner, pool] } as const,
        { address: a, abi: mintableErc20Abi, functionName: "balanceOf", args: [owner] } as const,
      ]),
    });
    const need: Address[] = [];
    todo.forEach((asset, i) => {
      const allowance = reads[2 * i] ?? 0n;
      const balance = reads[2 * i + 1] ?? 0n;
      if (allowance >= APPROVED_THRESHOLD) this.approved.add(lower(asset));
      else if (balance > 0n) need.push(asset);
    });
    if (need.length === 0) return;

    const block = await this.client.getBlock({ blockTag: "latest" });
    const fees = initialFees(block.baseFeePerGas ?? 0n, this.priority, this.cap);
    if ("skip" in fees) throw new Error(`executor: cannot send approvals: ${fees.skip}`);
    const sent: { asset: Address; hash: Hex }[] = [];
    for (const asset of need) {
      const data = encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [pool, maxUint256] });
      const estimate = await this.client.estimateGas({ account: owner, to: asset, data });
      const r = await this.nonceLock.run(() => this.sendNew({ to: asset, data, value: 0n, gas: this.withMargin(estimate), fees }));
      if (!r.ok) throw new Error(`executor: approve of ${asset} failed: ${r.message}`);
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

  /**
   * eth_call + eth_estimateGas of the liquidationCall from the wallet at "pending". Without a wallet
   * (dry run, no key) the call runs from an empty address: if it gets as far as pulling the debt
   * token, every pool check passed and the result is "skipped: no wallet".
   */
  async simulate(plan: LiquidationPlan): Promise<SimulationResult> {
    const sim = await this.simulateAt(plan, "pending");
    return sim.ok ? sim : { ok: false, reason: sim.reason };
  }

  async submit(plan: LiquidationPlan, blockNumber: bigint, baseFeePerGas: bigint): Promise<SubmitResult> {
    const key = lower(plan.user);
    const existing = this.flights.get(key);
    if (existing || this.reserved.has(key)) {
      const reason = existing
        ? `a liquidation of this user is already in flight (nonce ${existing.tx.nonce}, ${existing.tx.hash})`
        : "a liquidation of this user is being submitted";
      this.log.debug({ user: plan.user, reason }, "submit refused");
      return { kind: "skipped", reason };
    }
    this.reserved.add(key);
    try {
      const fees = initialFees(baseFeePerGas, this.priority, this.cap);
      if ("skip" in fees) {
        this.log.warn({ user: plan.user, pair: pair(plan), baseFee: formatGwei(baseFeePerGas), maxFeeGwei: this.options.maxFeeGwei }, "tx skipped: fee cap below base fee");
        return { kind: "skipped", reason: fees.skip };
      }
      await this.ensureStarted();
      const sim = await this.simulateAt(plan, "pending");
      if (this.options.dryRun) {
        this.log.info(
          { user: plan.user, pair: pair(plan), simulation: sim.ok ? "ok" : sim.reason, gas: sim.ok ? String(sim.gas) : undefined, maxFeePerGas: formatGwei(fees.maxFeePerGas), expectedProfitBase: String(plan.expectedProfitBase) },
          "dry run: not sent",
        );
        return { kind: "dry-run", simulation: sim.ok ? sim : { ok: false, reason: sim.reason } };
      }
      if (!sim.ok) {
        this.log.info({ user: plan.user, pair: pair(plan), reason: sim.reason }, "simulation failed");
        return { kind: "skipped", reason: `simulation failed: ${sim.reason}` };
      }
      const data = this.liquidationData(plan);
      // The plan's gas (bad-debt burns of other reserves) as a floor: the state it is mined in may add them.
      const simulated = this.withMargin(sim.gas);
      const gas = plan.gasUnits !== undefined && plan.gasUnits > simulated ? plan.gasUnits : simulated;
      const sent = await this.nonceLock.run(() => this.sendNew({ to: this.options.pool, data, value: 0n, gas, fees }));
      if (!sent.ok) {
        this.log.warn({ user: plan.user, pair: pair(plan), error: sent.message }, "tx send failed");
        return { kind: "skipped", reason: `send failed: ${sent.message}` };
      }
      const tx: SentTx = {
        hash: sent.hash, nonce: sent.nonce, plan, sentAtBlock: blockNumber,
        maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, replacements: 0, hashes: [sent.hash],
      };
      this.flights.set(key, { tx, data, gas, cancelHashes: new Set(), capWarned: false });
      this.log.info(
        {
          user: plan.user, pair: pair(plan), nonce: tx.nonce, hash: tx.hash, gas: String(gas),
          maxFeePerGas: formatGwei(tx.maxFeePerGas), maxPriorityFeePerGas: formatGwei(tx.maxPriorityFeePerGas),
          expectedProfitBase: String(plan.expectedProfitBase), relay: this.options.privateTxUrl !== undefined,
        },
        "tx sent",
      );
      return { kind: "sent", tx: copyTx(tx) };
    } finally {
      this.reserved.delete(key);
    }
  }

  /**
   * Follows every in-flight transaction one block further: mined or reverted (a receipt for any of its
   * hashes), dropped (the nonce was used by something else), or replaced (not mined after
   * txTimeoutBlocks: same nonce, higher fees; a cancel when the liquidation would now revert).
   */
  onBlock(blockNumber: bigint, baseFeePerGas: bigint): Promise<TxOutcome[]> {
    return this.blockLock.run(async () => {
      if (this.flights.size === 0 || !this.address) return [];
      // Read the nonce before the receipts: a transaction mined in between then shows a receipt, never "dropped".
      const chainNonce = await this.client.getTransactionCount({ address: this.address, blockTag: "latest" });
      const outcomes: TxOutcome[] = [];
      for (const [key, flight] of [...this.flights]) {
        try {
          const outcome = await this.follow(key, flight, chainNonce, blockNumber, baseFeePerGas);
          if (outcome) outcomes.push(outcome);
        } catch (err) {
          this.log.warn({ hash: flight.tx.hash, nonce: flight.tx.nonce, error: this.errorText(err) }, "in-flight check failed; retrying next block");
        }
      }
      return outcomes;
    });
  }

  inFlight(): SentTx[] {
    return [...this.flights.values()].map((f) => copyTx(f.tx));
  }

  hasInFlight(user: Address): boolean {
    const key = lower(user);
    return this.flights.has(key) || this.reserved.has(key);
  }

  /** Calls `poll` (which should drive onBlock) until nothing is in flight or `timeoutMs` passes; true when empty. */
  async drain(timeoutMs: number, poll: () => Promise<void>): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.flights.size > 0) {
      if (Date.now() >= deadline) return false;
      await poll();
      if (this.flights.size === 0) break;
      await sleep(Math.max(0, Math.min(100, deadline - Date.now())));
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------------

  private async ensureStarted(): Promise<void> {
    if (!this.started) await this.start();
  }

  private withMargin(gas: bigint): bigint {
    return (gas * this.gasMultiplierPermille + 999n) / 1000n;
  }

  private liquidationData(plan: LiquidationPlan): Hex {
    return encodeFunctionData({
      abi: poolAbi,
      functionName: "liquidationCall",
      args: [plan.collateralAsset, plan.debtAsset, plan.user, plan.debtToCover, plan.receiveAToken],
    });
  }

  private errorText(err: unknown): string {
    const text = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
    return this.#scrub(text.split("\n", 1)[0] ?? text);
  }

  private async simulateAt(plan: LiquidationPlan, blockTag: BlockTag): Promise<SimulationInternal> {
    const data = this.liquidationData(plan);
    const to = this.options.pool;
    const account = this.address ?? NO_WALLET_SENDER;
    // One execution on the hot path: eth_createAccessList runs the call once and reports its gas.
    // (eth_estimateGas binary-searches the limit, executing the call many times: ~20 ms on anvil.)
    // A node that lacks it, or a call that reverts, falls through to eth_call, which decodes why.
    if (this.address) {
      try {
        const result = (await this.client.createAccessList({ account, to, data, blockTag })) as { gasUsed: bigint; error?: string };
        // gasUsed is net of refunds (at most 1/5 of the gross) and nested calls keep 1/64 back: +5%
        // here and the ×1.25 margin at sending cover both, as eth_estimateGas would.
        if (!result.error && result.gasUsed > 0n) return { ok: true, gas: result.gasUsed + result.gasUsed / 20n };
      } catch {
        // fall through: find the reason
      }
    }
    try {
      await this.client.call({ account, to, data, blockTag });
    } catch (err) {
      const r = revertOf(err);
      if (!this.address && r.reverted && TOKEN_TRANSFER_ERRORS.has(reasonName(r.reason))) {
        return { ok: false, reverted: false, reason: NO_WALLET_REASON };
      }
      return { ok: false, reverted: r.reverted, reason: this.#scrub(r.reason) };
    }
    try {
      const gas = await this.client.estimateGas({ account, to, data, blockTag });
      return { ok: true, gas };
    } catch (err) {
      const r = revertOf(err);
      return { ok: false, reverted: r.reverted, reason: this.#scrub(r.reason) };
    }
  }

  /** Signs and sends with `nonce`. "Already known" means this very transaction is in the pool: sent. */
  private async sendSigned(nonce: number, req: TxRequest): Promise<SendResult> {
    const account = this.#account;
    if (!account) return { ok: false, kind: "other", message: "no wallet" };
    const raw = await account.signTransaction({
      type: "eip1559", chainId: this.options.chainId, nonce, to: req.to, data: req.data, value: req.value, gas: req.gas,
      maxFeePerGas: req.fees.maxFeePerGas, maxPriorityFeePerGas: req.fees.maxPriorityFeePerGas,
    });
    const hash = keccak256(raw);
    for (let attempt = 0; ; attempt++) {
      try {
        await rpc<Hex>(this.sendUrl, "eth_sendRawTransaction", [raw], { timeoutMs: SEND_TIMEOUT_MS });
        return { ok: true, hash };
      } catch (err) {
        const message = this.errorText(err);
        if (!(err instanceof RpcError)) {
          // Transport failure: the node may or may not have it. Resending the same bytes is safe.
          if (attempt === 0) continue;
          return { ok: false, kind: "other", message };
        }
        if (/already known|already imported|known transaction|AlreadyKnown/i.test(err.message)) return { ok: true, hash };
        if (/nonce too low|nonce has already been used|OldNonce|invalid nonce/i.test(err.message)) return { ok: false, kind: "nonce-too-low", message };
        if (/replacement transaction underpriced|replacement.*underpriced|ReplaceUnderpriced/i.test(err.message)) return { ok: false, kind: "underpriced", message };
        return { ok: false, kind: "other", message };
      }
    }
  }

  /** A new transaction at the next nonce (call under nonceLock). Resyncs the nonce and retries once when it was wrong. */
  private async sendNew(req: TxRequest): Promise<({ ok: true; hash: Hex; nonce: number }) | { ok: false; message: string }> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce;
      const r = await this.sendSigned(nonce, req);
      if (r.ok) {
        this.nonce = nonce + 1;
        return { ok: true, hash: r.hash, nonce };
      }
      if (attempt === 0 && (r.kind === "nonce-too-low" || r.kind === "underpriced")) {
        const before = this.nonce;
        await this.resyncNonce();
        this.log.warn({ reason: r.message, nonceBefore: before, nonceAfter: this.nonce }, "nonce resynced from chain");
        continue;
      }
      return { ok: false, message: r.message };
    }
  }

  /** Next nonce = the chain's pending count, but never one of our own in-flight nonces. */
  private async resyncNonce(): Promise<void> {
    if (!this.address) return;
    const pending = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    let next = pending;
    for (const f of this.flights.values()) if (f.tx.nonce + 1 > next) next = f.tx.nonce + 1;
    this.nonce = next;
  }

  private async findReceipt(hashes: readonly Hex[]): Promise<TransactionReceipt | undefined> {
    const receipts = await Promise.all(
      hashes.map((hash) =>
        this.client.getTransactionReceipt({ hash }).catch((err: unknown) => {
          if (err instanceof TransactionReceiptNotFoundError) return undefined;
          throw err;
        }),
      ),
    );
    return receipts.find((r) => r !== undefined);
  }

  private async follow(key: string, flight: Flight, chainNonce: number, blockNumber: bigint, baseFeePerGas: bigint): Promise<TxOutcome | undefined> {
    const { tx } = flight;
    const receipt = await this.findReceipt(tx.hashes);
    if (receipt) {
      this.flights.delete(key);
      const hash = receipt.transactionHash;
      if (flight.cancelHashes.has(hash)) {
        const reason = `cancelled: ${flight.cancelReason ?? "would revert"}`;
        this.log.info({ user: tx.plan.user, nonce: tx.nonce, hash, block: receipt.blockNumber }, "tx dropped (cancel mined)");
        return { kind: "dropped", tx: copyTx(tx), reason };
      }
      if (receipt.status === "success") {
        const { debtRepaid, collateralReceived } = this.liquidationAmounts(receipt, tx.plan);
        this.log.info(
          {
            user: tx.plan.user, pair: pair(tx.plan), hash, nonce: tx.nonce, block: receipt.blockNumber, gasUsed: String(receipt.gasUsed),
            effectiveGasPrice: formatGwei(receipt.effectiveGasPrice), debtRepaid: String(debtRepaid), collateralReceived: String(collateralReceived),
            expectedDebtRepaid: String(tx.plan.expectedDebtRepaid), expectedCollateral: String(tx.plan.expectedCollateralSeized), replacements: tx.replacements,
          },
          "tx mined",
        );
        return { kind: "mined", tx: copyTx(tx), hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, effectiveGasPrice: receipt.effectiveGasPrice, debtRepaid, collateralReceived };
      }
      const reason = await this.revertReason(receipt, flight);
      this.log.warn({ user: tx.plan.user, pair: pair(tx.plan), hash, nonce: tx.nonce, block: receipt.blockNumber, gasUsed: String(receipt.gasUsed), reason }, "tx reverted");
      return { kind: "reverted", tx: copyTx(tx), hash, blockNumber: receipt.blockNumber, reason };
    }

    if (chainNonce > tx.nonce) {
      this.flights.delete(key);
      if (this.nonce < chainNonce) this.nonce = chainNonce;
      const reason = `nonce ${tx.nonce} was used by another transaction (none of ${tx.hashes.length} hash(es) mined)`;
      this.log.warn({ user: tx.plan.user, nonce: tx.nonce, hashes: tx.hashes, reason }, "tx dropped");
      return { kind: "dropped", tx: copyTx(tx), reason };
    }

    if (blockNumber < tx.sentAtBlock + BigInt(this.options.txTimeoutBlocks)) return undefined;
    return this.replace(flight, blockNumber, baseFeePerGas);
  }

  /**
   * A stuck transaction: re-simulate at "latest" (not "pending": the pending state already holds our own
   * transaction, whose effect makes the liquidation look like it would revert). If it would now revert,
   * cancel with a 0-value self-transfer at the same nonce: 21k gas instead of a ~400k-gas revert, and the
   * nonce is freed sooner. Otherwise the same call with higher fees.
   */
  private async replace(flight: Flight, blockNumber: bigint, baseFeePerGas: bigint): Promise<TxOutcome | undefined> {
    const { tx } = flight;
    const address = this.address!;
    let cancel = flight.cancelHashes.size > 0;
    if (!cancel) {
      const sim = await this.simulateAt(tx.plan, "latest");
      if (!sim.ok && !sim.reverted) {
        this.log.warn({ user: tx.plan.user, nonce: tx.nonce, reason: sim.reason }, "stuck tx: re-simulation failed; keeping it");
        return undefined;
      }
      if (!sim.ok) {
        cancel = true;
        flight.cancelReason = sim.reason;
      } else {
        const gas = this.withMargin(sim.gas);
        if (gas > flight.gas) flight.gas = gas;
      }
    }
    const fees = replacementFees({ maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas }, baseFeePerGas, this.priority, this.cap);
    if ("skip" in fees) {
      if (!flight.capWarned) this.log.warn({ user: tx.plan.user, nonce: tx.nonce, hash: tx.hash, reason: fees.skip }, "stuck tx: cannot bump under the fee cap; waiting");
      flight.capWarned = true;
      return undefined;
    }
    if (fees.maxFeePerGas < baseFeePerGas) {
      // Under the current base fee it cannot be included, and some nodes (anvil, reth) refuse it outright;
      // send it once the base fee is back under the cap.
      if (!flight.capWarned) this.log.warn({ user: tx.plan.user, nonce: tx.nonce, hash: tx.hash, maxFeePerGas: formatGwei(fees.maxFeePerGas), baseFee: formatGwei(baseFeePerGas) }, "stuck tx: the fee cap is below the base fee; waiting");
      flight.capWarned = true;
      return undefined;
    }
    const req: TxRequest = cancel
      ? { to: address, data: "0x", value: 0n, gas: CANCEL_GAS, fees }
      : { to: this.options.pool, data: flight.data, value: 0n, gas: flight.gas, fees };
    const r = await this.nonceLock.run(() => this.sendSigned(tx.nonce, req));
    if (!r.ok) {
      // underpriced: the node wants a larger bump; nonce too low: it was just mined (resolved next block).
      this.log.warn({ user: tx.plan.user, nonce: tx.nonce, error: r.message }, "replacement not accepted; waiting");
      return undefined;
    }
    flight.capWarned = false;
    if (cancel) flight.cancelHashes.add(r.hash);
    tx.hashes.push(r.hash);
    tx.hash = r.hash;
    tx.replacements += 1;
    tx.sentAtBlock = blockNumber;
    tx.maxFeePerGas = fees.maxFeePerGas;
    tx.maxPriorityFeePerGas = fees.maxPriorityFeePerGas;
    this.log.info(
      {
        user: tx.plan.user, pair: pair(tx.plan), nonce: tx.nonce, hash: r.hash, replaces: tx.hashes[tx.hashes.length - 2], replacements: tx.replacements,
        maxFeePerGas: formatGwei(fees.maxFeePerGas), maxPriorityFeePerGas: formatGwei(fees.maxPriorityFeePerGas),
        cancel, reason: cancel ? flight.cancelReason : undefined,
      },
      cancel ? "tx replaced by a cancel" : "tx replaced",
    );
    return { kind: "replaced", tx: copyTx(tx), hash: r.hash };
  }

  private liquidationAmounts(receipt: TransactionReceipt, plan: LiquidationPlan): { debtRepaid: bigint; collateralReceived: bigint } {
    let debtRepaid = 0n;
    let collateralReceived = 0n;
    for (const log of receipt.logs) {
      if (lower(log.address) !== lower(this.options.pool)) continue;
      try {
        const event = decodeEventLog({ abi: poolAbi, eventName: "LiquidationCall", data: log.data, topics: log.topics });
        if (lower(event.args.user) !== lower(plan.user)) continue;
        debtRepaid += event.args.debtToCover;
        collateralReceived += event.args.liquidatedCollateralAmount;
      } catch {
        // another Pool event
      }
    }
    return { debtRepaid, collateralReceived };
  }

  /** Why a mined liquidation reverted: replayed at the end of its block (what changed under it). */
  private async revertReason(receipt: TransactionReceipt, flight: Flight): Promise<string> {
    if (receipt.gasUsed >= flight.gas) return "OUT_OF_GAS";
    try {
      await this.client.call({ account: this.address, to: this.options.pool, data: flight.data, blockNumber: receipt.blockNumber });
      return "reverted on chain (a replay at the end of its block succeeds)";
    } catch (err) {
      return this.#scrub(revertOf(err).reason);
    }
  }
}
