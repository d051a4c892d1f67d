import { loadavg } from "node:os";
import { coldStartScene } from "../../test/helpers/coldStart.js";
const scene = await coldStartScene();
try {
  for (let i = 0; i < Number(process.env.N ?? 3); i++) {
    for (const [via, extra] of [["node", {}], ["nowarm", { NOWARM: "1" }]] as const) {
      const r = await scene.restart("node", extra);
      const synced = r.lines.find((l) => l.msg === "synced");
      console.log(via, r.loadAverage, r.spawnToProcessMs, JSON.stringify(r.startupMs), "tx", r.firstTxSentMs, "blocks", r.blocks.map(String).join(","), "from spawn", r.blocksFromSpawn, "sync", JSON.stringify(synced?.steps), loadavg()[0]!.toFixed(2));
    }
  }
} finally { await scene.stop(); }
