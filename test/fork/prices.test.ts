// Both kinds of price move change the oracle's answer, emit the events a watcher listens to, and
// move borrowers' health factors exactly as the protocol's formula says, on Aave 3.0 and 3.6.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http, parseEventLogs, type PublicClient } from "viem";
import { aaveOracleAbi } from "../../contracts-abi/aave/index.js";
import { sandboxPriceFeedAbi } from "../../contracts-abi/sandbox/SandboxPriceFeed.js";
import { movedPrice, replaceAssetSource, setFeedAnswer } from "../../src/sandbox/prices.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";
import { AAVE_VERSIONS } from "../../src/sandbox/marketSpec.js";
import { healthFactorFromBalances, onChainHealthFactor } from "./accountData.js";

describe.each(AAVE_VERSIONS)("sandbox price moves, Aave %s", (version) => {
  let sandbox: Sandbox;
  let client: PublicClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ aave: version, borrowers: 60, seed: 7 });
    // cacheTime 0: viem otherwise serves getBlockNumber from a 4 s cache.
    client = createPublicClient({ transport: http(sandbox.anvil.rpcUrl), cacheTime: 0 });
  });
  afterAll(async () => sandbox?.stop());

  const holdersOf = (symbol: string) => sandbox.borrowers.filter((b) => b.collaterals.some((c) => c.symbol === symbol));
  const borrowersOf = (symbol: string) => sandbox.borrowers.filter((b) => b.debts.some((d) => d.symbol === symbol));

  it("(a) a feed answer change emits AnswerUpdated and lowers the HF of the asset's holders exactly", async () => {
    const weth = sandbox.market.assets.find((a) => a.symbol === "WETH")!;
    const holders = holdersOf("WETH");
    const debtors = borrowersOf("WETH");
    expect(holders.length).toBeGreaterThan(3);
    expect(debtors.length).toBeGreaterThan(3);
    const before = await client.getBlockNumber();
    const hfBefore = await Promise.all([...holders, ...debtors].map((b) => onChainHealthFactor(client, sandbox.market, b.address, before)));

    const move = await setFeedAnswer(sandbox.market, "WETH", movedPrice(weth.spec.priceUsd, -20));
    const receipt = await client.getTransactionReceipt({ hash: move.transactionHash });
    const [event] = parseEventLogs({ abi: sandboxPriceFeedAbi, eventName: "AnswerUpdated", logs: receipt.logs });
    expect(event?.address.toLowerCase()).toBe(weth.priceFeed.toLowerCase());
    expect(event?.args.current).toBe(move.newPrice);
    expect(move.newPrice).toBe(2400n * 10n ** 8n);
    const price = await client.readContract({
      address: sandbox.market.oracle,
      abi: aaveOracleAbi,
      functionName: "getAssetPrice",
      args: [weth.address],
    });
    expect(price).toBe(move.newPrice);

    const after = move.blockNumber;
    for (const [i, b] of [...holders, ...debtors].entries()) {
      const hf = await onChainHealthFactor(client, sandbox.market, b.address, after);
      expect(hf).toBe(await healthFactorFromBalances(client, sandbox.market, b.address, after));
      const holdsWeth = holders.includes(b);
      const owesWeth = debtors.includes(b);
      if (holdsWeth && !owesWeth) expect(hf).toBeLessThan(hfBefore[i]!);
      if (owesWeth && !holdsWeth) expect(hf).toBeGreaterThan(hfBefore[i]!);
    }
  });

  it("(b) replacing the oracle source emits AssetSourceUpdated and moves the HF exactly", async () => {
    const wbtc = sandbox.market.assets.find((a) => a.symbol === "WBTC")!;
    const oldFeed = wbtc.priceFeed;
    const holders = holdersOf("WBTC");
    expect(holders.length).toBeGreaterThan(3);
    const before = await client.getBlockNumber();
    const hfBefore = await Promise.all(holders.map((b) => onChainHealthFactor(client, sandbox.market, b.address, before)));

    const move = await replaceAssetSource(sandbox.market, "WBTC", movedPrice(wbtc.spec.priceUsd, -30));
    expect(move.feed).not.toBe(oldFeed);
    const receipt = await client.getTransactionReceipt({ hash: move.transactionHash });
    const [event] = parseEventLogs({ abi: aaveOracleAbi, eventName: "AssetSourceUpdated", logs: receipt.logs });
    expect(event?.address.toLowerCase()).toBe(sandbox.market.oracle.toLowerCase());
    expect(event?.args).toEqual({ asset: wbtc.address, source: move.feed });
    const source = await client.readContract({
      address: sandbox.market.oracle,
      abi: aaveOracleAbi,
      functionName: "getSourceOfAsset",
      args: [wbtc.address],
    });
    expect(source).toBe(move.feed);
    expect(
      await client.readContract({
        address: sandbox.market.oracle,
        abi: aaveOracleAbi,
        functionName: "getAssetPrice",
        args: [wbtc.address],
      }),
    ).toBe(42_000n * 10n ** 8n);

    for (const [i, b] of holders.entries()) {
      const hf = await onChainHealthFactor(client, sandbox.market, b.address, move.blockNumber);
      expect(hf).toBe(await healthFactorFromBalances(client, sandbox.market, b.address, move.blockNumber));
      if (!b.debts.some((d) => d.symbol === "WBTC")) expect(hf).toBeLessThan(hfBefore[i]!);
    }
  });

  it.runIf(version === "3.6")("(a) on the LT-0 reserve: its eMode holders' HF falls exactly (3.6 counts it at the eMode LT)", async () => {
    const wsteth = sandbox.market.assets.find((a) => a.symbol === "wstETH")!;
    const holders = holdersOf("wstETH");
    expect(holders.length).toBeGreaterThan(0);
    expect(holders.every((b) => b.eModeCategory === 2)).toBe(true);
    const before = await client.getBlockNumber();
    const hfBefore = await Promise.all(holders.map((b) => onChainHealthFactor(client, sandbox.market, b.address, before)));
    const move = await setFeedAnswer(sandbox.market, "wstETH", movedPrice(wsteth.spec.priceUsd, -10));
    for (const [i, b] of holders.entries()) {
      const hf = await onChainHealthFactor(client, sandbox.market, b.address, move.blockNumber);
      expect(hf).toBe(await healthFactorFromBalances(client, sandbox.market, b.address, move.blockNumber));
      if (!b.debts.some((d) => d.symbol === "wstETH")) expect(hf).toBeLessThan(hfBefore[i]!);
    }
  });

  it("a deep enough drop puts accounts under water", async () => {
    const move = await setFeedAnswer(
      sandbox.market,
      "LINK",
      movedPrice(sandbox.market.assets.find((a) => a.symbol === "LINK")!.spec.priceUsd, -60),
    );
    const holders = holdersOf("LINK").filter((b) => !b.debts.some((d) => d.symbol === "LINK"));
    const hfs = await Promise.all(holders.map((b) => onChainHealthFactor(client, sandbox.market, b.address, move.blockNumber)));
    expect(hfs.some((hf) => hf < 10n ** 18n)).toBe(true);
  });

  it("rejects unknown assets and non-positive prices with a clear message", async () => {
    await expect(setFeedAnswer(sandbox.market, "DOGE", 1n)).rejects.toThrow(/no sandbox asset "DOGE"/);
    await expect(setFeedAnswer(sandbox.market, "WETH", 0n)).rejects.toThrow(/price must be positive/);
  });
});
