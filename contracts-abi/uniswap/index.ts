export { uniswapV3FactoryAbi } from "./uniswapV3Factory.js";
export { uniswapV3PoolAbi } from "./uniswapV3Pool.js";
export { swapRouterAbi } from "./swapRouter.js";
export { quoterV2Abi } from "./quoterV2.js";
export { nonfungiblePositionManagerAbi } from "./nonfungiblePositionManager.js";
export { swapRouter02Abi } from "./swapRouter02.js";
