// Creates sandbox borrowers: deterministic from a seed, each supplying 1-3 collateral assets and
// borrowing 1-2 assets so that its health factor lands on a target drawn from a chosen
// distribution; some borrowers use an eMode category. Planning is pure; execution sends real
// transactions (so an indexer sees real events) from impersonated accounts, thousands per block.
// On Aave 3.6 eMode borrowers also hold the category's LT-0 reserve and its LTV-zero asset.
import { createPublicClient, encodeFunctionData, encodePacked, keccak256, maxUint256, http, type Address, type Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
// supply, borrow, setUserEMode, getUserEMode, scaledBalanceOf and mint have the same signatures on 3.0 and 3.6.
import { aTokenAbi, mintableErc20Abi, poolAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { poolConfiguratorV36Abi } from "../../contracts-abi/aave-v3.6/index.js";
import { rpc } from "../chain/rpc.js";
import { withBulkBlocks } from "./bulkBlocks.js";
import { rpcBatchOrThrow, type RpcCall } from "../chain/rpcBatch.js";
import { multicallOptions } from "../chain/multicall.js";
import type { DeployedAsset, MarketDeployment } from "./deployMarket.js";
import { seededRandom, type Random } from "./random.js";

/** A weighted band of target health factors. */
export interface HealthFactorBand {
  min: number;
  max: number;
  weight: number;
}

/** Most accounts comfortable, a fair share close to the edge: what a price shock needs to bite. */
export const DEFAULT_HEALTH_FACTOR_BANDS: readonly HealthFactorBand[] = [
  { min: 1.01, max: 1.1, weight: 3 },
  { min: 1.1, max: 1.5, weight: 4 },
  { min: 1.5, max: 3, weight: 2 },
  { min: 3, max: 8, weight: 1 },
];

export interface BorrowerPlanOptions {
  count: number;
  seed: number;
  healthFactorBands?: readonly HealthFactorBand[];
  /** share of borrowers in an eMode category (default 0.25 with one category, 0.4 with more) */
  eModeShare?: number;
  /** collateral per borrower in USD, drawn log-uniformly (default 1,000 to 500,000) */
  minCollateralUsd?: number;
  maxCollateralUsd?: number;
}

export interface PlannedAmount {
  asset: Address;
  symbol: string;
  amount: bigint;
}

export interface BorrowerPlan {
  index: number;
  address: Address;
  /** derived from the seed, so tests can sign as the borrower too */
  privateKey: Hex;
  eModeCategory: number;
  collaterals: PlannedAmount[];
  debts: PlannedAmount[];
  /** the health factor this plan aims for, given the prices at planning time */
  targetHealthFactor: number;
}

/** An eMode category as the planner uses it: which assets count with its LTV/LT, which it lends. */
interface EModeChoice {
  id: number;
  ltv: number;
  liquidationThreshold: number;
  collateral: DeployedAsset[];
  borrowable: DeployedAsset[];
}

/**
 * 3.0: a category's assets are those whose reserve names it (collateral and borrowable alike).
 * 3.6: the category's bitmaps, as listed in the spec. LTV-zero members are planned with the
 * category's LTV: createBorrowers lifts the flag while they are supplied (see withLtvzeroLifted).
 */
function eModeChoices(market: MarketDeployment): EModeChoice[] {
  return market.eModes.map((e) => {
    const listed = (symbols: readonly string[] | undefined) => market.assets.filter((a) => symbols?.includes(a.symbol));
    const members = market.assets.filter((a) => a.spec.eModeCategory === e.id);
    return {
      id: e.id,
      ltv: e.ltv,
      liquidationThreshold: e.liquidationThreshold,
      collateral: market.aaveVersion === "3.6" ? listed(e.collateral) : members,
      borrowable: market.aaveVersion === "3.6" ? listed(e.borrowable) : members,
    };
  });
}

const PRICE_UNIT = 1e8;
// Borrowing to exactly the LTV limit can revert on rounding; stay just inside it.
const MAX_BORROW_SHARE_OF_LTV = 0.995;

function drawHealthFactor(random: Random, bands: readonly HealthFactorBand[]): number {
  const total = bands.reduce((sum, b) => sum + b.weight, 0);
  let roll = random.next() * total;
  for (const band of bands) {
    roll -= band.weight;
    if (roll < 0) return random.between(band.min, band.max);
  }
  const last = bands[bands.length - 1]!;
  return random.between(last.min, last.max);
}

function toUnits(usd: number, asset: DeployedAsset): bigint {
  // Number math is fine here: the plan aims for a target; exactness is checked on chain afterwards.
  const tokens = usd / (Number(asset.spec.priceUsd) / PRICE_UNIT);
  const [whole = "0", fraction = ""] = tokens.toFixed(asset.decimals).split(".");
  return BigInt(whole + fraction.padEnd(asset.decimals, "0").slice(0, asset.decimals));
}

export function planBorrowers(market: MarketDeployment, options: BorrowerPlanOptions): BorrowerPlan[] {
  const random = seededRandom(options.seed);
  const bands = options.healthFactorBands ?? DEFAULT_HEALTH_FACTOR_BANDS;
  const minUsd = options.minCollateralUsd ?? 1_000;
  const maxUsd = options.maxCollateralUsd ?? 500_000;
  const eModes = eModeChoices(market).filter((e) => e.collateral.length >= 2 && e.borrowable.length >= 1);
  const eModeShare = options.eModeShare ?? (eModes.length > 1 ? 0.4 : 0.25);
  // Outside eMode: reserves with a liquidation threshold as collateral (an LT-0 reserve cannot be
  // enabled there), reserves with borrowing enabled as debt.
  const plainCollateral = market.assets.filter((a) => a.spec.ltv > 0 && a.spec.liquidationThreshold > 0);
  const plainDebt = market.assets.filter((a) => a.spec.borrowingEnabled ?? true);

  const plans: BorrowerPlan[] = [];
  for (let index = 0; index < options.count; index++) {
    const privateKey = keccak256(
      encodePacked(["string", "uint256", "uint256"], ["keeper-sandbox-borrower", BigInt(options.seed), BigInt(index)]),
    );
    const inEMode = eModes.length > 0 && random.next() < eModeShare;
    // One category draws nothing, so a 3.0 seed plans what it always planned.
    const eMode = !inEMode ? undefined : eModes.length === 1 ? eModes[0]! : random.pick(eModes);
    const collateralChoices = eMode ? eMode.collateral : plainCollateral;
    const collateralAssets = random.sample(collateralChoices, random.int(1, Math.min(3, collateralChoices.length)));
    const lendable = eMode ? eMode.borrowable : plainDebt;
    const debtChoices = lendable.filter((a) => !collateralAssets.includes(a));
    // A borrower holding every lendable asset as collateral borrows one of them too.
    const debtPool = debtChoices.length > 0 ? debtChoices : lendable;
    const debtAssets = random.sample(debtPool, random.int(1, Math.min(2, debtPool.length)));

    const totalUsd = Math.exp(random.between(Math.log(minUsd), Math.log(maxUsd)));
    const weights = collateralAssets.map(() => random.between(0.2, 1));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    let weightedLt = 0;
    let weightedLtv = 0;
    const collaterals = collateralAssets.map((asset, i) => {
      const usd = (totalUsd * weights[i]!) / weightSum;
      const lt = eMode ? eMode.liquidationThreshold : asset.spec.liquidationThreshold;
      const ltv = eMode ? eMode.ltv : asset.spec.ltv;
      weightedLt += (usd * lt) / 10_000;
      weightedLtv += (usd * ltv) / 10_000;
      return { asset: asset.address, symbol: asset.symbol, amount: toUnits(usd, asset) };
    });

    // HF = sum(collateral * LT) / debt, and the pool lets debt reach sum(collateral * LTV).
    const lowestReachable = weightedLt / (weightedLtv * MAX_BORROW_SHARE_OF_LTV);
    const targetHealthFactor = Math.max(drawHealthFactor(random, bands), lowestReachable);
    const debtUsd = weightedLt / targetHealthFactor;
    const debtWeights = debtAssets.map(() => random.between(0.2, 1));
    const debtWeightSum = debtWeights.reduce((a, b) => a + b, 0);
    const debts = debtAssets.map((asset, i) => ({
      asset: asset.address,
      symbol: asset.symbol,
      amount: toUnits((debtUsd * debtWeights[i]!) / debtWeightSum, asset),
    }));

    plans.push({
      index,
      address: privateKeyToAddress(privateKey),
      privateKey,
      eModeCategory: eMode ? eMode.id : 0,
      collaterals,
      debts,
      targetHealthFactor,
    });
  }
  return plans;
}

// Gas limits per step, generous: the block is built with a raised gas limit, so only correctness
// (never running out) matters.
const GAS = { mint: 100_000n, approve: 80_000n, supply: 400_000n, eMode: 250_000n, borrow: 600_000n };
const GWEI = 1_000_000_000n;

function borrowerTransactions(plan: BorrowerPlan, market: MarketDeployment): { to: Address; data: Hex; gas: bigint }[] {
  const pool = market.pool;
  const txs: { to: Address; data: Hex; gas: bigint }[] = [];
  const eMode = {
    to: pool,
    gas: GAS.eMode,
    data: encodeFunctionData({ abi: poolAbi, functionName: "setUserEMode", args: [plan.eModeCategory] }),
  };
  // 3.6 enables a supply as collateral only if the user's LTV for it is non-zero, which for an
  // eMode-only (LT-0) reserve holds only inside the category: enter eMode first (allowed while the
  // account is empty). 3.0 keeps its historical order.
  const eModeFirst = market.aaveVersion === "3.6";
  if (plan.eModeCategory !== 0 && eModeFirst) txs.push(eMode);
  for (const c of plan.collaterals) {
    txs.push({ to: c.asset, gas: GAS.mint, data: encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [c.amount] }) });
    txs.push({
      to: c.asset,
      gas: GAS.approve,
      data: encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [pool, maxUint256] }),
    });
    txs.push({
      to: pool,
      gas: GAS.supply,
      data: encodeFunctionData({ abi: poolAbi, functionName: "supply", args: [c.asset, c.amount, plan.address, 0] }),
    });
  }
  if (plan.eModeCategory !== 0 && !eModeFirst) txs.push(eMode);
  for (const d of plan.debts) {
    txs.push({
      to: pool,
      gas: GAS.borrow,
      data: encodeFunctionData({ abi: poolAbi, functionName: "borrow", args: [d.asset, d.amount, 2n, 0, plan.address] }),
    });
  }
  return txs;
}

/** (asset, category) pairs in the category's ltvzero bitmap that some plan supplies inside that category. */
function ltvzeroInUse(market: MarketDeployment, plans: readonly BorrowerPlan[]): { asset: Address; category: number }[] {
  const pairs: { asset: Address; category: number }[] = [];
  for (const e of market.eModes) {
    for (const asset of market.assets.filter((a) => e.ltvzero?.includes(a.symbol))) {
      const used = plans.some((p) => p.eModeCategory === e.id && p.collaterals.some((c) => c.asset === asset.address));
      if (used) pairs.push({ asset: asset.address, category: e.id });
    }
  }
  return pairs;
}

/**
 * An asset in a category's ltvzero bitmap has LTV 0 there, and 3.6 lets nobody enable an LTV-0
 * asset as collateral (ValidationLogic.validateUseAsCollateral) nor enter a category holding one
 * (validateSetUserEMode). Real positions with one are those that held it before the risk admin set
 * the flag; the sandbox builds them the same way: it clears the flag for the block in which the
 * borrowers supply, and sets it again after (AssetLtvzeroInEModeChanged, as on mainnet).
 */
async function withLtvzeroLifted<T>(market: MarketDeployment, plans: readonly BorrowerPlan[], run: () => Promise<T>): Promise<T> {
  const pairs = ltvzeroInUse(market, plans);
  const setAll = async (ltvzero: boolean) => {
    if (pairs.length === 0) return;
    const hashes = await rpcBatchOrThrow<Hex>(
      market.rpcUrl,
      pairs.map(({ asset, category }) => ({
        method: "eth_sendTransaction",
        params: [
          {
            from: market.deployer,
            to: market.poolConfigurator,
            gas: 500_000n,
            maxFeePerGas: 1000n * GWEI,
            maxPriorityFeePerGas: GWEI,
            data: encodeFunctionData({
              abi: poolConfiguratorV36Abi,
              functionName: "setAssetLtvzeroInEMode",
              args: [asset, category, ltvzero],
            }),
          },
        ],
      })),
    );
    await rpc(market.rpcUrl, "evm_mine");
    for (const hash of hashes) {
      const receipt = await rpc<{ status: Hex } | null>(market.rpcUrl, "eth_getTransactionReceipt", [hash]);
      if (receipt?.status !== "0x1") throw new Error(`sandbox: setAssetLtvzeroInEMode(${ltvzero}) failed (${hash})`);
    }
  };
  await setAll(false);
  try {
    return await run();
  } finally {
    await setAll(true);
  }
}

export interface CreateBorrowersOptions {
  /** borrowers whose transactions go into one JSON-RPC batch and one mined block (default 200) */
  borrowersPerBlock?: number;
}

/**
 * Sends every planned borrower's transactions and mines them. Needs an anvil (impersonation and
 * manual mining); restores automine and the block gas limit afterwards. Throws, naming the
 * borrower and step, if any transaction reverted.
 */
export async function createBorrowers(
  market: MarketDeployment,
  plans: readonly BorrowerPlan[],
  options: CreateBorrowersOptions = {},
): Promise<void> {
  const url = market.rpcUrl;
  const perBlock = options.borrowersPerBlock ?? 200;
  await withBulkBlocks(url, async () => {
    for (let start = 0; start < plans.length; start += perBlock) {
      const chunk = plans.slice(start, start + perBlock);
      await withLtvzeroLifted(market, chunk, () => createChunk(market, chunk));
    }
  });
}

async function createChunk(market: MarketDeployment, plans: readonly BorrowerPlan[]): Promise<void> {
  const url = market.rpcUrl;
  await rpcBatchOrThrow(
    url,
    plans.flatMap((p): RpcCall[] => [
      { method: "anvil_setBalance", params: [p.address, `0x${(10n ** 21n).toString(16)}`] },
      { method: "anvil_impersonateAccount", params: [p.address] },
    ]),
  );
  const nonces = await rpcBatchOrThrow<Hex>(
    url,
    plans.map((p) => ({ method: "eth_getTransactionCount", params: [p.address, "pending"] })),
  );

  const calls: RpcCall[] = [];
  const stepOf: { borrower: BorrowerPlan; step: number }[] = [];
  for (const [i, plan] of plans.entries()) {
    let nonce = BigInt(nonces[i]!);
    for (const [step, tx] of borrowerTransactions(plan, market).entries()) {
      calls.push({
        method: "eth_sendTransaction",
        params: [
          {
            from: plan.address,
            to: tx.to,
            data: tx.data,
            gas: tx.gas,
            nonce: nonce++,
            maxFeePerGas: 1000n * GWEI,
            maxPriorityFeePerGas: GWEI,
          },
        ],
      });
      stepOf.push({ borrower: plan, step });
    }
  }
  const hashes = await rpcBatchOrThrow<Hex>(url, calls);
  const steps = calls.map((_, i) => stepOf[i]!);
  await rpc(url, "evm_mine");
  // Anything the block could not take stays pending; mine until the pool is empty.
  for (let guard = 0; guard < 100; guard++) {
    const status = await rpc<{ pending: Hex }>(url, "txpool_status");
    if (BigInt(status.pending) === 0n) break;
    await rpc(url, "evm_mine");
  }
  await verifyBorrowers(market, plans, hashes, steps);
  await rpcBatchOrThrow(
    url,
    plans.map((p) => ({ method: "anvil_stopImpersonatingAccount", params: [p.address] })),
  );
}

/**
 * Checks the resulting positions rather than receipts: anvil builds receipts slowly (seconds for a
 * block of a thousand transactions), while a multicall of balances takes milliseconds. A borrower
 * whose position is not what was planned has its receipts read to say which step failed.
 */
async function verifyBorrowers(
  market: MarketDeployment,
  plans: readonly BorrowerPlan[],
  hashes: readonly Hex[],
  steps: readonly { borrower: BorrowerPlan; step: number }[],
): Promise<void> {
  const client = createPublicClient({ transport: http(market.rpcUrl) });
  const byAddress = new Map(market.assets.map((a) => [a.address, a]));
  const contracts = plans.flatMap((plan) => [
    { address: market.pool, abi: poolAbi, functionName: "getUserEMode", args: [plan.address] } as const,
    ...plan.collaterals.map(
      (c) => ({ address: byAddress.get(c.asset)!.aToken, abi: aTokenAbi, functionName: "scaledBalanceOf", args: [plan.address] }) as const,
    ),
    ...plan.debts.map(
      (d) =>
        ({
          address: byAddress.get(d.asset)!.variableDebtToken,
          abi: variableDebtTokenAbi,
          functionName: "scaledBalanceOf",
          args: [plan.address],
        }) as const,
    ),
  ]);
  const results = await client.multicall({ contracts, allowFailure: false, ...multicallOptions });
  let at = 0;
  for (const plan of plans) {
    const eMode = results[at++] as bigint;
    let ok = eMode === BigInt(plan.eModeCategory);
    for (let i = 0; i < plan.collaterals.length + plan.debts.length; i++) ok = (results[at++] as bigint) > 0n && ok;
    if (!ok) await explainFailure(market.rpcUrl, plan, hashes, steps);
  }
}

async function explainFailure(
  url: string,
  plan: BorrowerPlan,
  hashes: readonly Hex[],
  steps: readonly { borrower: BorrowerPlan; step: number }[],
): Promise<never> {
  for (const [i, { borrower, step }] of steps.entries()) {
    if (borrower !== plan) continue;
    const receipt = await rpc<{ status: Hex } | null>(url, "eth_getTransactionReceipt", [hashes[i]]);
    if (receipt?.status !== "0x1") {
      const what = receipt ? "reverted" : "was not mined";
      throw new Error(`sandbox borrower #${plan.index} (${plan.address}): transaction ${step + 1} ${what} (${hashes[i]})`);
    }
  }
  throw new Error(`sandbox borrower #${plan.index} (${plan.address}): its position on chain is not the planned one`);
}
