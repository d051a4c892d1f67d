// What the keeper learns as it runs, for the next round's planning: how much gas a liquidation
// takes (the in-flight budget, and the profit model's gas), how far apart blocks are (the timestamp
// the next block's plans are made for) and how many blocks a round spans (the in-flight budget
// widens when rounds are slow). Moving averages and medians of what simulations and blocks showed.

/** Gas a liquidationCall is planned with until simulations give real figures. */
export const DEFAULT_GAS_UNITS = 450_000n;
/** A round spanning more blocks than this (a stalled node) widens the in-flight budget no further. */
const MAX_ROUND_SPAN = 4;
const BLOCK_TIMES_KEPT = 8;
const ROUND_SPANS_KEPT = 4;

export class Estimator {
  /** gas of a liquidation as recent simulations found it (what one takes of a block) */
  private perLiquidation: bigint;
  /** gas of a plain liquidationCall, the profit model's (a flash plan adds the loan's and the swap's) */
  private liquidationCall: bigint;
  private blockTimes: bigint[] = [];
  private lastTimestamp: bigint | undefined;
  private lastRoundHead: bigint | undefined;
  private roundSpans: number[] = [];

  constructor(initialGasUnits: bigint = DEFAULT_GAS_UNITS) {
    this.perLiquidation = initialGasUnits;
    this.liquidationCall = initialGasUnits;
  }

  /** Gas one liquidation takes of a block (the in-flight budget's unit). */
  get gasPerLiquidation(): bigint {
    return this.perLiquidation;
  }

  /** Gas of a plain liquidationCall, for the profit model. */
  get liquidationCallGas(): bigint {
    return this.liquidationCall;
  }

  /**
   * A simulation found that `items` liquidations take `gas` of a block in all (with the refund margin:
   * what they need to run) and `netGas` net of refunds (what their receipt will show); `modelAdded` is
   * what the plans' model put on top of plain liquidationCalls (flash loans, swaps), to learn the call's own.
   */
  observeSimulation(gas: bigint, netGas: bigint, items: number, modelAdded: bigint): void {
    if (items <= 0 || gas <= 0n) return;
    this.perLiquidation = (this.perLiquidation * 7n + gas / BigInt(items)) / 8n;
    const call = netGas > modelAdded ? (netGas - modelAdded) / BigInt(items) : 0n;
    if (call > 0n) this.liquidationCall = (this.liquidationCall * 7n + call) / 8n;
  }

  /** A transaction sent: its simulation's gas, over its plans (the model's flash-loan and swap gas apart). */
  observeSent(tx: { simulatedGas: bigint; simulatedNetGas?: bigint; plans: readonly { flashLoan?: { modelAddedGas?: bigint } }[] }): void {
    const added = tx.plans.reduce((sum, p) => sum + (p.flashLoan?.modelAddedGas ?? 0n), 0n);
    this.observeSimulation(tx.simulatedGas, tx.simulatedNetGas ?? tx.simulatedGas, tx.plans.length, added);
  }

  /** A processed block range ending at `timestamp` (`blocks` blocks since the last). */
  observeBlocks(timestamp: bigint, blocks: bigint): void {
    if (this.lastTimestamp !== undefined && timestamp > this.lastTimestamp) {
      const interval = (timestamp - this.lastTimestamp) / (blocks > 0n ? blocks : 1n);
      this.blockTimes = [...this.blockTimes, interval].slice(-BLOCK_TIMES_KEPT);
    }
    this.lastTimestamp = timestamp;
  }

  /** Median of the recent block intervals, in seconds; 12 (Ethereum) until there are some. */
  blockTime(): bigint {
    if (this.blockTimes.length === 0) return 12n;
    const sorted = [...this.blockTimes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  /** A round starts at `head`. */
  observeRound(head: bigint): void {
    const last = this.lastRoundHead;
    this.lastRoundHead = head;
    if (last !== undefined && head > last) this.roundSpans = [...this.roundSpans, Number(head - last)].slice(-ROUND_SPANS_KEPT);
  }

  /**
   * Blocks of gas that may be in flight: `maxInflightBlocks` beyond those mined before the next round.
   * When the node is slow and rounds are several blocks apart, the blocks in between are filled too
   * (with only maxInflightBlocks they would go out empty): the longest of the last rounds, capped.
   */
  inflightBlocks(maxInflightBlocks: number): bigint {
    const span = Math.min(Math.max(1, ...this.roundSpans), MAX_ROUND_SPAN);
    return BigInt(maxInflightBlocks + span - 1);
  }
}
