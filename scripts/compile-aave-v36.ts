// Compiles the Aave 3.6 contracts the sandbox market deploys from the npm package
// @aave-dao/aave-v3-origin@3.6.0 with solc-js 0.8.27 and the upstream foundry.toml settings, and
// writes contracts-abi/aave-v3.6/: a JSON artifact per deployed contract (ABI, unlinked bytecode,
// link references) and typed `as const` ABIs for the contracts keeper talks to.
//
//   npm run build:aave36                                  # (re)generate the artifacts (about a minute)
//   npx tsx scripts/compile-aave-v36.ts --check           # exit 1 if a rebuild would differ
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const AAVE_PACKAGE = "@aave-dao/aave-v3-origin";
export const AAVE_PACKAGE_VERSION = "3.6.0";
/** The compiler the upstream foundry.toml pins (solc_version = '0.8.27'); npm alias of solc@0.8.27. */
export const SOLC_VERSION = "0.8.27+commit.40a35a09.Emscripten.clang";
export const OUTPUT_DIR = "contracts-abi/aave-v3.6";

const NODE_MODULES = path.join(REPO_ROOT, "node_modules");
const AAVE_SRC = path.join(NODE_MODULES, AAVE_PACKAGE, "src");

/** Upstream foundry.toml [profile.default]: optimizer 200 runs, shanghai, no metadata hash, no via-IR. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "shanghai",
  metadata: { bytecodeHash: "none" },
  viaIR: false,
} as const;

/**
 * Source name (as upstream names it, relative to the package root) -> contract to keep.
 * Libraries are the externally linked ones (PoolInstance and PoolConfiguratorInstance link them);
 * the compile fails if a kept contract links a library that is not kept.
 */
const ROOTS: readonly { source: string; contract: string }[] = [
  { source: "src/contracts/protocol/configuration/PoolAddressesProvider.sol", contract: "PoolAddressesProvider" },
  { source: "src/contracts/protocol/configuration/ACLManager.sol", contract: "ACLManager" },
  { source: "src/contracts/instances/PoolInstance.sol", contract: "PoolInstance" },
  { source: "src/contracts/instances/PoolConfiguratorInstance.sol", contract: "PoolConfiguratorInstance" },
  { source: "src/contracts/instances/ATokenInstance.sol", contract: "ATokenInstance" },
  { source: "src/contracts/instances/VariableDebtTokenInstance.sol", contract: "VariableDebtTokenInstance" },
  { source: "src/contracts/misc/AaveOracle.sol", contract: "AaveOracle" },
  { source: "src/contracts/misc/DefaultReserveInterestRateStrategyV2.sol", contract: "DefaultReserveInterestRateStrategyV2" },
  { source: "src/contracts/helpers/AaveProtocolDataProvider.sol", contract: "AaveProtocolDataProvider" },
  { source: "src/contracts/helpers/UiPoolDataProviderV3.sol", contract: "UiPoolDataProviderV3" },
  { source: "src/contracts/mocks/tokens/MintableERC20.sol", contract: "MintableERC20" },
  { source: "src/contracts/protocol/libraries/logic/BorrowLogic.sol", contract: "BorrowLogic" },
  { source: "src/contracts/protocol/libraries/logic/FlashLoanLogic.sol", contract: "FlashLoanLogic" },
  { source: "src/contracts/protocol/libraries/logic/LiquidationLogic.sol", contract: "LiquidationLogic" },
  { source: "src/contracts/protocol/libraries/logic/PoolLogic.sol", contract: "PoolLogic" },
  { source: "src/contracts/protocol/libraries/logic/SupplyLogic.sol", contract: "SupplyLogic" },
  { source: "src/contracts/protocol/libraries/logic/ConfiguratorLogic.sol", contract: "ConfiguratorLogic" },
];

/** Contract -> typed ABI module (file name without .ts, export name). */
const TYPED_ABIS: Record<string, { file: string; name: string }> = {
  PoolInstance: { file: "pool", name: "poolV36Abi" },
  PoolConfiguratorInstance: { file: "poolConfigurator", name: "poolConfiguratorV36Abi" },
  PoolAddressesProvider: { file: "poolAddressesProvider", name: "poolAddressesProviderV36Abi" },
  ACLManager: { file: "aclManager", name: "aclManagerV36Abi" },
  AaveOracle: { file: "aaveOracle", name: "aaveOracleV36Abi" },
  AaveProtocolDataProvider: { file: "aaveProtocolDataProvider", name: "aaveProtocolDataProviderV36Abi" },
  UiPoolDataProviderV3: { file: "uiPoolDataProviderV3", name: "uiPoolDataProviderV3V36Abi" },
  ATokenInstance: { file: "aToken", name: "aTokenV36Abi" },
  VariableDebtTokenInstance: { file: "variableDebtToken", name: "variableDebtTokenV36Abi" },
  DefaultReserveInterestRateStrategyV2: {
    file: "defaultReserveInterestRateStrategyV2",
    name: "defaultReserveInterestRateStrategyV2Abi",
  },
  MintableERC20: { file: "mintableErc20", name: "mintableErc20V36Abi" },
  LiquidationLogic: { file: "liquidationLogic", name: "liquidationLogicV36Abi" },
};

type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>;

/** What is committed per contract: enough to deploy it (after linking) and to call it. */
export interface AaveV36Artifact {
  contractName: string;
  sourceName: string;
  abi: unknown[];
  bytecode: string;
  linkReferences: LinkReferences;
}

export interface GeneratedFile {
  /** repo-relative, POSIX separators */
  path: string;
  text: string;
}

interface SolcOutput {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string; linkReferences: LinkReferences } } }>>;
}

interface Solc {
  version(): string;
  compile(input: string, callbacks: { import: (path: string) => { contents: string } | { error: string } }): string;
}

/**
 * Upstream remappings (foundry.toml / remappings.txt) mapped onto node_modules:
 *   openzeppelin-contracts/            -> @openzeppelin/contracts (5.1.0, pinned by package.json overrides)
 *   solidity-utils/                    -> @bgd-labs/solidity-utils/src
 * Relative imports arrive already resolved against the importing source name ("src/contracts/...").
 */
export function resolveImport(importPath: string): string | undefined {
  const remaps: [string, string][] = [
    ["openzeppelin-contracts/contracts/", path.join(NODE_MODULES, "@openzeppelin/contracts/")],
    ["solidity-utils/", path.join(NODE_MODULES, "@bgd-labs/solidity-utils/src/")],
    ["src/", path.join(AAVE_SRC, "/")],
  ];
  for (const [prefix, dir] of remaps) {
    if (importPath.startsWith(prefix)) return path.join(dir, importPath.slice(prefix.length));
  }
  return undefined;
}

function loadSolc(): Solc {
  const solc = require("solc-0.8.27") as Solc;
  const version = solc.version();
  if (version !== SOLC_VERSION) {
    throw new Error(`solc-0.8.27 reports ${version}, expected ${SOLC_VERSION}: the npm alias is not solc@0.8.27`);
  }
  return solc;
}

function checkPackageVersions(): void {
  const read = (name: string) =>
    (JSON.parse(readFileSync(path.join(NODE_MODULES, name, "package.json"), "utf8")) as { version: string }).version;
  const aave = read(AAVE_PACKAGE);
  if (aave !== AAVE_PACKAGE_VERSION) throw new Error(`${AAVE_PACKAGE} is ${aave}, artifacts are built from ${AAVE_PACKAGE_VERSION}`);
  const oz = read("@openzeppelin/contracts");
  if (oz !== "5.1.0") throw new Error(`@openzeppelin/contracts is ${oz}; Aave 3.6 is built against 5.1.0 (package.json overrides)`);
}

/** Compiles the roots and returns one artifact per kept contract, in ROOTS order. Reads sources only. */
export function compileAaveV36(): AaveV36Artifact[] {
  checkPackageVersions();
  const solc = loadSolc();
  const sources: Record<string, { content: string }> = {};
  const outputSelection: Record<string, Record<string, string[]>> = {};
  for (const { source, contract } of ROOTS) {
    sources[source] = { content: readFileSync(resolveImport(source)!, "utf8") };
    outputSelection[source] = { ...outputSelection[source], [contract]: ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences"] };
  }
  const input = { language: "Solidity", sources, settings: { ...SOLC_SETTINGS, outputSelection } };
  const findImports = (importPath: string) => {
    const file = resolveImport(importPath);
    if (!file || !existsSync(file)) return { error: `cannot resolve import ${importPath}` };
    return { contents: readFileSync(file, "utf8") };
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as SolcOutput;
  const problems = (output.errors ?? []).filter((e) => e.severity !== "info");
  if (problems.length > 0) throw new Error(`solc reported:\n${problems.map((e) => e.formattedMessage).join("\n")}`);

  const artifacts = ROOTS.map(({ source, contract }): AaveV36Artifact => {
    const compiled = output.contracts?.[source]?.[contract];
    if (!compiled) throw new Error(`solc produced no ${contract} in ${source}`);
    return {
      contractName: contract,
      sourceName: source,
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      linkReferences: compiled.evm.bytecode.linkReferences,
    };
  });
  const kept = new Set(artifacts.map((a) => `${a.sourceName}:${a.contractName}`));
  for (const a of artifacts) {
    for (const [source, libraries] of Object.entries(a.linkReferences)) {
      for (const library of Object.keys(libraries)) {
        if (!kept.has(`${source}:${library}`)) throw new Error(`${a.contractName} links ${source}:${library}, which is not compiled`);
      }
    }
  }
  return artifacts;
}

const HEADER = `// Generated by scripts/compile-aave-v36.ts from ${AAVE_PACKAGE}@${AAVE_PACKAGE_VERSION} with solc ${SOLC_VERSION}; do not edit.`;

/** The files the artifacts are written as; pure. */
export function artifactFiles(artifacts: readonly AaveV36Artifact[]): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const a of artifacts) {
    files.push({ path: `${OUTPUT_DIR}/artifacts/${a.contractName}.json`, text: `${JSON.stringify(a, null, 2)}\n` });
  }
  const index: string[] = [HEADER];
  for (const a of artifacts) {
    const typed = TYPED_ABIS[a.contractName];
    if (!typed) continue;
    files.push({
      path: `${OUTPUT_DIR}/${typed.file}.ts`,
      text:
        `${HEADER}\n// Source: ${a.sourceName} (${a.contractName}).\n` +
        `export const ${typed.name} = ${JSON.stringify(a.abi, null, 2)} as const;\n`,
    });
    index.push(`export { ${typed.name} } from "./${typed.file}.js";`);
  }
  // Every custom error any deployed contract (or linked library) can revert with, once: what a
  // revert decoder needs, since a library's errors are not all in the Pool's own ABI.
  const errors = new Map<string, unknown>();
  for (const a of artifacts) {
    for (const item of a.abi as { type: string; name: string; inputs: { type: string }[] }[]) {
      if (item.type === "error") errors.set(`${item.name}(${item.inputs.map((i) => i.type).join(",")})`, item);
    }
  }
  const errorList = [...errors.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, item]) => item);
  files.push({
    path: `${OUTPUT_DIR}/errors.ts`,
    text:
      `${HEADER}\n// Every custom error of the compiled contracts and libraries, deduplicated.\n` +
      `export const aaveV36ErrorsAbi = ${JSON.stringify(errorList, null, 2)} as const;\n`,
  });
  index.push(`export { aaveV36ErrorsAbi } from "./errors.js";`);
  files.push({ path: `${OUTPUT_DIR}/index.ts`, text: `${index.join("\n")}\n` });
  return files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Generated files on disk that a fresh build would not write (a contract dropped from ROOTS). */
function orphans(expected: readonly GeneratedFile[]): string[] {
  const wanted = new Set(expected.map((f) => f.path));
  const found: string[] = [];
  for (const dir of [OUTPUT_DIR, `${OUTPUT_DIR}/artifacts`]) {
    const abs = path.join(REPO_ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs)) {
      const rel = `${dir}/${name}`;
      if ((name.endsWith(".ts") || name.endsWith(".json")) && !wanted.has(rel)) found.push(rel);
    }
  }
  return found.sort();
}

/** Reasons the committed artifacts differ from a fresh build; empty when they match. */
export function checkAaveV36(files: readonly GeneratedFile[] = artifactFiles(compileAaveV36())): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const abs = path.join(REPO_ROOT, f.path);
    if (!existsSync(abs)) problems.push(`${f.path} is missing`);
    else if (readFileSync(abs, "utf8") !== f.text) problems.push(`${f.path} differs from a rebuild`);
  }
  for (const p of orphans(files)) problems.push(`${p} is not produced by the build`);
  return problems;
}

export function writeAaveV36(): GeneratedFile[] {
  const files = artifactFiles(compileAaveV36());
  mkdirSync(path.join(REPO_ROOT, OUTPUT_DIR, "artifacts"), { recursive: true });
  for (const f of files) writeFileSync(path.join(REPO_ROOT, f.path), f.text);
  for (const p of orphans(files)) unlinkSync(path.join(REPO_ROOT, p));
  return files;
}

function main(argv: string[]): number {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  if (argv.includes("--check")) {
    const problems = checkAaveV36();
    if (problems.length > 0) {
      console.error(`Aave 3.6 artifacts are stale:\n  ${problems.join("\n  ")}\nRun: npm run build:aave36`);
      return 1;
    }
    console.log(`Aave 3.6 artifacts match a rebuild (solc ${SOLC_VERSION}, ${seconds()} s).`);
    return 0;
  }
  const files = writeAaveV36();
  for (const f of files) console.log(`wrote ${f.path}`);
  console.log(`compiled in ${seconds()} s`);
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
