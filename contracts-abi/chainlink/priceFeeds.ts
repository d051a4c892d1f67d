// What stands behind an Aave price source, read to know which contracts a price update is sent to:
// a Chainlink proxy's aggregator (where `transmit` goes), a CAPO adapter's underlying feeds and ratio
// provider. Each is a getter some sources have and others do not (read with allowFailure).
export const feedProxyAbi = [
  { type: "function", name: "aggregator", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "address" }] },
] as const;

/** Aave's CAPO adapters (PriceCapAdapterBase, PriceCapAdapterStable). */
export const capoAdapterAbi = [
  { type: "function", name: "BASE_TO_USD_AGGREGATOR", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "address" }] },
  { type: "function", name: "ASSET_TO_USD_AGGREGATOR", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "address" }] },
  { type: "function", name: "RATIO_PROVIDER", stateMutability: "view", inputs: [], outputs: [{ name: "", type: "address" }] },
] as const;
