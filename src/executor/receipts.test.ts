// The Liquidator's events decoded from a call's logs: each loan settled (its profit, its items
// liquidated or skipped, in order) or failed (its reason, named); each item sent with its outcome; the
// owner's profit for a user as the tracker reads it.
import { encodeAbiParameters, encodeErrorResult, encodeEventTopics, encodeFunctionData, type Address, type Hex } from "viem";
import { describe, expect, it } from "vitest";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import type { LiquidatorLoan } from "./poolCall.js";
import { type LogLike, liquidatorItemOutcomes, liquidatorOutcomes } from "./receipts.js";

const LIQUIDATOR: Address = "0x1111111111111111111111111111111111111111";
const POOL: Address = "0x87870Bca3F3fD6335C3F4ce8392D69350B4fA4E2";
const WETH: Address = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const USDC: Address = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
const DAI: Address = "0x6B175474E89094C44Da98b954EedeAC495271d0F";
const [U1, U2, U3, U4] = [1, 2, 3, 4].map((i) => `0x${String(i).repeat(40)}` as Address) as [Address, Address, Address, Address];

const errorAbi = [{ type: "function", name: "Error", inputs: [{ type: "string" }], outputs: [], stateMutability: "pure" }] as const;
const POOL_45 = encodeFunctionData({ abi: errorAbi, args: ["45"] });
const HF_36: Hex = "0x930bb771"; // HealthFactorNotBelowThreshold()

type EventName = "Liquidated" | "Skipped" | "Swapped" | "LoanSettled" | "LoanFailed";

/** A log of the Liquidator's `eventName` with `args`, as a node returns it. */
function logOf(eventName: EventName, args: Record<string, unknown>, address: Address = LIQUIDATOR): LogLike {
  const event = liquidatorAbi.find((x) => x.type === "event" && x.name === eventName)!;
  if (event.type !== "event") throw new Error("not an event");
  const topics = encodeEventTopics({ abi: [event], eventName, args } as Parameters<typeof encodeEventTopics>[0]) as Hex[];
  const unindexed = event.inputs.filter((i) => !("indexed" in i && i.indexed));
  const data = encodeAbiParameters(
    unindexed,
    unindexed.map((i) => args[i.name]),
  );
  return { address, topics, data };
}

const liquidated = (user: Address, collateralAsset: Address, debtAsset: Address, debtRepaid: bigint, collateralSeized: bigint) =>
  logOf("Liquidated", { user, collateralAsset, debtAsset, debtRepaid, collateralSeized });
const skipped = (user: Address, debtAsset: Address, loan: bigint, reason: Hex) => logOf("Skipped", { user, debtAsset, loan, reason });
const settled = (loan: bigint, debtAsset: Address, profit: bigint) => logOf("LoanSettled", { loan, debtAsset, profit });
const failed = (loan: bigint, debtAsset: Address, reason: Hex) => logOf("LoanFailed", { loan, debtAsset, reason });

const item = (user: Address, collateralAsset: Address = WETH) => ({ collateralAsset, user, debtToCover: 10n ** 9n, minProfit: 1n });
const loans: LiquidatorLoan[] = [
  { debtAsset: USDC, amount: 2n * 10n ** 9n, funding: "flashLoan", items: [item(U1), item(U2)], swaps: [] },
  { debtAsset: DAI, amount: 10n ** 21n, funding: "flashLoan", items: [item(U3)], swaps: [] },
  { debtAsset: USDC, amount: 10n ** 9n, funding: "owner", items: [item(U4, USDC)], swaps: [] },
];
const allSkipped = encodeErrorResult({ abi: liquidatorAbi, errorName: "AllSkipped", args: [HF_36] });

/** One call's logs: loan 0 settles (U1 liquidated, U2 skipped), loan 1 fails (U3 skipped), loan 2 settles. */
const logs: LogLike[] = [
  // another contract's events in between (the pool's, a second Liquidator's) are not the call's
  { address: POOL, topics: ["0xe413a321e8681d831f4dbccbca790d2952b56f977908e45be37335533e005286"], data: "0x" },
  liquidated(U1, WETH, USDC, 999_000_000n, 5n * 10n ** 17n),
  logOf("LoanSettled", { loan: 7n, debtAsset: USDC, profit: 1n }, POOL),
  skipped(U2, USDC, 0n, POOL_45),
  logOf("Swapped", { loan: 0n, tokenIn: WETH, amountIn: 5n * 10n ** 17n, amountOut: 1_040_000_000n }),
  settled(0n, USDC, 41_000_000n),
  failed(1n, DAI, allSkipped),
  liquidated(U4, USDC, USDC, 700_000_000n, 731_500_000n),
  settled(2n, USDC, 0n),
];

describe("liquidatorOutcomes", () => {
  it("reads each loan settled with its items in order, or failed with its reason named", () => {
    expect(liquidatorOutcomes(logs, LIQUIDATOR)).toEqual([
      {
        loan: 0,
        debtAsset: USDC,
        settled: true,
        profit: 41_000_000n,
        items: [
          {
            kind: "liquidated",
            user: U1,
            collateralAsset: WETH,
            debtAsset: USDC,
            debtRepaid: 999_000_000n,
            collateralSeized: 5n * 10n ** 17n,
          },
          { kind: "skipped", user: U2, debtAsset: USDC, reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)", reasonData: POOL_45 },
        ],
        swaps: [{ tokenIn: WETH, amountIn: 5n * 10n ** 17n, amountOut: 1_040_000_000n }],
      },
      {
        loan: 1,
        debtAsset: DAI,
        settled: false,
        reason: "ALL_SKIPPED (AllSkipped(HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())))",
        reasonData: allSkipped,
      },
      {
        loan: 2,
        debtAsset: USDC,
        settled: true,
        profit: 0n,
        items: [
          {
            kind: "liquidated",
            user: U4,
            collateralAsset: USDC,
            debtAsset: USDC,
            debtRepaid: 700_000_000n,
            collateralSeized: 731_500_000n,
          },
        ],
        swaps: [],
      },
    ]);
  });

  it("a reverted call (no logs) and another contract's logs give nothing", () => {
    expect(liquidatorOutcomes([], LIQUIDATOR)).toEqual([]);
    expect(liquidatorOutcomes(logs, POOL)).toEqual([{ loan: 7, debtAsset: USDC, settled: true, profit: 1n, items: [], swaps: [] }]);
  });

  it("the logs of two calls in order: each loan closes its own items (loan numbers restart per call)", () => {
    const second = [skipped(U1, USDC, 0n, HF_36), liquidated(U2, WETH, USDC, 1n, 2n), settled(0n, USDC, 3n)];
    const outcomes = liquidatorOutcomes([...logs, ...second], LIQUIDATOR);
    expect(outcomes.map((o) => o.loan)).toEqual([0, 1, 2, 0]);
    const last = outcomes[3]!;
    expect(last.settled && last.items.map((i) => [i.kind, i.user])).toEqual([
      ["skipped", U1],
      ["liquidated", U2],
    ]);
  });
});

describe("liquidatorItemOutcomes", () => {
  it("gives every item sent its outcome: liquidated, skipped, or its loan's failure", () => {
    const outcomes = liquidatorItemOutcomes(logs, LIQUIDATOR, loans);
    expect(outcomes.map((o) => [o.loan, o.item, o.kind, o.user])).toEqual([
      [0, 0, "liquidated", U1],
      [0, 1, "skipped", U2],
      [1, 0, "loanFailed", U3],
      [2, 0, "liquidated", U4],
    ]);
    expect(outcomes[1]).toMatchObject({ reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" });
    expect(outcomes[2]).toMatchObject({ collateralAsset: WETH, debtAsset: DAI, reason: expect.stringMatching(/^ALL_SKIPPED \(/) });
    expect(outcomes[3]).toMatchObject({ debtRepaid: 700_000_000n, collateralSeized: 731_500_000n });
  });

  it("an item without an event (the call reverted, or logs that are not its own) is unknown", () => {
    expect(liquidatorItemOutcomes([], LIQUIDATOR, loans).map((o) => o.kind)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
    // Loan 0's events name other users than those sent: not taken for theirs.
    const swapped: LiquidatorLoan[] = [{ ...loans[0]!, items: [item(U2), item(U1)] }];
    expect(liquidatorItemOutcomes(logs, LIQUIDATOR, swapped).map((o) => o.kind)).toEqual(["unknown", "unknown"]);
  });
});
