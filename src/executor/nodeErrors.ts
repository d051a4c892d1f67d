// A node's answer to eth_sendRawTransaction, classified once: callers test the class, never a regex on
// a message. Messages differ between geth, erigon, reth, nethermind and anvil; the patterns below
// cover the ones seen in the wild.
import { RpcError } from "../chain/rpc.js";
import { EXIT_FAILURE, KeeperError } from "../errors.js";

/** `retryable`: sending the same bytes again may succeed (a transport failure). */
export class SendError extends KeeperError {
  constructor(message: string, retryable = false) {
    super(message, { exitCode: EXIT_FAILURE, retryable });
  }
}

/** The nonce was already used (mined) by another transaction of this wallet. */
export class NonceTooLowError extends SendError {}
/** A transaction with this nonce is in the pool and this one does not bump its fees enough. */
export class ReplacementUnderpricedError extends SendError {}
/** The wallet cannot pay gas × max fee. */
export class InsufficientFundsError extends SendError {}
/** The max fee is below the base fee (some nodes refuse such a transaction outright). */
export class FeeBelowBaseFeeError extends SendError {}
/** Any other refusal by the node. */
export class RejectedError extends SendError {}
/** No answer from the node (connection, timeout, HTTP): it may or may not have the transaction. */
export class TransportError extends SendError {
  constructor(message: string) {
    super(message, true);
  }
}

const ALREADY_KNOWN = /already known|already imported|known transaction|AlreadyKnown|transaction already exists/i;
const NONCE_TOO_LOW = /nonce too low|nonce has already been used|OldNonce|invalid nonce/i;
const UNDERPRICED = /replacement transaction underpriced|replacement.*underpriced|ReplaceUnderpriced/i;
const INSUFFICIENT_FUNDS = /insufficient funds|InsufficientFunds/i;
const BELOW_BASE_FEE = /max fee per gas less than block base fee|fee cap less than block base fee|FeeCapTooLow/i;

/** undefined: the node already has this very transaction, which counts as sent. */
export function classifyNodeMessage(message: string): SendError | undefined {
  if (ALREADY_KNOWN.test(message)) return undefined;
  if (NONCE_TOO_LOW.test(message)) return new NonceTooLowError(message);
  if (UNDERPRICED.test(message)) return new ReplacementUnderpricedError(message);
  if (INSUFFICIENT_FUNDS.test(message)) return new InsufficientFundsError(message);
  if (BELOW_BASE_FEE.test(message)) return new FeeBelowBaseFeeError(message);
  return new RejectedError(message);
}

/** An error thrown by src/chain/rpc.ts (or a batch answer's message), classified. */
export function classifySendError(err: unknown, scrub: (text: string) => string): SendError | undefined {
  const text = scrub(err instanceof Error ? err.message : String(err)).split("\n", 1)[0] ?? "";
  if (err instanceof RpcError) return classifyNodeMessage(text);
  return new TransportError(text);
}
