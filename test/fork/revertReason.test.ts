// Revert data as the EVM produces it for Aave 3.6's custom errors (a fixture compiled from the
// package's own Errors.sol), through viem's error chain, is logged by name with its arguments.
import { createPublicClient, createWalletClient, getAddress, http, type Abi, type Address, type PublicClient } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { revertOf } from "../../src/executor/revertReason.js";
import { DEV_ACCOUNTS } from "../../src/sandbox/deployMarket.js";
import { useAnvil } from "../helpers/anvil.js";
import { compileFixture } from "../helpers/solc.js";

let client: PublicClient;
let thrower: Address;
let abi: Abi;

beforeAll(async () => {
  const compiled = compileFixture("AaveErrorThrower.sol").AaveErrorThrower!;
  abi = compiled.abi;
  const anvil = await useAnvil();
  client = createPublicClient({ transport: http(anvil.rpcUrl) });
  const wallet = createWalletClient({ transport: http(anvil.rpcUrl), account: DEV_ACCOUNTS.deployer });
  const hash = await wallet.deployContract({ abi, bytecode: compiled.bytecode, chain: null });
  thrower = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
}, 120_000);

async function reasonOf(functionName: string, args: readonly unknown[] = []): Promise<{ reverted: boolean; reason: string }> {
  try {
    await client.simulateContract({ address: thrower, abi, functionName, args, account: DEV_ACCOUNTS.deployer });
  } catch (err) {
    return revertOf(err);
  }
  throw new Error(`${functionName} did not revert`);
}

describe("revertOf on real 3.6 custom-error reverts", () => {
  it("MustNotLeaveDust()", async () => {
    expect(await reasonOf("mustNotLeaveDust")).toEqual({ reverted: true, reason: "MUST_NOT_LEAVE_DUST (MustNotLeaveDust())" });
  });

  it("HealthFactorNotBelowThreshold()", async () => {
    expect(await reasonOf("healthFactorNotBelowThreshold")).toEqual({
      reverted: true,
      reason: "HEALTH_FACTOR_NOT_BELOW_THRESHOLD (HealthFactorNotBelowThreshold())",
    });
  });

  it("an error with arguments", async () => {
    const reserve = getAddress(`0x${"5a".repeat(20)}`);
    expect(await reasonOf("invalidCollateralInEmode", [reserve, 2n])).toEqual({
      reverted: true,
      reason: `INVALID_COLLATERAL_IN_EMODE (InvalidCollateralInEmode(${reserve}, 2))`,
    });
  });
});
