// Decoding of DataTypes.ReserveConfigurationMap, bit positions from core-v3 1.19.3
// ReserveConfiguration.sol (*_START_BIT_POSITION and the masks above them).

export interface ReserveConfiguration {
  ltv: number;
  liquidationThreshold: number;
  liquidationBonus: number;
  decimals: number;
  active: boolean;
  frozen: boolean;
  borrowingEnabled: boolean;
  stableBorrowingEnabled: boolean;
  paused: boolean;
  borrowableInIsolation: boolean;
  siloedBorrowing: boolean;
  flashLoanEnabled: boolean;
  reserveFactor: number;
  borrowCap: bigint;
  supplyCap: bigint;
  liquidationProtocolFee: number;
  /** V3.0/3.1 only; these bits are unused (0) from 3.2 on. */
  eModeCategory: number;
  unbackedMintCap: bigint;
  debtCeiling: bigint;
}

function field(data: bigint, start: bigint, bits: bigint): bigint {
  return (data >> start) & ((1n << bits) - 1n);
}
function flag(data: bigint, bit: bigint): boolean {
  return ((data >> bit) & 1n) === 1n;
}

export function decodeReserveConfiguration(data: bigint): ReserveConfiguration {
  return {
    ltv: Number(field(data, 0n, 16n)),
    liquidationThreshold: Number(field(data, 16n, 16n)),
    liquidationBonus: Number(field(data, 32n, 16n)),
    decimals: Number(field(data, 48n, 8n)),
    active: flag(data, 56n),
    frozen: flag(data, 57n),
    borrowingEnabled: flag(data, 58n),
    stableBorrowingEnabled: flag(data, 59n),
    paused: flag(data, 60n),
    borrowableInIsolation: flag(data, 61n),
    siloedBorrowing: flag(data, 62n),
    flashLoanEnabled: flag(data, 63n),
    reserveFactor: Number(field(data, 64n, 16n)),
    borrowCap: field(data, 80n, 36n),
    supplyCap: field(data, 116n, 36n),
    liquidationProtocolFee: Number(field(data, 152n, 16n)),
    eModeCategory: Number(field(data, 168n, 8n)),
    unbackedMintCap: field(data, 176n, 36n),
    debtCeiling: field(data, 212n, 40n),
  };
}
