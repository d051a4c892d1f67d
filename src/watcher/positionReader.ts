// Reads users' positions at a block, in batches through Multicall3: first every user's
// configuration bitmap and eMode, then only the scaled balances those bitmaps say exist. Re-reading
// scaled balances (rather than replaying event amounts) is exact under every version's rounding.
import type { Address, PublicClient } from "viem";
import { aTokenAbi, poolAbi, stableDebtTokenAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { cheapMulticallOptions } from "../chain/multicall.js";
import type { ProtocolRules } from "../risk/rules.js";
import type { AccountPosition, MarketState, StableDebtPosition } from "../risk/types.js";
import { userReserveIds } from "../risk/userConfiguration.js";

/** Users per round of multicalls: bounds memory and the size of one burst of eth_calls. */
const USERS_PER_ROUND = 2_000;

export async function readPositions(
  client: PublicClient,
  pool: Address,
  market: MarketState,
  rules: ProtocolRules,
  users: readonly Address[],
  blockNumber: bigint,
): Promise<AccountPosition[]> {
  const positions: AccountPosition[] = [];
  for (let start = 0; start < users.length; start += USERS_PER_ROUND) {
    positions.push(...(await readRound(client, pool, market, rules, users.slice(start, start + USERS_PER_ROUND), blockNumber)));
  }
  return positions;
}

async function readRound(
  client: PublicClient,
  pool: Address,
  market: MarketState,
  rules: ProtocolRules,
  users: readonly Address[],
  blockNumber: bigint,
): Promise<AccountPosition[]> {
  const heads = await client.multicall({
    ...cheapMulticallOptions,
    allowFailure: false,
    blockNumber,
    contracts: users.flatMap((user) => [
      { address: pool, abi: poolAbi, functionName: "getUserConfiguration", args: [user] } as const,
      { address: pool, abi: poolAbi, functionName: "getUserEMode", args: [user] } as const,
    ]),
  });

  type Slot = { user: number; id: number; kind: "collateral" | "variable" | "stablePrincipal" | "stableRate" | "stableUpdated" };
  const slots: Slot[] = [];
  const contracts: {
    address: Address;
    abi: typeof aTokenAbi | typeof variableDebtTokenAbi | typeof stableDebtTokenAbi;
    functionName: string;
    args: [Address];
  }[] = [];
  const positions: AccountPosition[] = users.map((user, u) => {
    const userConfig = (heads[2 * u] as { data: bigint }).data;
    const { collateral, borrowing } = userReserveIds(userConfig);
    for (const id of collateral) {
      const reserve = market.reserves[id];
      if (!reserve) continue;
      slots.push({ user: u, id, kind: "collateral" });
      contracts.push({ address: reserve.aToken, abi: aTokenAbi, functionName: "scaledBalanceOf", args: [user] });
    }
    for (const id of borrowing) {
      const reserve = market.reserves[id];
      if (!reserve) continue;
      slots.push({ user: u, id, kind: "variable" });
      contracts.push({ address: reserve.variableDebtToken, abi: variableDebtTokenAbi, functionName: "scaledBalanceOf", args: [user] });
      if (rules.hasStableDebt) {
        for (const [kind, functionName] of [
          ["stablePrincipal", "principalBalanceOf"],
          ["stableRate", "getUserStableRate"],
          ["stableUpdated", "getUserLastUpdated"],
        ] as const) {
          slots.push({ user: u, id, kind });
          contracts.push({ address: reserve.stableDebtToken, abi: stableDebtTokenAbi, functionName, args: [user] });
        }
      }
    }
    return {
      user,
      eModeCategory: Number(heads[2 * u + 1] as bigint),
      userConfig,
      scaledCollateral: new Map(),
      scaledVariableDebt: new Map(),
      stableDebt: new Map(),
    };
  });

  const balances = (await client.multicall({
    ...cheapMulticallOptions,
    allowFailure: false,
    blockNumber,
    contracts: contracts as never[],
  })) as unknown as readonly (bigint | number)[];
  const stable = new Map<string, Partial<StableDebtPosition>>();
  slots.forEach((slot, i) => {
    const value = BigInt(balances[i]!);
    const position = positions[slot.user]!;
    if (slot.kind === "collateral") position.scaledCollateral.set(slot.id, value);
    else if (slot.kind === "variable") position.scaledVariableDebt.set(slot.id, value);
    else {
      const key = `${slot.user}:${slot.id}`;
      const s = stable.get(key) ?? {};
      if (slot.kind === "stablePrincipal") s.principal = value;
      if (slot.kind === "stableRate") s.stableRate = value;
      if (slot.kind === "stableUpdated") s.lastUpdated = value;
      stable.set(key, s);
    }
  });
  for (const [key, s] of stable) {
    if (!s.principal) continue;
    const [u, id] = key.split(":").map(Number) as [number, number];
    positions[u]!.stableDebt.set(id, { principal: s.principal, stableRate: s.stableRate ?? 0n, lastUpdated: s.lastUpdated ?? 0n });
  }
  return positions;
}
