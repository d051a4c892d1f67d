// Bulk set-up blocks: automine off and the block gas limit lifted while `fn` submits hundreds of
// transactions to be mined together; both put back afterwards. The limit put back is the node's
// configured one (anvil_nodeInfo), not the latest block's: that block may itself be a lifted one.
import type { Hex } from "viem";
import { rpc } from "../chain/rpc.js";

const LIFTED_GAS_LIMIT = 10n ** 12n;

export async function withBulkBlocks<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const info = await rpc<{ environment: { gasLimit: Hex | number } }>(url, "anvil_nodeInfo");
  const gasLimit = BigInt(info.environment.gasLimit);
  const wasAutomine = await rpc<boolean>(url, "anvil_getAutomine");
  await rpc(url, "evm_setAutomine", [false]);
  await rpc(url, "evm_setBlockGasLimit", [`0x${LIFTED_GAS_LIMIT.toString(16)}`]);
  try {
    return await fn();
  } finally {
    await rpc(url, "evm_setBlockGasLimit", [`0x${gasLimit.toString(16)}`]);
    await rpc(url, "evm_setAutomine", [wasAutomine]);
  }
}
