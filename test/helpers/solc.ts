// Compiles a test fixture contract (test/fixtures/*.sol) with solc-js at test time: fixtures are tiny
// (a second or two) and never deployed outside tests, so no artifacts are committed for them.
// Imports resolve from node_modules, e.g. "@aave-dao/aave-v3-origin/src/...".
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import solc from "solc";
import type { Abi, Hex } from "viem";

const require = createRequire(import.meta.url);
export const FIXTURES_DIR = join(import.meta.dirname, "../fixtures");

export interface CompiledContract {
  abi: Abi;
  bytecode: Hex;
}

/** Every contract (and library) of test/fixtures/<file>, by name. Warnings are fatal, as in scripts/compile-contracts.ts. */
export function compileFixture(file: string): Record<string, CompiledContract> {
  const input = {
    language: "Solidity",
    sources: { [file]: { content: readFileSync(join(FIXTURES_DIR, file), "utf8") } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "shanghai",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const findImports = (path: string) => {
    try {
      return { contents: readFileSync(require.resolve(path), "utf8") };
    } catch {
      return { error: `not found: ${path}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const problems = (output.errors ?? []).filter((e) => e.severity !== "info");
  if (problems.length > 0) throw new Error(`solc reported:\n${problems.map((e) => e.formattedMessage).join("\n")}`);
  const compiled: Record<string, CompiledContract> = {};
  for (const source of Object.values(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(source)) compiled[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  return compiled;
}
