// `keeper inspect <address>`: one account, reserve by reserve, with its health factor computed three
// ways at the same block: keeper's engine, Pool.getUserAccountData, and Aave's own JS utilities
// (@aave/contract-helpers + @aave/math-utils, loaded only here). Any disagreement is printed.
import { parseArgs } from "node:util";
import { getAddress, isAddress } from "viem";
import { poolAbi } from "../../contracts-abi/aave/index.js";
import { loadConfig } from "../config/index.js";
import { createLogger } from "../logging.js";
import { compileAccount, evaluateAccount, healthOf } from "../risk/healthFactor.js";
import { liquidationPrices } from "../risk/liquidationPrice.js";
import { eModeView, snapshotMarket } from "../risk/marketSnapshot.js";
import { rulesForRevision } from "../risk/rules.js";
import { RULES_V3_6 } from "../risk/rulesV36.js";
import { WAD } from "../risk/wadRayMath.js";
import type { computeWithAaveUtilities as ComputeFn, mathUtilsTolerance as ToleranceFn } from "./aaveUtilitiesCheck.js";
import { discoverMarket, MarketReader } from "../watcher/marketReader.js";
import { readPositions } from "../watcher/positionReader.js";
import { readSymbols } from "../chain/tokens.js";
import { toJson } from "./accountsView.js";
import { formatBaseAmount, formatFixed, formatHealthFactor } from "../util/decimal.js";
import { formatTable } from "../util/table.js";
import { connectTarget, resolveTarget } from "./target.js";
import { UsageError } from "./usage.js";

export const INSPECT_HELP = `keeper inspect <address> [--json] [--no-aave-utilities]
  One account, reserve by reserve, with its health factor computed three ways at the same block:
  keeper's engine, Pool.getUserAccountData, and Aave's @aave/math-utils. Disagreements are printed.`;

export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: "boolean" }, "no-aave-utilities": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(INSPECT_HELP);
    return 0;
  }
  const [raw, extra] = positionals;
  if (raw === undefined || extra !== undefined) throw new UsageError("inspect takes exactly one account address");
  if (!isAddress(raw, { strict: false })) throw new UsageError(`"${raw}" is not an address (0x followed by 40 hex digits)`);
  const user = getAddress(raw.toLowerCase());

  const config = loadConfig();
  const logger = createLogger(config.log.logLevel, { pretty: false, destination: process.stderr });
  const target = await resolveTarget(config);
  if (target.source === "sandbox") logger.info({ rpcUrl: target.rpcUrl }, "RPC_URL not set: using the running sandbox");
  const client = await connectTarget(target, config);

  const block = await client.getBlock({ blockTag: "latest" });
  const at = block.number!;
  const info = await discoverMarket(client, target.addressesProvider, at);
  const rules = rulesForRevision(info.poolRevision);
  const reader = new MarketReader(client, info);
  let market = await reader.read(at);
  const [position] = await readPositions(client, info.addresses.pool, market, rules, [user], at);
  reader.addEModeCategories([position!.eModeCategory]);
  market = await reader.read(at, market);
  const snapshot = snapshotMarket(market, rules, block.timestamp);
  const account = compileAccount(position!, rules);
  evaluateAccount(account, snapshot);
  const engine = healthOf(account);
  const onChain = await client.readContract({
    address: info.addresses.pool,
    abi: poolAbi,
    functionName: "getUserAccountData",
    args: [user],
    blockNumber: at,
  });
  const reserves = market.reserves.filter((r) => r !== undefined).map((r) => r!);
  const symbolList = await readSymbols(
    client,
    reserves.map((r) => r.asset),
  );
  const symbol = new Map(reserves.map((r, i) => [r.id, symbolList[i]!]));

  const v36 = rules === RULES_V3_6;
  let utilities: { healthFactor: bigint | null; error?: string } | undefined;
  let computeWithAaveUtilities: typeof ComputeFn;
  let mathUtilsTolerance: typeof ToleranceFn | undefined;
  if (!values["no-aave-utilities"]) {
    try {
      const ui = target.uiPoolDataProvider;
      if (!ui) throw new Error("UI_POOL_DATA_PROVIDER not set");
      ({ computeWithAaveUtilities, mathUtilsTolerance } = await import("./aaveUtilitiesCheck.js"));
      const result = await computeWithAaveUtilities({
        rpcUrl: target.rpcUrl,
        chainId: await client.getChainId(),
        uiPoolDataProvider: ui,
        poolAddressesProvider: target.addressesProvider,
        user,
        blockTag: at,
        currentTimestamp: Number(block.timestamp),
        ...(v36 ? { aaveVersion: "3.6" as const } : {}),
      });
      utilities = { healthFactor: result.healthFactor === null ? null : decimalToWad(result.healthFactor) };
    } catch (err) {
      // ethers puts the whole returned data in its message: one short line is enough here.
      const line = (err as Error).message.split("\n")[0]!;
      utilities = { healthFactor: null, error: line.length > 200 ? `${line.slice(0, 200)}…` : line };
    }
  }

  const view = eModeView(snapshot, account.eModeCategory);
  const rows = reserves
    .filter((r) => account.collateral.some((c) => c.id === r.id) || account.debt.some((d) => d.id === r.id))
    .map((r) => {
      const c = account.collateral.find((x) => x.id === r.id);
      const d = account.debt.find((x) => x.id === r.id);
      return {
        symbol: symbol.get(r.id)!,
        asset: r.asset,
        price: view.price[r.id]!,
        liquidationThreshold: Number(view.liquidationThreshold[r.id]!),
        collateral: c?.bal ?? 0n,
        collateralBase: c?.base ?? 0n,
        debt: d ? d.varBal + d.stableBal : 0n,
        debtBase: d?.base ?? 0n,
        decimals: r.decimals,
      };
    });
  const maxUint = (1n << 256n) - 1n;
  const utilitiesHf = utilities?.healthFactor ?? (utilities && !utilities.error ? maxUint : undefined);
  const disagreements: string[] = [];
  if (engine.healthFactor !== onChain[5]) disagreements.push(`engine ${engine.healthFactor} != getUserAccountData ${onChain[5]}`);
  if (engine.totalCollateralBase !== onChain[0] || engine.totalDebtBase !== onChain[1]) {
    disagreements.push(
      `engine totals ${engine.totalCollateralBase}/${engine.totalDebtBase} != getUserAccountData ${onChain[0]}/${onChain[1]}`,
    );
  }
  // math-utils is not bit-exact: 3.0 truncates the average liquidation threshold to a basis point where
  // math-utils keeps the fraction (AAVE-V3.md §7); 3.6 rounds balances its own way (see mathUtilsTolerance).
  if (utilitiesHf !== undefined && onChain[5] !== maxUint && utilitiesHf !== maxUint && mathUtilsTolerance) {
    const diff = Number(utilitiesHf - onChain[5]) / Number(onChain[5]);
    const balances = rows.flatMap((r) => [
      { amount: r.collateral, base: r.collateralBase },
      { amount: r.debt, base: r.debtBase },
    ]);
    const tolerance = mathUtilsTolerance(v36 ? "3.6" : "3.0", onChain[3], balances);
    if (Math.abs(diff) > tolerance) disagreements.push(`@aave/math-utils differs from getUserAccountData by ${(diff * 100).toFixed(4)}%`);
  } else if (utilitiesHf !== undefined && (utilitiesHf === maxUint) !== (onChain[5] === maxUint)) {
    disagreements.push("@aave/math-utils and getUserAccountData disagree on whether the account has debt");
  }

  const liquidation = liquidationPrices(account, snapshot);
  if (values.json) {
    process.stdout.write(
      `${toJson({
        user,
        block: at,
        timestamp: block.timestamp,
        eModeCategory: account.eModeCategory,
        reserves: rows,
        healthFactor: {
          engine: engine.healthFactor,
          getUserAccountData: onChain[5],
          aaveUtilities: utilitiesHf ?? null,
          aaveUtilitiesError: utilities?.error,
        },
        totals: {
          engine: engine,
          getUserAccountData: {
            totalCollateralBase: onChain[0],
            totalDebtBase: onChain[1],
            currentLiquidationThreshold: onChain[3],
            ltv: onChain[4],
          },
        },
        liquidationPrices: liquidation.map((p) => ({ ...p, symbol: symbol.get(p.reserveId) })),
        disagreements,
      })}\n`,
    );
    return disagreements.length === 0 ? 0 : 1;
  }

  console.log(`account ${user} at block ${at} (${rules.version}, eMode ${account.eModeCategory || "none"})\n`);
  console.log(
    formatTable(
      ["asset", "price (USD)", "LT", "collateral", "collateral (USD)", "debt", "debt (USD)", "liquidation price"],
      rows.map((r) => {
        const p = liquidation.find((x) => x.reserveId === reserves.find((y) => y.asset === r.asset)!.id);
        return [
          r.symbol,
          formatBaseAmount(r.price, market.baseCurrencyUnit),
          `${(r.liquidationThreshold / 100).toFixed(2)}%`,
          formatFixed(r.collateral, r.decimals, 4),
          formatBaseAmount(r.collateralBase, market.baseCurrencyUnit),
          formatFixed(r.debt, r.decimals, 4),
          formatBaseAmount(r.debtBase, market.baseCurrencyUnit),
          p ? `${p.direction === "up" ? "≥" : "≤"}${formatBaseAmount(p.price, market.baseCurrencyUnit)}` : "-",
        ];
      }),
    ),
  );
  console.log("");
  console.log(
    formatTable(
      ["health factor from", "value"],
      [
        ["keeper engine", formatHealthFactor(engine.healthFactor)],
        ["Pool.getUserAccountData", formatHealthFactor(onChain[5])],
        [
          "@aave/math-utils",
          utilities?.error ? `unavailable: ${utilities.error}` : utilitiesHf === undefined ? "skipped" : formatHealthFactor(utilitiesHf),
        ],
      ],
    ),
  );
  console.log(disagreements.length === 0 ? "\nall agree" : `\nDISAGREEMENT:\n${disagreements.map((d) => `  ${d}`).join("\n")}`);
  return disagreements.length === 0 ? 0 : 1;
}

function decimalToWad(decimal: string): bigint {
  const [whole = "0", fraction = ""] = decimal.split(".");
  return BigInt(whole) * WAD + BigInt((fraction + "0".repeat(18)).slice(0, 18));
}
