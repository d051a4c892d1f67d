// Sandbox transactions from anvil's unlocked dev accounts (eth_sendTransaction, no local signing),
// waited for and required to succeed: the deployment, price moves and wallet funding all need it.
import { createPublicClient, http, type Address, type Hex, type TransactionReceipt } from "viem";

/** 10M gas: generous for any sandbox call, and skips an eth_estimateGas round trip. */
const GAS = "0x989680";

export async function sendUnlocked(
  rpcUrl: string,
  from: Address,
  tx: { to?: Address; data: Hex; gas?: Hex },
  what: string,
): Promise<TransactionReceipt> {
  return waitUnlocked(rpcUrl, await submitUnlocked(rpcUrl, from, tx), what);
}

/**
 * Hands the transaction to the node without waiting for it. Transactions submitted one after the
 * other from the same account keep their order (anvil gives them consecutive nonces), so with
 * interval mining several of them land in the same block.
 */
export async function submitUnlocked(rpcUrl: string, from: Address, tx: { to?: Address; data: Hex; gas?: Hex }): Promise<Hex> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  return (await client.request({
    method: "eth_sendTransaction",
    params: [{ from, gas: GAS, ...tx }],
  } as never)) as Hex;
}

/** Waits for a submitted transaction and insists that it succeeded. */
export async function waitUnlocked(rpcUrl: string, hash: Hex, what: string): Promise<TransactionReceipt> {
  const client = createPublicClient({ transport: http(rpcUrl), pollingInterval: 20 });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 30_000 });
  if (receipt.status !== "success") throw new Error(`sandbox: ${what} reverted (tx ${hash})`);
  return receipt;
}
