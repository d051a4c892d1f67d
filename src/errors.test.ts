// Every error class of src extends KeeperError, so no caller ever has to list error classes to know
// an exit code or whether to retry. Checked on the classes themselves: every module of src is imported
// and each exported class that is an Error must be a KeeperError; and every `class X extends ...Error`
// written in src must be one of those exports (a class kept private would escape the first check).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { KeeperError } from "./errors.js";

const SRC = import.meta.dirname;
/** The entry point runs a command when imported; its source is still read by the second check. */
const ENTRY_POINTS = new Set(["cli/main.ts"]);

const sources = (readdirSync(SRC, { recursive: true }) as string[])
  .map((f) => f.split("\\").join("/"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .sort();

type ErrorClass = abstract new (...args: never[]) => Error;

async function exportedErrorClasses(): Promise<Map<string, { module: string; value: ErrorClass }>> {
  const found = new Map<string, { module: string; value: ErrorClass }>();
  for (const file of sources.filter((f) => !ENTRY_POINTS.has(f))) {
    const module = (await import(join(SRC, file))) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        const cls = value as ErrorClass;
        // Re-exports (config/index.ts re-exports ConfigError) count once, under the declaring module's name.
        if (!found.has(cls.name)) found.set(cls.name, { module: file, value: cls });
      }
    }
  }
  return found;
}

describe("error classes", () => {
  let classes: Map<string, { module: string; value: ErrorClass }>;
  beforeAll(async () => {
    classes = await exportedErrorClasses();
  }, 60_000);

  it("every exported error class of src extends KeeperError", () => {
    // Not vacuous: the config, usage, checkpoint, market, revision, RPC, node and anvil errors at least.
    expect(classes.size).toBeGreaterThanOrEqual(15);
    const notKeeper = [...classes]
      .filter(([, c]) => c.value !== KeeperError && !(c.value.prototype instanceof KeeperError))
      .map(([name, c]) => `${c.module}: ${name}`);
    expect(notKeeper).toEqual([]);
  });

  it("every error class declared in src is exported (so the check above sees it)", () => {
    const declared: string[] = [];
    for (const file of sources) {
      const text = readFileSync(join(SRC, file), "utf8");
      for (const m of text.matchAll(/\bclass\s+(\w+)\s+extends\s+([\w.]+)/g)) {
        if (/Error$/.test(m[2]!) || /Error$/.test(m[1]!)) declared.push(`${relative(SRC, join(SRC, file))}: ${m[1]}`);
      }
    }
    expect(declared.length).toBeGreaterThanOrEqual(15);
    const unseen = declared.filter((d) => !classes.has(d.split(": ")[1]!));
    expect(unseen).toEqual([]);
  });
});
