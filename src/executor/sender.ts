// Signing and sending: a request becomes signed bytes at a given nonce (locally, with the wallet's key)
// and goes to the node, one transaction or many in one JSON-RPC batch. Which nonce to use is the
// NonceSequence's business, what to do with a refusal the caller's.
import { keccak256, type Address, type Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import type { RpcEndpoint } from "../chain/connections.js";
import type { Fees } from "./fees.js";
import { classifyNodeMessage, classifySendError, TransportError, type SendError } from "./nodeErrors.js";

export interface TxRequest {
  to: Address;
  data: Hex;
  value: bigint;
  gas: bigint;
  fees: Fees;
}

export interface SignedTx {
  nonce: number;
  hash: Hex;
  raw: Hex;
  request: TxRequest;
}

const SEND_TIMEOUT_MS = 10_000;

export class Sender {
  constructor(
    private readonly account: PrivateKeyAccount,
    private readonly chainId: number,
    private readonly endpoint: RpcEndpoint,
    /** false for a private relay: one request per transaction, in nonce order */
    private readonly batch: boolean,
    private readonly scrub: (text: string) => string,
  ) {}

  async sign(nonce: number, request: TxRequest): Promise<SignedTx> {
    const raw = await this.account.signTransaction({
      type: "eip1559",
      chainId: this.chainId,
      nonce,
      to: request.to,
      data: request.data,
      value: request.value,
      gas: request.gas,
      maxFeePerGas: request.fees.maxFeePerGas,
      maxPriorityFeePerGas: request.fees.maxPriorityFeePerGas,
    });
    return { nonce, hash: keccak256(raw), raw, request };
  }

  /** undefined when the node took it (or already had it); else why not. */
  async send(tx: SignedTx): Promise<SendError | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.endpoint.request<Hex>("eth_sendRawTransaction", [tx.raw], { timeoutMs: SEND_TIMEOUT_MS });
        return undefined;
      } catch (err) {
        const error = classifySendError(err, this.scrub);
        // The node may or may not have it: the same bytes again are harmless ("already known").
        if (error?.retryable && attempt === 0) continue;
        return error;
      }
    }
  }

  /** Every transaction, in order; one JSON-RPC batch when the endpoint takes batches. */
  async sendAll(txs: readonly SignedTx[]): Promise<(SendError | undefined)[]> {
    if (txs.length === 0) return [];
    if (!this.batch || txs.length === 1) {
      const out: (SendError | undefined)[] = [];
      for (const tx of txs) out.push(await this.send(tx));
      return out;
    }
    const calls = txs.map((tx) => ({ method: "eth_sendRawTransaction", params: [tx.raw] }));
    for (let attempt = 0; ; attempt++) {
      try {
        const answers = await this.endpoint.batch<Hex>(calls, SEND_TIMEOUT_MS);
        return answers.map((a) => (a.ok ? undefined : classifyNodeMessage(this.scrub(a.error))));
      } catch (err) {
        if (attempt === 0) continue;
        const message = this.scrub(err instanceof Error ? err.message : String(err)).split("\n", 1)[0] ?? "";
        return txs.map(() => new TransportError(message));
      }
    }
  }
}
