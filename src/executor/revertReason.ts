// Turns the revert of a liquidation's simulation into a name a log reader understands: Aave 3.0-3.3
// string codes ("45"), Aave 3.4+ custom errors, the ERC-20 errors the debt transfer can hit, and the
// Liquidator contract's errors (a flash liquidation: "PROFIT_BELOW_MINIMUM (ProfitBelowMinimum(0, 12, 40))";
// the pool's and the router's reverts inside it bubble up unchanged and are named as above; the revert
// an error of its carries, AllSkipped's, is named inside it:
// "ALL_SKIPPED (AllSkipped(HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)))").
import { decodeAbiParameters, parseAbi, toFunctionSelector, type AbiParameter, type Hex } from "viem";
import { aaveV36ErrorsAbi } from "../../contracts-abi/aave-v3.6/errors.js";
import { aaveErrorsAbi } from "../../contracts-abi/aaveErrors.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";

/** Aave V3 string error codes that liquidationCall can revert with ([core30] Errors.sol; 97: 3.1+, 103: 3.3). */
export const AAVE_LIQUIDATION_ERRORS: Readonly<Record<string, string>> = {
  "26": "INVALID_AMOUNT",
  "27": "RESERVE_INACTIVE",
  "28": "RESERVE_FROZEN",
  "29": "RESERVE_PAUSED",
  "45": "HEALTH_FACTOR_NOT_BELOW_THRESHOLD",
  "46": "COLLATERAL_CANNOT_BE_LIQUIDATED",
  "47": "SPECIFIED_CURRENCY_NOT_BORROWED_BY_USER",
  "59": "PRICE_ORACLE_SENTINEL_CHECK_FAILED",
  "97": "LIQUIDATION_GRACE_SENTINEL_CHECK_FAILED",
  "103": "MUST_NOT_LEAVE_DUST",
};

// OpenZeppelin 5 ERC-20 errors the debt transfer can hit, named as the token-transfer reasons below.
const TOKEN_ERRORS_ABI = parseAbi([
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error SafeERC20FailedOperation(address token)",
]);
const TOKEN_ERROR_NAMES: Readonly<Record<string, string>> = {
  ERC20InsufficientBalance: "ERC20_INSUFFICIENT_BALANCE",
  ERC20InsufficientAllowance: "ERC20_INSUFFICIENT_ALLOWANCE",
  SafeERC20FailedOperation: "ERC20_TRANSFER_FAILED",
};

interface CustomError {
  item: { name: string; inputs: readonly AbiParameter[] };
  /** What reasonName() answers: the same UPPER_SNAKE name as the 3.0 code, e.g. MUST_NOT_LEAVE_DUST. */
  name: string;
  /** a Liquidator error: its `bytes` arguments are revert data (a skipped item's), named in turn */
  nested?: boolean;
}

const LIQUIDATOR_ERRORS_ABI = liquidatorAbi.filter((item) => item.type === "error");

// Aave 3.4+ errors (all of 3.6's Errors.sol), the other errors the compiled 3.6 contracts can revert
// with (OpenZeppelin's SafeCast, ECDSA, Address...), the ERC-20 ones and the Liquidator's, by selector;
// built on first use.
let customErrors: ReadonlyMap<string, CustomError> | undefined;
function customErrorBySelector(selector: string): CustomError | undefined {
  customErrors ??= new Map(
    [...aaveV36ErrorsAbi, ...aaveErrorsAbi, ...TOKEN_ERRORS_ABI, ...LIQUIDATOR_ERRORS_ABI].map((item): [string, CustomError] => [
      // No tuple arguments among these errors, so "Name(type,type)" is the canonical signature.
      toFunctionSelector(`${item.name}(${item.inputs.map((i) => i.type).join(",")})`),
      {
        item,
        name: TOKEN_ERROR_NAMES[item.name] ?? upperSnake(item.name),
        nested: (LIQUIDATOR_ERRORS_ABI as readonly unknown[]).includes(item),
      },
    ]),
  );
  return customErrors.get(selector);
}

/** "MustNotLeaveDust" -> "MUST_NOT_LEAVE_DUST", "LtvValidationFailed" -> "LTV_VALIDATION_FAILED". */
function upperSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
}

/** "MUST_NOT_LEAVE_DUST (MustNotLeaveDust())", arguments decoded: "INVALID_DEBT_IN_EMODE (InvalidDebtInEmode(0x…, 1))". */
function nameCustomError(error: CustomError, data: Hex): string {
  let args: readonly unknown[] = [];
  if (error.item.inputs.length > 0) {
    try {
      args = decodeAbiParameters(error.item.inputs, `0x${data.slice(10)}`);
    } catch {
      return `${error.name} (${error.item.name}(<malformed arguments>))`;
    }
  }
  const shown = args.map((a, i) => (error.nested && error.item.inputs[i]?.type === "bytes" ? decodeRevertData(a as Hex) : String(a)));
  return `${error.name} (${error.item.name}(${shown.join(", ")}))`;
}

const ERROR_STRING = "0x08c379a0"; // Error(string)
const PANIC = "0x4e487b71"; // Panic(uint256)

/** The names a token-transfer failure decodes to: the pool checks passed, the wallet could not pay. */
export const TOKEN_TRANSFER_ERRORS: ReadonlySet<string> = new Set([
  "ERC20_INSUFFICIENT_BALANCE",
  "ERC20_INSUFFICIENT_ALLOWANCE",
  "ERC20_TRANSFER_FAILED",
]);

function nameErrorString(message: string): string {
  const code = AAVE_LIQUIDATION_ERRORS[message];
  if (code) return `${code} (${message})`;
  if (/^\d+$/.test(message)) return `AAVE_ERROR_${message}`;
  if (/exceeds allowance|insufficient allowance/i.test(message)) return `ERC20_INSUFFICIENT_ALLOWANCE: ${message}`;
  if (/exceeds balance|insufficient balance/i.test(message)) return `ERC20_INSUFFICIENT_BALANCE: ${message}`;
  if (/GPv2: failed transfer|SafeERC20/i.test(message)) return `ERC20_TRANSFER_FAILED: ${message}`;
  return message;
}

/** A readable reason for revert data (the `data` of an eth_call / eth_estimateGas error). */
export function decodeRevertData(data: Hex | undefined): string {
  if (data === undefined || data === "0x" || data.length < 10) return "REVERTED_WITHOUT_REASON";
  const selector = data.slice(0, 10).toLowerCase();
  try {
    if (selector === ERROR_STRING) {
      const [message] = decodeAbiParameters([{ type: "string" }], `0x${data.slice(10)}`);
      return nameErrorString(message);
    }
    if (selector === PANIC) {
      const [code] = decodeAbiParameters([{ type: "uint256" }], `0x${data.slice(10)}`);
      return `PANIC(0x${code.toString(16)})`;
    }
  } catch {
    // malformed payload: fall through to the raw selector
  }
  const custom = customErrorBySelector(selector);
  return custom ? nameCustomError(custom, data) : `UNKNOWN_ERROR(${selector})`;
}

/**
 * The reason names the code/name first; this extracts it, the same for 3.0 and 3.6:
 * "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" and "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())"
 * → "HEALTH_FACTOR_NOT_BELOW_THRESHOLD".
 */
export function reasonName(reason: string): string {
  return reason.split(/[\s:(]/, 1)[0] ?? reason;
}

/**
 * Finds revert data in an error thrown by viem (or by src/chain/rpc.ts): walks the cause chain for a
 * `data` field holding hex. `reverted` is false for errors that are not reverts (transport, timeouts).
 */
export function revertOf(err: unknown): { reverted: boolean; reason: string } {
  let e: unknown = err;
  let messages = "";
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (typeof e === "object") {
      const data = (e as { data?: unknown }).data;
      const hex =
        typeof data === "string" ? data : typeof data === "object" && data !== null ? (data as { data?: unknown }).data : undefined;
      if (typeof hex === "string" && /^0x[0-9a-fA-F]*$/.test(hex)) return { reverted: true, reason: decodeRevertData(hex as Hex) };
      const message = e as { shortMessage?: unknown; details?: unknown; message?: unknown };
      messages += ` ${String(message.details ?? "")} ${String(message.message ?? "")}`;
      e = (e as { cause?: unknown }).cause;
    } else {
      messages += ` ${String(e)}`;
      break;
    }
  }
  // Some nodes only put the string in the message: "execution reverted: 45".
  const m = /execution reverted(?::\s*([^\n"]+?))?(?:\s*\(code|\n|"|$)/i.exec(messages);
  if (m) return { reverted: true, reason: m[1] ? nameErrorString(m[1].trim()) : "REVERTED_WITHOUT_REASON" };
  const first = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return { reverted: false, reason: `simulation error: ${first.split("\n", 1)[0]}` };
}
