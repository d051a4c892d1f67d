// Revert reasons: Aave 3.0's numeric string codes and Aave 3.4+'s custom errors decode to the same
// names; the custom errors are exactly those of the 3.6 Errors.sol, as solc compiles it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeErrorResult, encodeFunctionData, getAddress, toFunctionSelector, type Abi, type AbiParameter, type Hex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { aaveErrorsAbi } from "../../contracts-abi/aaveErrors.js";
import { AAVE_ERRORS_FILE, aaveErrorsText } from "../../scripts/generate-aave-errors.js";
import { REPO_ROOT } from "../../scripts/compile-contracts.js";
import { decodeRevertData, reasonName, revertOf, TOKEN_TRANSFER_ERRORS } from "../../src/executor/revertReason.js";
import { compileFixture } from "../helpers/solc.js";

type ErrorItem = { type: "error"; name: string; inputs: readonly AbiParameter[] };
const errorsOf = (abi: Abi): ErrorItem[] => abi.filter((i): i is ErrorItem => i.type === "error");
const signature = (e: ErrorItem) => `${e.name}(${e.inputs.map((i) => i.type).join(",")})`;
const errorString = (s: string): Hex =>
  encodeFunctionData({
    abi: [{ type: "function", name: "Error", inputs: [{ type: "string" }], outputs: [], stateMutability: "pure" }],
    args: [s],
  });

// The Errors library as solc sees it: an independent check of the generator's parsing.
let solcErrors: ErrorItem[];
beforeAll(() => {
  solcErrors = errorsOf(compileFixture("AaveErrorThrower.sol").Errors!.abi);
}, 60_000);

describe("contracts-abi/aaveErrors.ts", () => {
  it("is what scripts/generate-aave-errors.ts writes (run it if this fails)", () => {
    expect(readFileSync(join(REPO_ROOT, AAVE_ERRORS_FILE), "utf8")).toBe(aaveErrorsText());
  });

  it("holds every error of the 3.6 Errors library, with its arguments, as solc compiles it", () => {
    expect(solcErrors.length).toBeGreaterThan(90);
    expect(aaveErrorsAbi.map((e) => signature(e)).sort()).toEqual(solcErrors.map(signature).sort());
    const withArgs = aaveErrorsAbi.filter((e) => e.inputs.length > 0).map((e) => signature(e));
    expect(withArgs).toEqual([
      "InvalidCollateralInEmode(address,uint256)",
      "InvalidDebtInEmode(address,uint256)",
      "MustBeEmodeCollateral(address,uint256)",
    ]);
  });
});

describe("decodeRevertData", () => {
  it("names every 3.6 custom error: UPPER_SNAKE name first, the error itself in parentheses", () => {
    for (const e of solcErrors) {
      const args = e.inputs.map((i) => (i.type === "address" ? getAddress(`0x${"ab".repeat(20)}`) : 7n));
      const data = encodeErrorResult({ abi: [e], errorName: e.name, args });
      const reason = decodeRevertData(data);
      expect(reason).toMatch(new RegExp(`^[A-Z0-9_]+ \\(${e.name}\\(`));
      expect(reasonName(reason)).not.toMatch(/^UNKNOWN/);
    }
  });

  it("MustNotLeaveDust and the liquidation errors read like their 3.0 codes", () => {
    const data = (name: string) => toFunctionSelector(`${name}()`);
    expect(decodeRevertData(data("MustNotLeaveDust"))).toBe("MUST_NOT_LEAVE_DUST (MustNotLeaveDust())");
    expect(decodeRevertData("0x930bb771")).toBe("HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())");
    // Same reasonName for both versions: callers handle "someone liquidated first" once.
    const pairs: [string, string][] = [
      ["45", "HealthFactorNotBelowThreshold"],
      ["46", "CollateralCannotBeLiquidated"],
      ["47", "SpecifiedCurrencyNotBorrowedByUser"],
      ["27", "ReserveInactive"],
      ["28", "ReserveFrozen"],
      ["29", "ReservePaused"],
      ["26", "InvalidAmount"],
      ["59", "PriceOracleSentinelCheckFailed"],
      ["97", "LiquidationGraceSentinelCheckFailed"],
      ["103", "MustNotLeaveDust"],
    ];
    for (const [code, name] of pairs) {
      expect(reasonName(decodeRevertData(data(name)))).toBe(reasonName(decodeRevertData(errorString(code))));
    }
    expect(decodeRevertData(data("SelfLiquidation"))).toBe("SELF_LIQUIDATION (SelfLiquidation())");
    expect(decodeRevertData(data("LtvValidationFailed"))).toBe("LTV_VALIDATION_FAILED (LtvValidationFailed())");
  });

  it("decodes the arguments of errors that have some", () => {
    const reserve = getAddress(`0x${"12".repeat(20)}`);
    const abi = aaveErrorsAbi.filter((e) => e.name === "InvalidDebtInEmode");
    const data = encodeErrorResult({ abi, errorName: "InvalidDebtInEmode", args: [reserve, 3n] });
    expect(decodeRevertData(data)).toBe(`INVALID_DEBT_IN_EMODE (InvalidDebtInEmode(${reserve}, 3))`);
    expect(decodeRevertData(data.slice(0, 20) as Hex)).toBe("INVALID_DEBT_IN_EMODE (InvalidDebtInEmode(<malformed arguments>))");
  });

  it("ERC-20 errors keep their token-transfer names", () => {
    const abi = [
      { type: "error", name: "ERC20InsufficientBalance", inputs: [{ type: "address" }, { type: "uint256" }, { type: "uint256" }] },
    ] as const;
    const who = getAddress(`0x${"34".repeat(20)}`);
    const reason = decodeRevertData(encodeErrorResult({ abi, errorName: "ERC20InsufficientBalance", args: [who, 1n, 2n] }));
    expect(reason).toBe(`ERC20_INSUFFICIENT_BALANCE (ERC20InsufficientBalance(${who}, 1, 2))`);
    expect(TOKEN_TRANSFER_ERRORS.has(reasonName(reason))).toBe(true);
  });

  it("names the other errors of the compiled 3.6 contracts (OpenZeppelin's SafeCast)", () => {
    const abi = [{ type: "error", name: "SafeCastOverflowedUintDowncast", inputs: [{ type: "uint8" }, { type: "uint256" }] }] as const;
    const data = encodeErrorResult({ abi, errorName: "SafeCastOverflowedUintDowncast", args: [128, 2n ** 130n] });
    expect(decodeRevertData(data)).toBe(`SAFE_CAST_OVERFLOWED_UINT_DOWNCAST (SafeCastOverflowedUintDowncast(128, ${2n ** 130n}))`);
  });

  it("3.0 string codes, panics, unknown selectors and empty reverts as before", () => {
    expect(decodeRevertData(errorString("45"))).toBe("HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)");
    expect(decodeRevertData(errorString("1"))).toBe("AAVE_ERROR_1");
    expect(decodeRevertData("0xdeadbeef")).toBe("UNKNOWN_ERROR(0xdeadbeef)");
    expect(decodeRevertData("0x")).toBe("REVERTED_WITHOUT_REASON");
  });

  it("revertOf finds custom-error data in a node error's cause chain", () => {
    const err = new Error("execution reverted", { cause: { data: toFunctionSelector("MustNotLeaveDust()") } });
    expect(revertOf(err)).toEqual({ reverted: true, reason: "MUST_NOT_LEAVE_DUST (MustNotLeaveDust())" });
  });
});
