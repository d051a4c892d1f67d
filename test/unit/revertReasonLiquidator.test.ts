// Revert reasons of a flash liquidation: the Liquidator's own custom errors are named with their
// arguments, and what bubbles up from inside it (the pool's codes, the router's strings) as before.
import { encodeErrorResult, encodeFunctionData, getAddress } from "viem";
import { describe, expect, it } from "vitest";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { decodeRevertData, reasonName, revertOf } from "../../src/executor/revertReason.js";

const errorAbi = [{ type: "function", name: "Error", inputs: [{ type: "string" }], outputs: [], stateMutability: "pure" }] as const;
const errorString = (s: string) => encodeFunctionData({ abi: errorAbi, args: [s] });

describe("decodeRevertData: the Liquidator's errors", () => {
  it("ProfitBelowMinimum(loan, profit, minProfit) with its arguments", () => {
    const data = encodeErrorResult({ abi: liquidatorAbi, errorName: "ProfitBelowMinimum", args: [0n, 12_345n, 40_000n] });
    const reason = decodeRevertData(data);
    expect(reason).toBe("PROFIT_BELOW_MINIMUM (ProfitBelowMinimum(0, 12345, 40000))");
    expect(reasonName(reason)).toBe("PROFIT_BELOW_MINIMUM");
  });

  it("every error of the contract has a name, none is UNKNOWN", () => {
    const token = getAddress(`0x${"ab".repeat(20)}`);
    const names = liquidatorAbi
      .filter((i) => i.type === "error")
      .map((e) => {
        const args = e.inputs.map((i) => (i.type === "address" ? token : i.type === "bytes" ? "0x" : 3n));
        return decodeRevertData(encodeErrorResult({ abi: [e], errorName: e.name, args } as Parameters<typeof encodeErrorResult>[0]));
      });
    expect(names.sort()).toEqual([
      "ALL_SKIPPED (AllSkipped(REVERTED_WITHOUT_REASON))",
      "BAD_SWAP_PATH (BadSwapPath(3, 3))",
      "EXPIRED (Expired(3))",
      "NOTHING_TO_LIQUIDATE (NothingToLiquidate())",
      "NOT_INITIATOR (NotInitiator())",
      "NOT_OWNER (NotOwner())",
      "NOT_POOL (NotPool())",
      "NOT_SELF (NotSelf())",
      "PROFIT_BELOW_MINIMUM (ProfitBelowMinimum(3, 3, 3))",
      `TOKEN_CALL_FAILED (TokenCallFailed(${token}))`,
    ]);
  });

  it("AllSkipped names the revert it carries: the first item's, a pool code or a 3.6 custom error", () => {
    const hf36 = "0x930bb771"; // HealthFactorNotBelowThreshold()
    for (const [inner, named] of [
      [errorString("45"), "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)"],
      [hf36, "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())"],
    ] as const) {
      const reason = decodeRevertData(encodeErrorResult({ abi: liquidatorAbi, errorName: "AllSkipped", args: [inner] }));
      expect(reason).toBe(`ALL_SKIPPED (AllSkipped(${named}))`);
      expect(reasonName(reason)).toBe("ALL_SKIPPED");
    }
  });

  it("the pool's and the router's reverts inside the flash loan read as they do outside it", () => {
    expect(decodeRevertData(errorString("45"))).toBe("HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)");
    expect(decodeRevertData(errorString("Too little received"))).toBe("Too little received");
  });

  it("revertOf finds it in a node error's cause chain", () => {
    const data = encodeErrorResult({ abi: liquidatorAbi, errorName: "NotOwner" });
    expect(revertOf(new Error("execution reverted", { cause: { data } }))).toEqual({ reverted: true, reason: "NOT_OWNER (NotOwner())" });
  });
});
