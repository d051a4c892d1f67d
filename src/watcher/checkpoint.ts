// The watcher's crash-safe checkpoint in STATE_DIR: the last fully processed block (and its hash),
// the recent blocks with the users they touched (to undo a reorg), every known user and, once the
// backfill is over, their positions as of that block. Written atomically (temp file, fsync,
// rename, fsync of the directory), so a kill -9 at any moment leaves either the old or the new file.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { EXIT_BAD_INPUT, KeeperError } from "../errors.js";
import type { AccountPosition } from "../risk/types.js";

export interface RecentBlock {
  number: bigint;
  hash: Hex;
  /** users whose positions changed in the blocks after the previous recent entry up to this one */
  users: Address[];
}

export interface Checkpoint {
  chainId: number;
  /** hash of block 0: tells a restarted local chain (same chain id, new history) from the old one */
  genesisHash: Hex;
  addressesProvider: Address;
  /** "backfill": users known up to `block`, positions not read yet; "live": positions as of `block` */
  phase: "backfill" | "live";
  block: bigint;
  blockHash: Hex;
  recent: RecentBlock[];
  users: Address[];
  positions: AccountPosition[];
}

const FORMAT = 1;
const FILE = "checkpoint.json";

/** STATE_DIR holds a checkpoint this keeper cannot use (unreadable, another format, chain or market): exit 2. */
export class CheckpointError extends KeeperError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: EXIT_BAD_INPUT, retryable: false, cause: options.cause });
    this.name = "CheckpointError";
  }
}

export function checkpointPath(stateDir: string): string {
  return join(stateDir, FILE);
}

export function saveCheckpoint(stateDir: string, checkpoint: Checkpoint): void {
  mkdirSync(stateDir, { recursive: true });
  const path = checkpointPath(stateDir);
  const temp = `${path}.${process.pid}.tmp`;
  const text = JSON.stringify({ format: FORMAT, ...checkpoint }, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Map) return Object.fromEntries(value);
    return value;
  });
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  // The rename is durable only once the directory entry is on disk.
  const dir = openSync(stateDir, "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export function loadCheckpoint(stateDir: string): Checkpoint | undefined {
  const path = checkpointPath(stateDir);
  if (!existsSync(path)) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CheckpointError(`STATE_DIR: ${path} is not a keeper checkpoint (unreadable JSON); move it away to start over`, {
      cause: err,
    });
  }
  if (raw.format !== FORMAT) {
    throw new CheckpointError(
      `STATE_DIR: ${path} has checkpoint format ${String(raw.format)}, this keeper reads ${FORMAT}; move it away to start over`,
    );
  }
  const positions = (raw.positions as Record<string, unknown>[]).map((p) => ({
    user: p.user as Address,
    eModeCategory: Number(p.eModeCategory),
    userConfig: BigInt(p.userConfig as string),
    scaledCollateral: toBigintMap(p.scaledCollateral),
    scaledVariableDebt: toBigintMap(p.scaledVariableDebt),
    stableDebt: new Map(
      Object.entries((p.stableDebt ?? {}) as Record<string, { principal: string; stableRate: string; lastUpdated: string }>).map(
        ([id, s]) => [Number(id), { principal: BigInt(s.principal), stableRate: BigInt(s.stableRate), lastUpdated: BigInt(s.lastUpdated) }],
      ),
    ),
  }));
  return {
    chainId: Number(raw.chainId),
    genesisHash: raw.genesisHash as Hex,
    addressesProvider: raw.addressesProvider as Address,
    phase: raw.phase === "live" ? "live" : "backfill",
    block: BigInt(raw.block as string),
    blockHash: raw.blockHash as Hex,
    recent: (raw.recent as { number: string; hash: Hex; users: Address[] }[]).map((r) => ({
      number: BigInt(r.number),
      hash: r.hash,
      users: r.users,
    })),
    users: raw.users as Address[],
    positions,
  };
}

function toBigintMap(value: unknown): Map<number, bigint> {
  return new Map(Object.entries((value ?? {}) as Record<string, string>).map(([id, v]) => [Number(id), BigInt(v)]));
}
