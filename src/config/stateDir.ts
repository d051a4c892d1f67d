// STATE_DIR must be a directory keeper can write its checkpoint to: created when missing, and proven
// writable at start by writing a file, since permission bits lie for root and on read-only mounts.
// Anything else is one line naming STATE_DIR (exit 2), not a crash at the first checkpoint.
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ConfigError } from "./parse.js";

/** Creates `dir` (absolute) if missing and checks it is a writable directory; throws ConfigError("STATE_DIR", …). */
export function ensureStateDir(dir: string): void {
  // Made one level at a time from the nearest existing ancestor: Node 20's mkdirSync({ recursive })
  // spins forever on some paths (under /proc), and this also says which ancestor is in the way.
  const missing: string[] = [];
  let existing = dir;
  while (!exists(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (!statSync(existing).isDirectory()) {
    const where = existing === dir ? `${dir} is a file, not a directory` : `${dir} cannot be created: ${existing} is a file`;
    throw new ConfigError("STATE_DIR", where);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      throw new ConfigError("STATE_DIR", `${dir} cannot be created (${errorCode(err)} on ${path})`);
    }
  }
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(probe, "");
    rmSync(probe, { force: true });
  } catch (err) {
    throw new ConfigError("STATE_DIR", `${dir} is not writable (${errorCode(err)})`);
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
