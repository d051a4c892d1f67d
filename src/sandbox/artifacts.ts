// Loads compiled contracts and links their libraries. Aave 3.0: the artifacts of the pinned npm
// packages (@aave/core-v3, @aave/periphery-v3), read from node_modules. Aave 3.6: the artifacts
// scripts/compile-aave-v36.ts built from @aave-dao/aave-v3-origin and committed in
// contracts-abi/aave-v3.6/artifacts (npm ships 3.6 as sources only).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Address, Hex } from "viem";

const require = createRequire(import.meta.url);

interface HardhatArtifact {
  contractName: string;
  sourceName: string;
  abi: Abi;
  bytecode: Hex;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

export interface Artifact {
  name: string;
  abi: Abi;
  bytecode: Hex;
  /** library name -> byte offsets where its address goes */
  links: Map<string, { start: number; length: number }[]>;
}

const CORE = "@aave/core-v3/artifacts/contracts";
const PERIPHERY = "@aave/periphery-v3/artifacts/contracts";

/** Contract name -> artifact path. Only what the sandbox deploys. */
const ARTIFACT_PATHS = {
  PoolAddressesProvider: `${CORE}/protocol/configuration/PoolAddressesProvider.sol/PoolAddressesProvider.json`,
  ACLManager: `${CORE}/protocol/configuration/ACLManager.sol/ACLManager.json`,
  Pool: `${CORE}/protocol/pool/Pool.sol/Pool.json`,
  PoolConfigurator: `${CORE}/protocol/pool/PoolConfigurator.sol/PoolConfigurator.json`,
  AaveOracle: `${CORE}/misc/AaveOracle.sol/AaveOracle.json`,
  AaveProtocolDataProvider: `${CORE}/misc/AaveProtocolDataProvider.sol/AaveProtocolDataProvider.json`,
  DefaultReserveInterestRateStrategy: `${CORE}/protocol/pool/DefaultReserveInterestRateStrategy.sol/DefaultReserveInterestRateStrategy.json`,
  AToken: `${CORE}/protocol/tokenization/AToken.sol/AToken.json`,
  StableDebtToken: `${CORE}/protocol/tokenization/StableDebtToken.sol/StableDebtToken.json`,
  VariableDebtToken: `${CORE}/protocol/tokenization/VariableDebtToken.sol/VariableDebtToken.json`,
  MintableERC20: `${CORE}/mocks/tokens/MintableERC20.sol/MintableERC20.json`,
  SupplyLogic: `${CORE}/protocol/libraries/logic/SupplyLogic.sol/SupplyLogic.json`,
  BorrowLogic: `${CORE}/protocol/libraries/logic/BorrowLogic.sol/BorrowLogic.json`,
  LiquidationLogic: `${CORE}/protocol/libraries/logic/LiquidationLogic.sol/LiquidationLogic.json`,
  EModeLogic: `${CORE}/protocol/libraries/logic/EModeLogic.sol/EModeLogic.json`,
  BridgeLogic: `${CORE}/protocol/libraries/logic/BridgeLogic.sol/BridgeLogic.json`,
  FlashLoanLogic: `${CORE}/protocol/libraries/logic/FlashLoanLogic.sol/FlashLoanLogic.json`,
  PoolLogic: `${CORE}/protocol/libraries/logic/PoolLogic.sol/PoolLogic.json`,
  ConfiguratorLogic: `${CORE}/protocol/libraries/logic/ConfiguratorLogic.sol/ConfiguratorLogic.json`,
  UiPoolDataProviderV3: `${PERIPHERY}/misc/UiPoolDataProviderV3.sol/UiPoolDataProviderV3.json`,
} as const;

export type ArtifactName = keyof typeof ARTIFACT_PATHS;

/** What the 3.6 sandbox deploys: the files in contracts-abi/aave-v3.6/artifacts. */
export type ArtifactNameV36 =
  | "PoolAddressesProvider"
  | "ACLManager"
  | "PoolInstance"
  | "PoolConfiguratorInstance"
  | "ATokenInstance"
  | "VariableDebtTokenInstance"
  | "AaveOracle"
  | "DefaultReserveInterestRateStrategyV2"
  | "AaveProtocolDataProvider"
  | "UiPoolDataProviderV3"
  | "MintableERC20"
  | "BorrowLogic"
  | "FlashLoanLogic"
  | "LiquidationLogic"
  | "PoolLogic"
  | "SupplyLogic"
  | "ConfiguratorLogic";

const V36_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../contracts-abi/aave-v3.6/artifacts");

const cache = new Map<string, Artifact>();

export function loadArtifact(name: ArtifactName): Artifact {
  return loadFrom(`3.0:${name}`, require.resolve(ARTIFACT_PATHS[name]));
}

export function loadArtifactV36(name: ArtifactNameV36): Artifact {
  return loadFrom(`3.6:${name}`, join(V36_DIR, `${name}.json`));
}

function loadFrom(key: string, path: string): Artifact {
  const cached = cache.get(key);
  if (cached) return cached;
  const raw = JSON.parse(readFileSync(path, "utf8")) as HardhatArtifact;
  const links = new Map<string, { start: number; length: number }[]>();
  for (const libraries of Object.values(raw.linkReferences)) {
    for (const [library, places] of Object.entries(libraries)) links.set(library, places);
  }
  const artifact: Artifact = { name: raw.contractName, abi: raw.abi, bytecode: raw.bytecode, links };
  cache.set(key, artifact);
  return artifact;
}

/** Replaces each library placeholder with its deployed address; throws if one is missing. */
export function linkBytecode(artifact: Artifact, libraries: Record<string, Address>): Hex {
  let code = artifact.bytecode.slice(2);
  for (const [library, places] of artifact.links) {
    const address = libraries[library];
    if (!address) throw new Error(`${artifact.name} needs library ${library}, which was not deployed`);
    const hex = address.slice(2).toLowerCase();
    for (const { start, length } of places) {
      // Offsets are in bytes of the bytecode; two hex characters a byte.
      code = code.slice(0, start * 2) + hex + code.slice((start + length) * 2);
    }
  }
  if (code.includes("__$")) throw new Error(`${artifact.name}: unlinked library placeholder left in bytecode`);
  return `0x${code}`;
}
