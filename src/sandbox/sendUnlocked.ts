// Sandbox transactions from anvil's unlocked dev accounts (eth_sendTransaction, no local signing),
// waited for and required to succeed: the deployment, price moves and wallet funding all need it.
import { createPublicClient, http, toHex, type Address, type Hex, type TransactionReceipt } from "viem";
import { rpcBatchOrThrow } from "../chain/rpcBatch.js";

/** 10M gas: generous for any sandbox call, and skips an eth_estimateGas round trip. */
const GAS = "0x989680";

type UnlockedTx = { to?: Address; data: Hex; gas?: Hex };

export async function sendUnlocked(rpcUrl: string, from: Address, tx: UnlockedTx, what: string): Promise<TransactionReceipt> {
  const client = createPublicClient({ transport: http(rpcUrl), pollingInterval: 20 });
  const hash = (await client.request({
    method: "eth_sendTransaction",
    params: [{ from, gas: GAS, ...tx }],
  } as never)) as Hex;
  return waitUnlocked(rpcUrl, hash, what);
}

async function waitUnlocked(rpcUrl: string, hash: Hex, what: string): Promise<TransactionReceipt> {
  const client = createPublicClient({ transport: http(rpcUrl), pollingInterval: 20 });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 30_000 }).catch((err: unknown) => {
    throw new Error(`sandbox: ${what} was not mined (tx ${hash})`, { cause: err });
  });
  if (receipt.status !== "success") throw new Error(`sandbox: ${what} reverted (tx ${hash})`);
  return receipt;
}

/**
 * Transactions from one unlocked account handed to the node back to back, then awaited together:
 * one round trip each instead of a receipt wait each, and with interval mining they share a block.
 * Nonces are consecutive and set here, not left to anvil, whose automine could mine the previous
 * transaction while it picks the next one's nonce. Nothing else may send from `from` meanwhile.
 */
export class UnlockedBatch {
  private nonce: bigint | undefined;
  private readonly sent: { hash: Hex; what: string }[] = [];

  constructor(
    readonly rpcUrl: string,
    readonly from: Address,
  ) {}

  /** The nonce the next transaction submitted will carry. */
  async nextNonce(): Promise<bigint> {
    const client = createPublicClient({ transport: http(this.rpcUrl) });
    this.nonce ??= BigInt(await client.getTransactionCount({ address: this.from, blockTag: "pending" }));
    return this.nonce;
  }

  async submit(tx: UnlockedTx, what: string): Promise<Hex> {
    const client = createPublicClient({ transport: http(this.rpcUrl) });
    const nonce = await this.nextNonce();
    const hash = (await client.request({
      method: "eth_sendTransaction",
      params: [{ from: this.from, gas: GAS, ...tx, nonce: toHex(nonce) }],
    } as never)) as Hex;
    this.nonce = nonce + 1n;
    this.sent.push({ hash, what });
    return hash;
  }

  /**
   * Waits for the last transaction submitted (the nonces make it the last one mined), then checks
   * the others' receipts in one batch request: anvil answers receipts slowly, one by one.
   * Throws if one reverted; returns the last one's receipt.
   */
  async mined(): Promise<TransactionReceipt | undefined> {
    const last = this.sent.at(-1);
    if (!last) return undefined;
    const receipt = await waitUnlocked(this.rpcUrl, last.hash, last.what);
    const others = this.sent.slice(0, -1);
    const statuses = await rpcBatchOrThrow<{ status: Hex } | null>(
      this.rpcUrl,
      others.map(({ hash }) => ({ method: "eth_getTransactionReceipt", params: [hash] })),
    );
    for (const [i, r] of statuses.entries()) {
      const { hash, what } = others[i]!;
      if (r === null) throw new Error(`sandbox: ${what} was not mined (tx ${hash})`);
      if (r.status !== "0x1") throw new Error(`sandbox: ${what} reverted (tx ${hash})`);
    }
    return receipt;
  }
}
