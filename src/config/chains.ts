// The wrapped native token of each chain keeper knows: the reserve whose oracle price prices gas in
// the market's base currency. Values from @aave-dao/aave-address-book's tokenlist (chainId, symbol,
// address); WRAPPED_NATIVE_TOKEN overrides them, and a chain not listed needs it for gas to count.
export const WRAPPED_NATIVE_TOKENS: Readonly<Record<number, `0x${string}`>> = Object.freeze({
  1: "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", // WETH
  10: "0x4200000000000000000000000000000000000006", // WETH
  56: "0xbb4CdB9CBd36B01bD1cBaEBF2De08d9173bc095c", // WBNB
  100: "0xe91D153E0b41518A2Ce8Dd3D7944Fa863463a97d", // WXDAI
  137: "0x0d500B1d8E8eF31E21C99d1Db9A6444d3ADf1270", // WPOL
  324: "0x5AEa5775959fBC2557Cc8789bC1bf90A239D9a91", // WETH
  8453: "0x4200000000000000000000000000000000000006", // WETH
  42161: "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1", // WETH
  43114: "0xB31f66AA3C1e785363F0875A1B74E27b85FD66c7", // WAVAX
  59144: "0xe5D7C2a44FfDDf6b295A15c148167daaAf5Cf34f", // WETH
  534352: "0x5300000000000000000000000000000000000004", // WETH
});
