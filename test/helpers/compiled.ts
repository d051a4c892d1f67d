// Tests that measure `keeper`'s start must run what `npm ci` builds: dist/, the bundle. After an edit
// bin/keeper.js runs the sources through tsx instead (correct, slower), so such a test rebuilds first.
import { compiledEntry, staleReason } from "../../bin/compiled.js";
import { buildDist } from "../../scripts/build.js";

export async function ensureCompiled(): Promise<void> {
  if (staleReason() !== undefined) await buildDist();
  const reason = staleReason();
  if (reason !== undefined || compiledEntry() === undefined) throw new Error(`dist/ is still not current: ${reason}`);
}
