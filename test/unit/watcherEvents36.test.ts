// The watcher's reading of the Aave 3.6 events that 3.0 does not have: which mark users dirty, which
// reload the market's shape, which are only logged. Logs are encoded from the 3.6 ABIs.
import { describe, expect, it } from "vitest";
import { encodeAbiParameters, encodeEventTopics, getAddress, type AbiEvent, type Address, type Hex, type Log } from "viem";
import { poolConfiguratorAbi } from "../../contracts-abi/aave/index.js";
import { poolConfiguratorV36Abi, poolV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { interpretLog, WATCHED_TOPICS } from "../../src/watcher/events.js";

const USER: Address = getAddress("0x00000000000000000000000000000000000a11ce");
const ASSET: Address = "0x000000000000000000000000000000000000a55e";
const POOL: Address = getAddress("0x0000000000000000000000000000000000000f00");

function log(abi: readonly unknown[], eventName: string, args: Record<string, unknown>): Log {
  const event = (abi as AbiEvent[]).find((e) => e.type === "event" && e.name === eventName)!;
  const topics = encodeEventTopics({ abi: [event], eventName, args } as never) as [Hex, ...Hex[]];
  const data = encodeAbiParameters(
    event.inputs.filter((i) => !i.indexed),
    event.inputs.filter((i) => !i.indexed).map((i) => args[i.name!]),
  );
  return {
    address: POOL,
    topics,
    data,
    blockNumber: 1n,
    blockHash: "0x",
    logIndex: 0,
    transactionHash: "0x",
    transactionIndex: 0,
    removed: false,
  } as Log;
}

describe("3.6 events in the watcher", () => {
  const none = new Set<string>();

  it("DeficitCreated (bad-debt burn of the user's other debts) and DeficitCovered mark the user", () => {
    const created = log(poolV36Abi, "DeficitCreated", { user: USER, debtAsset: ASSET, amountCreated: 5n });
    expect(interpretLog(created, none)).toEqual({ event: "DeficitCreated", marketShapeChanged: false, users: [USER] });
    const covered = log(poolV36Abi, "DeficitCovered", { reserve: ASSET, caller: USER, amountCovered: 5n });
    expect(interpretLog(covered, none)).toEqual({ event: "DeficitCovered", marketShapeChanged: false, users: [USER] });
  });

  it("eMode bitmap changes reload the market's shape (every account recomputed)", () => {
    for (const [name, flag] of [
      ["AssetCollateralInEModeChanged", "collateral"],
      ["AssetLtvzeroInEModeChanged", "ltvzero"],
    ] as const) {
      const l = log(poolConfiguratorV36Abi, name, { asset: ASSET, categoryId: 2, [flag]: true });
      expect(interpretLog(l, none)).toEqual({ event: name, marketShapeChanged: true, users: [] });
    }
    const added = log(poolConfiguratorV36Abi, "EModeCategoryAdded", {
      categoryId: 2,
      ltv: 9300n,
      liquidationThreshold: 9500n,
      liquidationBonus: 10100n,
      oracle: "0x0000000000000000000000000000000000000000",
      label: "ETH",
    });
    expect(interpretLog(added, none)?.marketShapeChanged).toBe(true);
  });

  it("grace periods, borrowable bitmaps, pending LTV, flash loaning and the premium are read every block: logged only", () => {
    const logs = [
      log(poolConfiguratorV36Abi, "ReserveFlashLoaning", { asset: ASSET, enabled: false }),
      log(poolConfiguratorAbi, "ReserveFlashLoaning", { asset: ASSET, enabled: true }),
      log(poolConfiguratorV36Abi, "LiquidationGracePeriodChanged", { asset: ASSET, gracePeriodUntil: 1_800_000_000 }),
      log(poolConfiguratorV36Abi, "LiquidationGracePeriodDisabled", { asset: ASSET }),
      log(poolConfiguratorV36Abi, "AssetBorrowableInEModeChanged", { asset: ASSET, categoryId: 1, borrowable: false }),
      log(poolConfiguratorV36Abi, "PendingLtvChanged", { asset: ASSET, ltv: 7000n }),
      log(poolConfiguratorV36Abi, "FlashloanPremiumTotalUpdated", { oldFlashloanPremiumTotal: 9n, newFlashloanPremiumTotal: 5n }),
    ];
    for (const l of logs) {
      expect(WATCHED_TOPICS).toContain(l.topics[0]);
      expect(interpretLog(l, none)).toMatchObject({ marketShapeChanged: false, users: [] });
    }
    // 3.0 and 3.6 declare ReserveFlashLoaning alike: one topic.
    expect(logs[0]!.topics[0]).toBe(logs[1]!.topics[0]);
    expect(interpretLog(logs[0]!, none)?.event).toBe("ReserveFlashLoaning");
  });

  it("the 3.0 user events keep their meaning (same signatures on 3.6)", () => {
    const supply = log(poolV36Abi, "Supply", { reserve: ASSET, user: POOL, onBehalfOf: USER, amount: 1n, referralCode: 0 });
    expect(interpretLog(supply, none)).toEqual({ event: "Supply", marketShapeChanged: false, users: [USER] });
    const liq = log(poolV36Abi, "LiquidationCall", {
      collateralAsset: ASSET,
      debtAsset: ASSET,
      user: USER,
      debtToCover: 1n,
      liquidatedCollateralAmount: 1n,
      liquidator: POOL,
      receiveAToken: true,
    });
    expect(interpretLog(liq, none)?.users).toEqual([USER, POOL]);
  });
});
