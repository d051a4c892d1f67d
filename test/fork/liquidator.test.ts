// The Liquidator (v2: loans of guarded items) against a real Aave market and the sandbox's Uniswap V3
// pools, on Aave 3.0 and 3.6. Its owner holds no token (only gas) unless a test funds a loan from it.
// A batch goes through when some of its accounts were taken first by a competitor in the same block
// or made healthy again: those are Skipped events with the pool's reason. A loan whose items were all
// skipped, or whose profit is short, fails alone (LoanFailed, no premium paid); a call whose loans all
// fail reverts with the first one's reason. Owner-funded loans with and without swaps, a SwapRouter02,
// the access checks. After every call the contract holds no token and no allowance.
// Also prints the gas per liquidation of a plain liquidationCall from a wallet, of flash liquidations
// alone and in batches of 5 and 20 (one loan per item vs one loan for all), and of owner-funded ones
// (contracts/README.md's table).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  decodeFunctionResult,
  encodeFunctionData,
  encodePacked,
  getAddress,
  http,
  keccak256,
  maxUint256,
  parseEventLogs,
  parseGwei,
  toHex,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { aaveOracleAbi, mintableErc20Abi, poolAbi, poolConfiguratorAbi, variableDebtTokenAbi } from "../../contracts-abi/aave/index.js";
import { liquidatorAbi } from "../../contracts-abi/liquidator/Liquidator.js";
import { uniswapV3PoolAbi } from "../../contracts-abi/uniswap/index.js";
import { deployLiquidator, readLiquidator, swapRouterKind } from "../../src/chain/liquidatorContract.js";
import { rpc } from "../../src/chain/rpc.js";
import { type LiquidatorLoan, liquidatorCall, OUT_PER_IN_SCALE } from "../../src/executor/poolCall.js";
import { liquidatorItemOutcomes, liquidatorOutcomes } from "../../src/executor/receipts.js";
import { decodeRevertData, reasonName, revertOf } from "../../src/executor/revertReason.js";
import { type BorrowerPlan, createBorrowers } from "../../src/sandbox/borrowers.js";
import type { DeployedAsset, MarketDeployment } from "../../src/sandbox/deployMarket.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { movedPrice, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { sendUnlocked } from "../../src/sandbox/sendUnlocked.js";
import { alignPools, type SandboxPool, type UniswapDeployment } from "../../src/sandbox/uniswap.js";

/** anvil dev accounts: the liquidator's owner (its key deploys), someone else, a wallet liquidating from inventory, a competitor */
const OWNER_KEY: Hex = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const OWNER = getAddress("0x90F79bf6EB2c4f870365E785982E1f101E93b906");
const STRANGER = getAddress("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
const WALLET = getAddress("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc");
const COMPETITOR = getAddress("0x976EA74026E726554dB657fA54763abd0C3a0aa9");
/** 5 bps, Aave's flash-loan premium on Ethereum today */
const FLASH_PREMIUM_BPS = 5n;
const GAS = 5_000_000n;
/** a batch of 20 flash loans takes ~9M */
const BATCH_GAS = 25_000_000n;
const HF_ONE = 10n ** 18n;
const CLOSE_FACTOR_HF_THRESHOLD = 95n * 10n ** 16n;
/** positions of one kind for the gas figures: WETH $100k collateral, USDC $80k debt */
const GAS_POSITIONS = 1 + 1 + 2 * (5 + 20) + 1 + 5 + 20;

describe.each(AAVE_VERSIONS)("Liquidator on the Aave %s sandbox with Uniswap V3", (version) => {
  let sandbox: Sandbox;
  let market: MarketDeployment;
  let dex: UniswapDeployment;
  let client: PublicClient;
  /** the Liquidator on the original SwapRouter, and one on SwapRouter02 */
  let liquidator: Address;
  let liquidator02: Address;
  const users = new Map<string, Address>();
  const gas: { what: string; gasUsed: bigint; liquidations: number }[] = [];

  const asset = (symbol: string): DeployedAsset => {
    const a = market.assets.find((x) => x.symbol === symbol);
    if (!a) throw new Error(`no ${symbol}`);
    return a;
  };
  const symbolOf = (token: Address) => market.assets.find((a) => a.address === token)!.symbol;
  const user = (name: string) => {
    const u = users.get(name);
    if (!u) throw new Error(`no position ${name}`);
    return u;
  };
  const poolOf = (a: string, b: string): SandboxPool => {
    const [x, y] = [asset(a).address, asset(b).address];
    const p = dex.pools.find((q) => (q.token0 === x && q.token1 === y) || (q.token0 === y && q.token1 === x));
    if (!p) throw new Error(`no ${a}/${b} pool`);
    return p;
  };
  /** Uniswap V3 path through the sandbox's pools: symbols in order. */
  const path = (...symbols: string[]): Hex => {
    const types: string[] = ["address"];
    const values: unknown[] = [asset(symbols[0]!).address];
    for (let i = 1; i < symbols.length; i++) {
      types.push("uint24", "address");
      values.push(poolOf(symbols[i - 1]!, symbols[i]!).fee, asset(symbols[i]!).address);
    }
    return encodePacked(types, values);
  };

  const balanceOf = (token: Address, who: Address, blockNumber?: bigint) =>
    client.readContract({ address: token, abi: mintableErc20Abi, functionName: "balanceOf", args: [who], blockNumber });
  const allowance = (token: Address, holder: Address, spender: Address) =>
    client.readContract({ address: token, abi: mintableErc20Abi, functionName: "allowance", args: [holder, spender] });
  const price = (symbol: string) =>
    client.readContract({ address: market.oracle, abi: aaveOracleAbi, functionName: "getAssetPrice", args: [asset(symbol).address] });
  const tokens = async (symbol: string, usd: number) =>
    (BigInt(usd) * 10n ** 8n * 10n ** BigInt(asset(symbol).decimals)) / (await price(symbol));
  const healthFactor = async (who: Address) =>
    (await client.readContract({ address: market.pool, abi: poolAbi, functionName: "getUserAccountData", args: [who] }))[5];
  const debtOf = (who: Address, symbol: string) =>
    client.readContract({ address: asset(symbol).variableDebtToken, abi: variableDebtTokenAbi, functionName: "balanceOf", args: [who] });

  const send = (from: Address, to: Address, data: Hex, what: string) =>
    sendUnlocked(market.rpcUrl, from, { to, data, gas: toHex(GAS) }, what);
  /** eth_sendTransaction from an unlocked account with its own tip (anvil orders a block by fees); not awaited. */
  const submit = (from: Address, to: Address, data: Hex, o: { gas?: bigint; tip?: bigint } = {}): Promise<Hex> =>
    client.request({
      method: "eth_sendTransaction",
      params: [
        {
          from,
          to,
          data,
          gas: toHex(o.gas ?? GAS),
          maxFeePerGas: toHex(parseGwei("500")),
          maxPriorityFeePerGas: toHex(o.tip ?? parseGwei("1")),
        },
      ],
    } as never) as Promise<Hex>;
  const receiptOf = (hash: Hex) => client.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 30_000 });

  /** The sandbox's tokens mint to anyone (the deployer sends it). */
  const mint = (token: Address, to: Address, amount: bigint) =>
    send(market.deployer, token, encodeFunctionData({ abi: mintableErc20Abi, functionName: "mint", args: [to, amount] }), "mint");
  const approve = (from: Address, token: Address, spender: Address, amount: bigint) =>
    send(from, token, encodeFunctionData({ abi: mintableErc20Abi, functionName: "approve", args: [spender, amount] }), "approve");

  /** Fresh borrowers supplying and borrowing USD amounts at the oracle's prices, all in a few blocks. */
  async function openPositions(specs: { name: string; supplies: [string, number][]; borrows: [string, number][] }[]): Promise<void> {
    const amounts = async (list: [string, number][]) =>
      Promise.all(list.map(async ([symbol, usd]) => ({ asset: asset(symbol).address, symbol, amount: await tokens(symbol, usd) })));
    const plans: BorrowerPlan[] = [];
    for (const [index, s] of specs.entries()) {
      const address = getAddress(keccak256(toHex(`liquidator test borrower ${s.name}`)).slice(0, 42));
      const [collaterals, debts] = [await amounts(s.supplies), await amounts(s.borrows)];
      plans.push({ index, address, privateKey: "0x", eModeCategory: 0, collaterals, debts, targetHealthFactor: 0 });
      users.set(s.name, address);
    }
    await createBorrowers(market, plans);
  }

  /**
   * What the pool will take: half the debt while HF > 0.95, all of it below (3.0's close factor per
   * reserve; 3.6 halves the position's debt, the same here with one debt reserve over $2,000).
   */
  async function coverable(who: Address, debtSymbol: string): Promise<bigint> {
    const debt = await debtOf(who, debtSymbol);
    return (await healthFactor(who)) > CLOSE_FACTOR_HF_THRESHOLD ? debt / 2n : debt;
  }

  /** minOutPerIn at the oracle's prices less `bps` (negative: more than the oracle's value). */
  async function oracleOutPerIn(from: string, to: string, bps: bigint): Promise<bigint> {
    const [pIn, pOut] = [await price(from), await price(to)];
    const scale = 10n ** BigInt(asset(to).decimals) * OUT_PER_IN_SCALE;
    return (pIn * scale * (10_000n - bps)) / (pOut * 10n ** BigInt(asset(from).decimals) * 10_000n);
  }

  /** A loan of `names`' positions (all on `collateral` / `debt`), the whole debt the pool takes of each. */
  async function loanOf(
    names: string[],
    collateral: string,
    debt: string,
    route: string[],
    o: { funding?: LiquidatorLoan["funding"]; minProfit?: bigint; minOutPerIn?: bigint; extra?: bigint } = {},
  ): Promise<LiquidatorLoan> {
    const items = await Promise.all(
      names.map(async (name) => ({
        collateralAsset: asset(collateral).address,
        user: user(name),
        debtToCover: await coverable(user(name), debt),
        minProfit: o.minProfit ?? 0n,
      })),
    );
    const minOut = o.minOutPerIn ?? (route.length > 0 ? await oracleOutPerIn(collateral, debt, 300n) : 0n);
    return {
      debtAsset: asset(debt).address,
      amount: items.reduce((sum, i) => sum + i.debtToCover, 0n) + (o.extra ?? 0n),
      funding: o.funding ?? "flashLoan",
      items,
      swaps: route.length === 0 ? [] : [{ path: path(...route), minOutPerIn: minOut }],
    };
  }

  /** FlashLoanLogic.executeFlashLoanSimple: percentMul (half up) on 3.0, percentMulCeil on 3.6. */
  const premiumOn = (amount: bigint) => (amount * FLASH_PREMIUM_BPS + (version === "3.0" ? 5_000n : 9_999n)) / 10_000n;

  const deadline = async () => (await client.getBlock()).timestamp + 600n;

  /** eth_call of liquidate as `from`: the profits it would return (or it throws the revert). */
  async function simulate(
    loans: LiquidatorLoan[],
    o: { from?: Address; at?: Address; deadline?: bigint } = {},
  ): Promise<readonly bigint[]> {
    const call = liquidatorCall(o.at ?? liquidator, loans, o.deadline ?? (await deadline()));
    const { data } = await client.call({ account: o.from ?? OWNER, to: call.to, data: call.data, gas: BATCH_GAS });
    return decodeFunctionResult({ abi: liquidatorAbi, functionName: "liquidate", data: data! });
  }

  /** Why the first loan of `loans` fails, from a simulation's logs (LoanFailed: the call itself does not revert). */
  async function failure(loans: LiquidatorLoan[], o: { at?: Address } = {}): Promise<string> {
    const call = liquidatorCall(o.at ?? liquidator, loans, await deadline());
    type Answer = { calls: { status: Hex; logs: { address: Address; topics: Hex[]; data: Hex }[] }[] }[];
    const payload = { blockStateCalls: [{ calls: [{ from: OWNER, to: call.to, data: call.data, gas: `0x${BATCH_GAS.toString(16)}` }] }] };
    const [block] = await rpc<Answer>(market.rpcUrl, "eth_simulateV1", [payload, "latest"]);
    expect(block!.calls[0]!.status, "the call succeeds").toBe("0x1");
    const [first] = liquidatorOutcomes(block!.calls[0]!.logs, o.at ?? liquidator);
    expect(first?.settled, "the first loan fails").toBe(false);
    return first && !first.settled ? first.reason : "";
  }

  /** The revert of `call`, named as the keeper names it (src/executor/revertReason.ts). */
  async function reverted(call: Promise<unknown>): Promise<string> {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "the call was expected to revert").toBeDefined();
    const r = revertOf(err);
    expect(r.reverted, String(err)).toBe(true);
    return r.reason;
  }

  /**
   * A measured transaction goes in a block 12 s after the last, like a real chain's next block: the
   * reserves' first touch in a block pays for the interest accrual, a same-second block would not.
   */
  const laterBlock = () => rpc(market.rpcUrl, "evm_increaseTime", [12]);

  /** Sends liquidate(loans) from the owner and returns its receipt, reverted or not. */
  async function liquidate(loans: LiquidatorLoan[], at: Address = liquidator): Promise<TransactionReceipt> {
    await laterBlock();
    const call = liquidatorCall(at, loans, await deadline());
    return receiptOf(await submit(OWNER, call.to, call.data, { gas: BATCH_GAS }));
  }

  /** The contracts keep nothing: no token, no aToken, no allowance to the pool or either router. */
  async function expectNothingLeft(): Promise<void> {
    for (const holder of [liquidator, liquidator02]) {
      for (const a of market.assets) {
        expect(await balanceOf(a.address, holder), `${a.symbol} left in ${holder}`).toBe(0n);
        expect(await balanceOf(a.aToken, holder), `a${a.symbol} left in ${holder}`).toBe(0n);
        for (const spender of [market.pool, dex.swapRouter, dex.swapRouter02!]) {
          expect(await allowance(a.address, holder, spender), `${a.symbol} allowance left to ${spender}`).toBe(0n);
        }
      }
    }
  }

  /** The owner's balance of every reserve token. */
  const ownerBalances = async () =>
    new Map(await Promise.all(market.assets.map(async (a) => [a.address, await balanceOf(a.address, OWNER)] as const)));

  /** The logs of the call's loan that closed `nth` (LoanSettled or LoanFailed), from the previous one's close. */
  function loanLogs(receipt: TransactionReceipt, at: Address, nth: number): Log[] {
    const ends = receipt.logs.filter((log) => {
      if (log.address.toLowerCase() !== at.toLowerCase()) return false;
      const [e] = parseEventLogs({ abi: liquidatorAbi, logs: [log] });
      return e?.eventName === "LoanSettled" || e?.eventName === "LoanFailed";
    });
    const from = nth === 0 ? -1 : ends[nth - 1]!.logIndex;
    return receipt.logs.filter((log) => log.logIndex > from && log.logIndex <= ends[nth]!.logIndex);
  }

  /**
   * A settled loan checked against the pool's and Uniswap's events: each item liquidated as the pool
   * says (LiquidationCall: the liquidator, the amounts of the Liquidated event), the flash loan (amount
   * and premium; none when owner-funded), the swap along `hops` of all the collateral seized, and the
   * profit LoanSettled reports = what the swap returned (or the collateral, same asset) less the debt
   * repaid and the premium.
   */
  function checkLoan(receipt: TransactionReceipt, loan: LiquidatorLoan, nth: number, hops: SandboxPool[], at: Address = liquidator) {
    const logs = loanLogs(receipt, at, nth);
    const [outcome] = liquidatorOutcomes(logs, at);
    if (!outcome?.settled) throw new Error(`loan ${nth} did not settle: ${JSON.stringify(outcome, (_, v) => String(v))}`);
    const liquidated = outcome.items.filter((i) => i.kind === "liquidated");
    const calls = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs });
    expect(calls.map((c) => c.args.user)).toEqual(liquidated.map((i) => i.user));
    let repaid = 0n;
    let seized = 0n;
    for (const [i, c] of calls.entries()) {
      const item = liquidated[i]!;
      expect(c.args).toMatchObject({
        collateralAsset: item.collateralAsset,
        debtAsset: loan.debtAsset,
        liquidator: at,
        receiveAToken: false,
      });
      expect(item).toMatchObject({ debtRepaid: c.args.debtToCover, collateralSeized: c.args.liquidatedCollateralAmount });
      repaid += item.debtRepaid;
      seized += item.collateralSeized;
    }
    const flashes = parseEventLogs({ abi: poolAbi, eventName: "FlashLoan", logs });
    let premium = 0n;
    if (loan.funding === "flashLoan") {
      expect(flashes).toHaveLength(1);
      expect(flashes[0]!.args).toMatchObject({ target: at, initiator: at, asset: loan.debtAsset, amount: loan.amount });
      premium = flashes[0]!.args.premium;
      expect(premium).toBe(premiumOn(loan.amount));
    } else {
      expect(flashes).toHaveLength(0);
    }
    const swaps = parseEventLogs({ abi: uniswapV3PoolAbi, eventName: "Swap", logs });
    expect(swaps.map((s) => s.address.toLowerCase())).toEqual(hops.map((h) => h.address.toLowerCase()));
    // Same asset: the collateral seized is the debt asset; another collateral without a swap goes to the owner as it is.
    let proceeds = liquidated.every((i) => i.collateralAsset === loan.debtAsset) ? seized : 0n;
    if (hops.length > 0) {
      const collateral = liquidated[0]!.collateralAsset;
      const amountOf = (i: number, token: Address) => (hops[i]!.token0 === token ? swaps[i]!.args.amount0 : swaps[i]!.args.amount1);
      // All the collateral seized goes into the first pool; the debt asset comes out of the last.
      expect(amountOf(0, collateral)).toBe(seized);
      proceeds = -amountOf(hops.length - 1, loan.debtAsset);
    }
    const profit = proceeds - repaid - premium;
    expect(outcome.profit).toBe(profit > 0n ? profit : 0n);
    return { profit: outcome.profit, repaid, seized, premium, items: outcome.items };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ aave: version, borrowers: 0, uniswap: { router: "SwapRouter02" } });
    market = sandbox.market;
    dex = market.uniswap!;
    client = createPublicClient({ transport: http(market.rpcUrl), cacheTime: 0, pollingInterval: 20 });

    // The 3.0 sandbox's pool charges no flash premium; charge Ethereum's (the 3.6 sandbox's) so that it is tested.
    if (version === "3.0") {
      const data = encodeFunctionData({ abi: poolConfiguratorAbi, functionName: "updateFlashloanPremiumTotal", args: [FLASH_PREMIUM_BPS] });
      await send(market.deployer, market.poolConfigurator, data, "premium");
    }
    const premium = await client.readContract({ address: market.pool, abi: poolAbi, functionName: "FLASHLOAN_PREMIUM_TOTAL" });
    expect(premium).toBe(FLASH_PREMIUM_BPS);

    // Both deployed by the helper keeper deploy-liquidator uses, which tells the routers apart on chain.
    expect(await swapRouterKind(client, dex.swapRouter)).toBe("SwapRouter");
    expect(await swapRouterKind(client, dex.swapRouter02!)).toBe("SwapRouter02");
    expect(await swapRouterKind(client, dex.factory)).toBeUndefined();
    const fees = { maxFeePerGas: parseGwei("100"), maxPriorityFeePerGas: parseGwei("1") };
    const deployed = await deployLiquidator(client, OWNER_KEY, { pool: market.pool, router: dex.swapRouter }, fees);
    const deployed02 = await deployLiquidator(client, OWNER_KEY, { pool: market.pool, router: dex.swapRouter02! }, fees);
    [liquidator, liquidator02] = [deployed.address, deployed02.address];
    expect(await readLiquidator(client, liquidator)).toEqual({
      owner: OWNER,
      pool: market.pool,
      router: dex.swapRouter,
      swapRouter02: false,
    });
    expect(await readLiquidator(client, liquidator02)).toEqual({
      owner: OWNER,
      pool: market.pool,
      router: dex.swapRouter02,
      swapRouter02: true,
    });

    // WETH collateral, stablecoin debt: HF 0.83·100/80 = 1.0375 now, 0.965 after WETH -7% (close factor 50%).
    const weth = (name: string, debt: string, usd = 100_000) => ({
      name,
      supplies: [["WETH", usd]] as [string, number][],
      borrows: [[debt, (usd * 4) / 5]] as [string, number][],
    });
    const specs = [
      ...["single", "unprofitable", "u1", "u2", "u3", "lone", "greedy", "short", "fine", "owner-swap", "owner-keep", "router02"].map((n) =>
        weth(n, "USDC"),
      ),
      ...Array.from({ length: GAS_POSITIONS }, (_, i) => weth(`gas-${i}`, "USDC")),
      weth("d1", "DAI"),
      weth("t1", "USDT"),
      // Not under water after the move: 0.83·100/60 = 1.38, 1.29 after WETH -7%.
      { name: "healthy", supplies: [["WETH", 100_000]] as [string, number][], borrows: [["USDC", 60_000]] as [string, number][] },
      // USDC collateral and USDC debt: (0.83·65.1 + 0.79·30)/79 = 0.984 after WETH -7%. Half the debt
      // would seize more USDC than the 30k there: the pool takes all of it and less debt than lent.
      {
        name: "same",
        supplies: [
          ["WETH", 70_000],
          ["USDC", 30_000],
        ] as [string, number][],
        borrows: [["USDC", 79_000]] as [string, number][],
      },
      // WBTC collateral, DAI debt (no WBTC/DAI pool): 0.78·100/72 = 1.083, 0.975 after WBTC -10%.
      { name: "two-hop", supplies: [["WBTC", 100_000]] as [string, number][], borrows: [["DAI", 72_000]] as [string, number][] },
    ];
    await openPositions(specs);
    for (const u of users.values()) expect(await healthFactor(u)).toBeGreaterThan(HF_ONE);

    await setFeedAnswer(market, "WETH", movedPrice(await price("WETH"), -7));
    await setFeedAnswer(market, "WBTC", movedPrice(await price("WBTC"), -10));
    for (const [name, u] of users) {
      const hf = await healthFactor(u);
      if (name === "healthy") {
        expect(hf).toBeGreaterThan(HF_ONE);
        continue;
      }
      expect(hf, name).toBeLessThan(HF_ONE);
      expect(hf, name).toBeGreaterThan(CLOSE_FACTOR_HF_THRESHOLD);
    }
    // The owner starts with no token at all.
    for (const a of market.assets) expect(await balanceOf(a.address, OWNER)).toBe(0n);
  });

  afterAll(async () => {
    if (gas.length > 0) {
      const row = (what: string, total: string, each: string) => `${what.padEnd(72)} ${total.padStart(10)} ${each.padStart(9)}`;
      const rows = gas.map((g) => row(g.what, String(g.gasUsed), String(g.gasUsed / BigInt(g.liquidations))));
      console.log([`gas on the Aave ${version} sandbox (anvil)`, row("", "total", "per liq."), ...rows].join("\n"));
    }
    await sandbox?.stop();
  });

  it("only the owner may liquidate or sweep; the callback and the self-only parts refuse anyone else; Expired, NothingToLiquidate", async () => {
    const loan = await loanOf(["single"], "WETH", "USDC", ["WETH", "USDC"]);
    expect(await reverted(simulate([loan], { from: STRANGER }))).toBe("NOT_OWNER (NotOwner())");
    const sweep = encodeFunctionData({ abi: liquidatorAbi, functionName: "sweep", args: [asset("USDC").address] });
    expect(await reverted(client.call({ account: STRANGER, to: liquidator, data: sweep }))).toBe("NOT_OWNER (NotOwner())");
    const past = (await client.getBlock()).timestamp - 1n;
    expect(await reverted(simulate([loan], { deadline: past }))).toBe(`EXPIRED (Expired(${past}))`);
    expect(await reverted(simulate([]))).toBe("NOTHING_TO_LIQUIDATE (NothingToLiquidate())");

    // The callback itself, called directly.
    const callback = encodeFunctionData({
      abi: liquidatorAbi,
      functionName: "executeOperation",
      args: [loan.debtAsset, loan.amount, 0n, liquidator, "0x"],
    });
    expect(await reverted(client.call({ account: STRANGER, to: liquidator, data: callback }))).toBe("NOT_POOL (NotPool())");
    // A flash loan someone else takes with the liquidator as receiver: the pool calls back with that initiator.
    const foreignLoan = encodeFunctionData({
      abi: poolAbi,
      functionName: "flashLoanSimple",
      args: [liquidator, loan.debtAsset, 1_000_000n, "0x", 0],
    });
    expect(await reverted(client.call({ account: STRANGER, to: market.pool, data: foreignLoan, gas: GAS }))).toBe(
      "NOT_INITIATOR (NotInitiator())",
    );
    // The parts the contract runs in frames of their own answer only to itself, the owner included.
    const item = loan.items[0]!;
    const one = encodeFunctionData({
      abi: liquidatorAbi,
      functionName: "liquidateItem",
      args: [item.collateralAsset, loan.debtAsset, item.user, item.debtToCover],
    });
    const ownerFunded = encodeFunctionData({
      abi: liquidatorAbi,
      functionName: "ownerFundedLoan",
      args: [0n, { ...loan, funding: 1 }, maxUint256, 0n],
    });
    for (const from of [STRANGER, OWNER]) {
      expect(await reverted(client.call({ account: from, to: liquidator, data: one }))).toBe("NOT_SELF (NotSelf())");
      expect(await reverted(client.call({ account: from, to: liquidator, data: ownerFunded }))).toBe("NOT_SELF (NotSelf())");
    }
    expect(await healthFactor(item.user)).toBeLessThan(HF_ONE);
  });

  it("a flash loan of one item pays the owner, who held no token; the events tell what the pool and the swap did", async () => {
    const loan = await loanOf(["single"], "WETH", "USDC", ["WETH", "USDC"]);
    const [simulated] = await simulate([loan]);
    expect(simulated).toBeGreaterThan(0n);
    // Ask for 99% of the simulated profit: the next block's interest moves it by a few wei.
    loan.items = [{ ...loan.items[0]!, minProfit: (simulated! * 99n) / 100n }];
    const receipt = await liquidate([loan]);
    expect(receipt.status).toBe("success");
    gas.push({
      what: "flash liquidation, WETH -> USDC one hop (the functional test's position)",
      gasUsed: receipt.gasUsed,
      liquidations: 1,
    });

    const { profit, repaid } = checkLoan(receipt, loan, 0, [poolOf("WETH", "USDC")]);
    // Half the debt: 3.6 takes half the position's debt in base currency, converted back (a few wei less).
    expect(repaid).toBeLessThanOrEqual(loan.amount);
    expect(repaid).toBeGreaterThan(loan.amount - 10n);
    expect(await balanceOf(loan.debtAsset, OWNER)).toBe(profit);
    // Bonus 5% less the 10% protocol fee on it, less the swap's 0.05% fee, price impact and the 5 bps premium.
    expect(profit).toBeGreaterThan((repaid * 400n) / 10_000n);
    expect(profit).toBeLessThan((repaid * 450n) / 10_000n);
    expect((profit * 1_000n) / simulated!).toBeGreaterThanOrEqual(999n);
    for (const a of market.assets) if (a.address !== loan.debtAsset) expect(await balanceOf(a.address, OWNER)).toBe(0n);
    await expectNothingLeft();
  });

  it("a batch goes through when a competitor took one of its accounts first in the same block and another was made healthy: those two are Skipped with the pool's reason", async () => {
    // Loan 0 pays for three USDC debts; its skipped items ask for an impossible profit, which counts only if they are liquidated.
    const usdc = await loanOf(["u1", "u2", "u3"], "WETH", "USDC", ["WETH", "USDC"]);
    const [alone] = await simulate([await loanOf(["u1"], "WETH", "USDC", ["WETH", "USDC"])]);
    usdc.items = usdc.items.map((it) => ({ ...it, minProfit: it.user === user("u1") ? (alone! * 97n) / 100n : 10n ** 30n }));
    const loans = [usdc, await loanOf(["d1"], "WETH", "DAI", ["WETH", "DAI"]), await loanOf(["t1"], "WETH", "USDT", ["WETH", "USDT"])];
    const [u2, u3] = [user("u2"), user("u3")];
    const debtsBefore = new Map(
      await Promise.all(loans.flatMap((l) => l.items.map(async (it) => [it.user, await debtOf(it.user, symbolOf(l.debtAsset))] as const))),
    );
    const balancesBefore = await ownerBalances();

    // The competitor holds USDC; u3 holds some to repay half its debt.
    const usdcToken = asset("USDC").address;
    const takes = usdc.items[1]!.debtToCover;
    await mint(usdcToken, COMPETITOR, takes);
    await approve(COMPETITOR, usdcToken, market.pool, takes);
    const repays = debtsBefore.get(u3)! / 2n;
    await rpc(market.rpcUrl, "anvil_impersonateAccount", [u3]);
    await mint(usdcToken, u3, repays);
    await approve(u3, usdcToken, market.pool, repays);
    await laterBlock();

    await rpc(market.rpcUrl, "evm_setAutomine", [false]);
    let hashes: Hex[];
    try {
      const competitor = encodeFunctionData({
        abi: poolAbi,
        functionName: "liquidationCall",
        args: [asset("WETH").address, usdcToken, u2, takes, false],
      });
      const repay = encodeFunctionData({ abi: poolAbi, functionName: "repay", args: [usdcToken, repays, 2n, u3] });
      const batch = liquidatorCall(liquidator, loans, await deadline());
      // Higher tips first: the competitor, then the repayment, then the batch.
      hashes = [
        await submit(COMPETITOR, market.pool, competitor, { tip: parseGwei("10") }),
        await submit(u3, market.pool, repay, { tip: parseGwei("5") }),
        await submit(OWNER, batch.to, batch.data, { gas: BATCH_GAS }),
      ];
      await rpc(market.rpcUrl, "evm_mine");
    } finally {
      await rpc(market.rpcUrl, "evm_setAutomine", [true]);
      await rpc(market.rpcUrl, "anvil_stopImpersonatingAccount", [u3]);
    }
    const [taken, repaid, receipt] = await Promise.all(hashes.map(receiptOf));
    expect([taken!.status, repaid!.status, receipt!.status]).toEqual(["success", "success", "success"]);
    expect(new Set([taken!.blockNumber, repaid!.blockNumber, receipt!.blockNumber]).size).toBe(1);
    expect(taken!.transactionIndex).toBeLessThan(receipt!.transactionIndex);
    expect(repaid!.transactionIndex).toBeLessThan(receipt!.transactionIndex);
    const [competitorCall] = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: taken!.logs });
    expect(competitorCall!.args).toMatchObject({ user: u2, liquidator: COMPETITOR });

    // Each loan settled; the skipped items carry the pool's reason (3.0: "45", 3.6: HealthFactorNotBelowThreshold()).
    const outcomes = liquidatorItemOutcomes(receipt!.logs, liquidator, loans);
    expect(outcomes.map((o) => [o.kind, o.user])).toEqual([
      ["liquidated", user("u1")],
      ["skipped", u2],
      ["skipped", u3],
      ["liquidated", user("d1")],
      ["liquidated", user("t1")],
    ]);
    const skipped = parseEventLogs({ abi: liquidatorAbi, eventName: "Skipped", logs: receipt!.logs });
    expect(skipped.map((s) => s.args)).toEqual(
      [u2, u3].map((u) => ({
        user: u,
        debtAsset: usdcToken,
        loan: 0n,
        reason: version === "3.0" ? expect.stringMatching(/^0x08c379a0/) : "0x930bb771",
      })),
    );
    for (const s of skipped) expect(reasonName(decodeRevertData(s.args.reason))).toBe("HEALTH_FACTOR_NOT_BELOW_THRESHOLD");
    expect(parseEventLogs({ abi: liquidatorAbi, eventName: "LoanFailed", logs: receipt!.logs })).toEqual([]);

    const settled = loans.map((l, i) => checkLoan(receipt!, l, i, [poolOf("WETH", symbolOf(l.debtAsset))]));
    for (const [i, l] of loans.entries()) {
      expect(settled[i]!.profit, symbolOf(l.debtAsset)).toBeGreaterThan(0n);
      const gained = (await balanceOf(l.debtAsset, OWNER)) - balancesBefore.get(l.debtAsset)!;
      expect(gained).toBe(settled.filter((_, j) => loans[j]!.debtAsset === l.debtAsset).reduce((sum, s) => sum + s.profit, 0n));
    }
    // The liquidated debts went down by what the events say, the one the competitor took by its liquidation
    // only (within a millionth: the interest of the blocks since).
    const expectDebt = async (who: Address, symbol: string, repaid: bigint) => {
      const [was, now] = [debtsBefore.get(who)!, await debtOf(who, symbol)];
      expect(now).toBeGreaterThanOrEqual(was - repaid);
      expect(now).toBeLessThanOrEqual(was - repaid + was / 1_000_000n);
    };
    for (const o of outcomes) {
      if (o.kind !== "liquidated") continue;
      await expectDebt(o.user, symbolOf(o.debtAsset), o.debtRepaid);
      expect(await healthFactor(o.user)).toBeGreaterThan(HF_ONE);
    }
    await expectDebt(u2, "USDC", competitorCall!.args.debtToCover);
    await expectDebt(u3, "USDC", repays);
    for (const u of [u2, u3]) expect(await healthFactor(u)).toBeGreaterThan(HF_ONE);
    await alignPools(market);
    await expectNothingLeft();
  });

  it("a loan whose items were all skipped fails alone (LoanFailed, AllSkipped, no flash loan taken); a call whose loans all fail does not revert", async () => {
    // "healthy" was never under water, "u2" was liquidated by the competitor (healthy again).
    const dead = await loanOf(["healthy", "u2"], "WETH", "USDC", ["WETH", "USDC"], { extra: 10n ** 9n });
    dead.items = dead.items.map((it) => ({ ...it, debtToCover: it.debtToCover || 1n }));
    const good = await loanOf(["lone"], "WETH", "USDC", ["WETH", "USDC"]);
    const inner =
      version === "3.0" ? "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (45)" : "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())";

    // Alone: nothing to do; the transaction succeeds, says why in LoanFailed, and moves nothing but the gas.
    expect(await simulate([dead])).toEqual([0n]);
    const before = await ownerBalances();
    const ethBefore = await client.getBalance({ address: OWNER });
    const lone = await liquidate([dead]);
    expect(lone.status).toBe("success");
    expect(liquidatorOutcomes(lone.logs, liquidator)).toMatchObject([
      { loan: 0, settled: false, reason: `ALL_SKIPPED (AllSkipped(${inner}))` },
    ]);
    expect(await client.getBalance({ address: OWNER })).toBe(ethBefore - lone.gasUsed * lone.effectiveGasPrice);
    expect(await ownerBalances()).toEqual(before);

    // Beside a loan that settles: LoanFailed with the first item's reason; no flash loan of it, so no premium.
    const receipt = await liquidate([dead, good]);
    expect(receipt.status).toBe("success");
    const [first, second] = liquidatorOutcomes(receipt.logs, liquidator);
    expect(first).toMatchObject({ loan: 0, debtAsset: dead.debtAsset, settled: false, reason: `ALL_SKIPPED (AllSkipped(${inner}))` });
    expect(second).toMatchObject({ loan: 1, settled: true });
    const flashes = parseEventLogs({ abi: poolAbi, eventName: "FlashLoan", logs: receipt.logs });
    expect(flashes.map((f) => f.args.amount)).toEqual([good.amount]);
    // Its items' Skipped events went with the loan's revert.
    expect(parseEventLogs({ abi: liquidatorAbi, eventName: "Skipped", logs: receipt.logs })).toEqual([]);
    const { profit } = checkLoan(receipt, good, 1, [poolOf("WETH", "USDC")]);
    const after = await ownerBalances();
    for (const a of market.assets)
      expect(after.get(a.address), a.symbol).toBe(before.get(a.address)! + (a.address === good.debtAsset ? profit : 0n));
    await alignPools(market);
    await expectNothingLeft();
  });

  it("a loan below its minimum profit, or whose swap returns less than its minimum, fails while the others settle", async () => {
    const greedy = await loanOf(["greedy"], "WETH", "USDC", ["WETH", "USDC"]);
    const [expected] = await simulate([greedy]);
    greedy.items = [{ ...greedy.items[0]!, minProfit: expected! * 2n }];
    // 5% more than the oracle's value per WETH: no pool pays that.
    const short = await loanOf(["short"], "WETH", "USDC", ["WETH", "USDC"], { minOutPerIn: await oracleOutPerIn("WETH", "USDC", -500n) });
    const fine = await loanOf(["fine"], "WETH", "USDC", ["WETH", "USDC"]);
    const loans = [greedy, short, fine];
    const simulated = await simulate(loans);
    expect(simulated[0]).toBe(0n);
    expect(simulated[1]).toBe(0n);
    expect(simulated[2]).toBeGreaterThan(0n);

    const receipt = await liquidate(loans);
    expect(receipt.status).toBe("success");
    const outcomes = liquidatorOutcomes(receipt.logs, liquidator);
    expect(outcomes.map((o) => [o.loan, o.settled])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
    const [g, s] = outcomes as [Extract<(typeof outcomes)[0], { settled: false }>, Extract<(typeof outcomes)[0], { settled: false }>];
    // The loan's profit as it would have been (within the next block's interest of the simulation's), and the items' minimum.
    const m = /^PROFIT_BELOW_MINIMUM \(ProfitBelowMinimum\(0, (\d+), (\d+)\)\)$/.exec(g.reason);
    expect(m, g.reason).not.toBeNull();
    expect((BigInt(m![1]!) * 1_000n) / expected!).toBeGreaterThanOrEqual(999n);
    expect(BigInt(m![2]!)).toBe(expected! * 2n);
    expect(s.reason).toBe("Too little received");
    checkLoan(receipt, fine, 2, [poolOf("WETH", "USDC")]);
    for (const name of ["greedy", "short"]) expect(await healthFactor(user(name))).toBeLessThan(HF_ONE);
    await alignPools(market);
    await expectNothingLeft();
  });

  it("owner-funded loans: with a swap the principal comes back with the profit; without one the owner gets the collateral", async () => {
    const usdc = asset("USDC").address;
    const weth = asset("WETH").address;
    const withSwap = await loanOf(["owner-swap"], "WETH", "USDC", ["WETH", "USDC"], { funding: "owner" });
    // Without a swap the profit is the collateral: minProfit is not checked in debt units.
    const keep = await loanOf(["owner-keep"], "WETH", "USDC", [], { funding: "owner", minProfit: 10n ** 30n });
    const funds = withSwap.amount + keep.amount;
    await mint(usdc, OWNER, funds);

    // Not approved yet: the loan cannot pull the owner's USDC (it fails: no profit).
    expect(await simulate([withSwap])).toEqual([0n]);
    await approve(OWNER, usdc, liquidator, funds);
    const [expected] = await simulate([withSwap]);
    expect(expected).toBeGreaterThan(0n);
    // A minimum above what the swap brings fails the loan, as for a flash loan.
    const greedy = { ...withSwap, items: [{ ...withSwap.items[0]!, minProfit: expected! * 2n }] };
    expect(await failure([greedy])).toMatch(/^PROFIT_BELOW_MINIMUM \(ProfitBelowMinimum\(0, \d+, \d+\)\)$/);

    const before = await ownerBalances();
    const receipt = await liquidate([withSwap, keep]);
    expect(receipt.status).toBe("success");
    const swapped = checkLoan(receipt, withSwap, 0, [poolOf("WETH", "USDC")]);
    const kept = checkLoan(receipt, keep, 1, []);
    expect(swapped.profit).toBeGreaterThan(0n);
    expect((swapped.profit * 1_000n) / expected!).toBeGreaterThanOrEqual(999n);
    expect(kept.profit).toBe(0n);
    const after = await ownerBalances();
    // USDC: the swap's profit, less the debt the kept collateral cost; WETH: the collateral seized.
    expect(after.get(usdc)).toBe(before.get(usdc)! + swapped.profit - kept.repaid);
    expect(after.get(weth)).toBe(before.get(weth)! + kept.seized);
    expect(kept.seized).toBeGreaterThan(0n);
    // The approval was used exactly: the two principals pulled.
    expect(await allowance(usdc, OWNER, liquidator)).toBe(0n);
    for (const name of ["owner-swap", "owner-keep"]) expect(await healthFactor(user(name))).toBeGreaterThan(HF_ONE);
    await alignPools(market);
    await expectNothingLeft();
  });

  it("liquidates USDC collateral for USDC debt without a swap; the amounts are the pool's", async () => {
    const loan = await loanOf(["same"], "USDC", "USDC", []);
    const before = await balanceOf(loan.debtAsset, OWNER);
    expect(await failure([{ ...loan, swaps: [{ path: path("USDC", "WETH"), minOutPerIn: 0n }] }])).toBe(
      "BAD_SWAP_PATH (BadSwapPath(0, 0))",
    );
    expect(await failure([{ ...loan, swaps: [{ path: path("WETH", "USDC").slice(0, -2) as Hex, minOutPerIn: 0n }] }])).toBe(
      "BAD_SWAP_PATH (BadSwapPath(0, 0))",
    );
    const receipt = await liquidate([loan]);
    gas.push({ what: "flash liquidation, same asset (USDC -> USDC, no swap)", gasUsed: receipt.gasUsed, liquidations: 1 });
    const { profit, repaid, seized, premium } = checkLoan(receipt, loan, 0, []);
    // All the USDC collateral was seized, for less debt than was lent: the rest went back with the loan.
    expect(await balanceOf(asset("USDC").aToken, user("same"))).toBe(0n);
    expect(repaid).toBeLessThan(loan.amount);
    // Bonus 4.5% less the 10% protocol fee on it (4.05% of the debt repaid), less the premium on all that was lent.
    expect(premium).toBe(premiumOn(loan.amount));
    expect(profit).toBeGreaterThan((repaid * 400n) / 10_000n - premium);
    expect(profit).toBeLessThan((repaid * 410n) / 10_000n - premium);
    expect(seized - repaid - premium).toBe(profit);
    expect(await balanceOf(loan.debtAsset, OWNER)).toBe(before + profit);
    await expectNothingLeft();
  });

  it("swaps in two hops where the pair has no pool (WBTC -> WETH -> DAI); a stray balance goes to the owner, not counted as profit", async () => {
    expect(dex.pools.some((p) => [p.symbol0, p.symbol1].sort().join("/") === "DAI/WBTC")).toBe(false);
    const loan = await loanOf(["two-hop"], "WBTC", "DAI", ["WBTC", "WETH", "DAI"], {
      minOutPerIn: await oracleOutPerIn("WBTC", "DAI", 100n),
    });
    const before = await balanceOf(loan.debtAsset, OWNER);
    // 5 DAI someone sent to the contract: not profit, but sent to the owner with it.
    const stray = 5n * 10n ** 18n;
    await mint(loan.debtAsset, liquidator, stray);
    const receipt = await liquidate([loan]);
    gas.push({ what: "flash liquidation, WBTC -> WETH -> DAI (two hops)", gasUsed: receipt.gasUsed, liquidations: 1 });
    const { profit, repaid } = checkLoan(receipt, loan, 0, [poolOf("WBTC", "WETH"), poolOf("WETH", "DAI")]);
    // Bonus 5% less the 10% fee on it, less two swap fees (0.05% each), price impact and the premium.
    expect(profit).toBeGreaterThan((repaid * 350n) / 10_000n);
    expect(await balanceOf(loan.debtAsset, OWNER)).toBe(before + profit + stray);
    await alignPools(market);
    await expectNothingLeft();
  });

  it("swaps through SwapRouter02 when built for it (swapRouter02 = true)", async () => {
    expect(await client.readContract({ address: liquidator02, abi: liquidatorAbi, functionName: "swapRouter02" })).toBe(true);
    expect(await client.readContract({ address: liquidator, abi: liquidatorAbi, functionName: "swapRouter02" })).toBe(false);
    const loan = await loanOf(["router02"], "WETH", "USDC", ["WETH", "USDC"]);
    // The original router's call does not exist on SwapRouter02: a Liquidator told the wrong kind fails its loan.
    const [viaOriginal] = await simulate([loan]);
    expect(await failure([loan], { at: await wrongKind() })).toBe("REVERTED_WITHOUT_REASON");
    const before = await balanceOf(loan.debtAsset, OWNER);
    const receipt = await liquidate([loan], liquidator02);
    expect(receipt.status).toBe("success");
    gas.push({ what: "flash liquidation through SwapRouter02, WETH -> USDC one hop", gasUsed: receipt.gasUsed, liquidations: 1 });
    const { profit } = checkLoan(receipt, loan, 0, [poolOf("WETH", "USDC")], liquidator02);
    const [swap] = parseEventLogs({ abi: uniswapV3PoolAbi, eventName: "Swap", logs: receipt.logs });
    expect(swap!.args).toMatchObject({ sender: dex.swapRouter02, recipient: liquidator02 });
    expect((profit * 1_000n) / viaOriginal!).toBeGreaterThanOrEqual(999n);
    expect(await balanceOf(loan.debtAsset, OWNER)).toBe(before + profit);
    await alignPools(market);
    await expectNothingLeft();
  });

  /** A Liquidator on SwapRouter02 that believes it is the original (deployed once, never left holding anything). */
  let wrong: Address | undefined;
  async function wrongKind(): Promise<Address> {
    if (wrong) return wrong;
    const fees = { maxFeePerGas: parseGwei("100"), maxPriorityFeePerGas: parseGwei("1") };
    const router = dex.swapRouter02!;
    wrong = (await deployLiquidator(client, OWNER_KEY, { pool: market.pool, router, swapRouter02: false }, fees)).address;
    return wrong;
  }

  it("hands tokens sent to it by mistake to the owner (sweep), and only to the owner", async () => {
    const wbtc = asset("WBTC");
    const before = await balanceOf(wbtc.address, OWNER);
    await mint(wbtc.address, liquidator, 12_345n);
    const sweep = encodeFunctionData({ abi: liquidatorAbi, functionName: "sweep", args: [wbtc.address] });
    expect(await reverted(client.call({ account: STRANGER, to: liquidator, data: sweep }))).toBe("NOT_OWNER (NotOwner())");
    expect(await balanceOf(wbtc.address, liquidator)).toBe(12_345n);
    await send(OWNER, liquidator, sweep, "sweep");
    expect(await balanceOf(wbtc.address, OWNER)).toBe(before + 12_345n);
    await expectNothingLeft();
  });

  it("gas per liquidation of one kind of position: a plain liquidationCall, flash loans alone and in batches (per item vs one loan), owner-funded", async () => {
    const names = Array.from({ length: GAS_POSITIONS }, (_, i) => `gas-${i}`);
    const take = (n: number) => names.splice(0, n);
    const route = ["WETH", "USDC"];
    const measure = async (what: string, loans: LiquidatorLoan[]) => {
      await alignPools(market);
      const receipt = await liquidate(loans);
      expect(receipt.status, what).toBe("success");
      const outcomes = liquidatorOutcomes(receipt.logs, liquidator);
      expect(outcomes.every((o) => o.settled && o.items.every((i) => i.kind === "liquidated"))).toBe(true);
      const liquidations = loans.reduce((n, l) => n + l.items.length, 0);
      expect(parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: receipt.logs })).toHaveLength(liquidations);
      gas.push({ what, gasUsed: receipt.gasUsed, liquidations });
      return outcomes.reduce((sum, o) => sum + (o.settled ? o.profit : 0n), 0n);
    };

    // The plain call, from a wallet holding the debt asset.
    const [plain] = take(1);
    const usdc = asset("USDC");
    const debtToCover = await coverable(user(plain!), "USDC");
    await mint(usdc.address, WALLET, debtToCover);
    await approve(WALLET, usdc.address, market.pool, debtToCover);
    await alignPools(market);
    await laterBlock();
    const call = encodeFunctionData({
      abi: poolAbi,
      functionName: "liquidationCall",
      args: [asset("WETH").address, usdc.address, user(plain!), debtToCover, false],
    });
    const receipt = await send(WALLET, market.pool, call, "liquidationCall");
    const [event] = parseEventLogs({ abi: poolAbi, eventName: "LiquidationCall", logs: receipt.logs });
    expect(event!.args).toMatchObject({ user: user(plain!), debtToCover, liquidator: WALLET });
    gas.push({ what: "plain liquidationCall from a wallet holding the debt asset", gasUsed: receipt.gasUsed, liquidations: 1 });

    await measure("flash, alone (1 loan, 1 item, 1 swap)", [await loanOf(take(1), "WETH", "USDC", route)]);
    const profits = new Map<number, { perItem: bigint; oneLoan: bigint }>();
    for (const n of [5, 20]) {
      const perItem = await measure(
        `flash, ${n} loans of 1 item (${n} flash loans, ${n} swaps)`,
        await Promise.all(take(n).map((name) => loanOf([name], "WETH", "USDC", route))),
      );
      const oneLoan = await measure(`flash, 1 loan of ${n} items (1 flash loan, 1 swap)`, [await loanOf(take(n), "WETH", "USDC", route)]);
      profits.set(n, { perItem, oneLoan });
    }

    // Owner-funded: the owner holds the USDC and approved the Liquidator for it.
    const ownerLoans = [await loanOf(take(1), "WETH", "USDC", route, { funding: "owner" })];
    for (const n of [5, 20]) ownerLoans.push(await loanOf(take(n), "WETH", "USDC", route, { funding: "owner" }));
    const funds = ownerLoans.reduce((sum, l) => sum + l.amount, 0n);
    await mint(usdc.address, OWNER, funds);
    await approve(OWNER, usdc.address, liquidator, funds);
    for (const l of ownerLoans) {
      const what =
        l.items.length === 1 ? "owner-funded, alone (1 item, 1 swap)" : `owner-funded, 1 loan of ${l.items.length} items (1 swap)`;
      await measure(what, [l]);
    }
    expect(names).toEqual([]);
    for (const [n, p] of profits)
      console.log(`Aave ${version}: owner's profit, ${n} liquidations: ${p.perItem} USDC units per item, ${p.oneLoan} in one loan`);
    await alignPools(market);
    await expectNothingLeft();
  }, 300_000);
});
