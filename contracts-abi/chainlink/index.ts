export { capoAdapterAbi, feedProxyAbi } from "./priceFeeds.js";
