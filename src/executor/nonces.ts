// The wallet's nonce sequence: the executor is its only owner. Sends run one batch at a time through
// it, each batch takes consecutive nonces, and after a refusal the sequence moves back to the first
// nonce that did not reach the node (the tracker fills holes a later accepted nonce leaves behind).
import type { Address, PublicClient } from "viem";
import { Lock } from "./lock.js";

export class NonceSequence {
  private value = 0;
  private readonly lock = new Lock();

  constructor(
    private readonly client: PublicClient,
    private readonly address: Address,
  ) {}

  /** The next nonce to use. */
  get next(): number {
    return this.value;
  }

  async init(): Promise<void> {
    this.value = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
  }

  /** Runs `fn` alone (no other send in between), so the nonces it takes stay consecutive. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  /** After a batch: `used` nonces from `first` reached the node (call inside exclusive). */
  advance(first: number, used: number): void {
    if (first + used > this.value) this.value = first + used;
  }

  /** Back to `nonce` after the sends from it on were refused (call inside exclusive). */
  rewind(nonce: number): void {
    this.value = nonce;
  }

  /** Never behind what the chain has mined. */
  atLeast(chainNonce: number): void {
    if (chainNonce > this.value) this.value = chainNonce;
  }

  /** The chain's pending count, but past every nonce still ours in flight (call inside exclusive). */
  async resync(owned: Iterable<number>): Promise<{ before: number; after: number }> {
    const before = this.value;
    let next = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    for (const n of owned) if (n + 1 > next) next = n + 1;
    this.value = next;
    return { before, after: next };
  }
}
