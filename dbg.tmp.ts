import { startSandbox } from "./src/sandbox/sandbox.js";
import { rpc } from "./src/chain/rpc.js";
import { sendUnlocked } from "./src/sandbox/sendUnlocked.js";
import { encodeFunctionData, toHex } from "viem";
import { poolConfiguratorAbi } from "./contracts-abi/aave/index.js";
const s = await startSandbox({ borrowers: 0 });
try {
  console.log("automine", await rpc(s.market.rpcUrl, "anvil_getAutomine"));
  console.log(await rpc(s.market.rpcUrl, "eth_getBlockByNumber", ["latest", false]).then((b: any) => b.gasLimit));
  const r = await sendUnlocked(s.market.rpcUrl, s.market.deployer, { to: s.market.poolConfigurator, data: encodeFunctionData({ abi: poolConfiguratorAbi, functionName: "updateFlashloanPremiumTotal", args: [5n] }), gas: toHex(5_000_000n) }, "premium");
  console.log(r.status);
} finally { await s.stop(); }
