import { describe, expect, it } from "vitest";
import { compileAccount, evaluateAccount, healthOf } from "../../src/risk/healthFactor.js";
import { snapshotMarket } from "../../src/risk/marketSnapshot.js";
import { RULES_V3_0 } from "../../src/risk/rules.js";
import { MAX_UINT256 } from "../../src/risk/wadRayMath.js";
import { formatMarket, mathUtilsHealthFactor } from "./riskMathUtilsCrossCheck.js";
import { Rng, makeAccount, makeMarket } from "./riskSynthetic.js";

// math-utils is not bit-exact (decimal BigNumber, no avgLT truncation, its own rounding) and models
// 3.2+ (no stable debt, no eMode priceSource, LT=0 counted when eMode-enabled): the accounts here
// avoid those V3.0-only features, and the comparison is relative, away from HF ≈ 1.
describe("cross-check against @aave/math-utils formatUserSummary", () => {
  for (const seed of [101, 202]) {
    it(`seed ${seed}: HF agrees within 1e-9 relative`, () => {
      const rng = new Rng(seed);
      const m = makeMarket(rng, { eModePriceSource: false });
      const T = 1_700_000_000n + BigInt(seed);
      const formatted = formatMarket(m, T);
      const snap = snapshotMarket(m, RULES_V3_0, T);
      let compared = 0;
      for (let i = 0; i < 300; i++) {
        const p = makeAccount(rng, m, i, { eModeProb: 0.3, stableProb: 0 });
        const acc = compileAccount(p, RULES_V3_0);
        evaluateAccount(acc, snap);
        const ours = healthOf(acc);
        const theirs = mathUtilsHealthFactor(p, m, formatted, T);
        if (ours.healthFactor === MAX_UINT256) {
          expect(theirs).toBe(-1);
          continue;
        }
        const hf = Number(ours.healthFactor) / 1e18;
        if (Math.abs(hf - 1) < 1e-3) continue;
        // math-utils does not floor avgLT to whole bps as GenericLogic does, so compare its HF with
        // ours before that floor, S/(1e4·TD), at 1e-9 ...
        const untruncated = Number(acc.weightedLiquidationThreshold) / 1e4 / Number(acc.totalDebtBase);
        expect(Math.abs(theirs - untruncated) / untruncated).toBeLessThan(1e-9);
        // ... and the exact HF with the floor is within one bps of avgLT of theirs.
        expect(Math.abs(theirs - hf) / hf).toBeLessThan(1e-9 + 1 / Number(ours.avgLiquidationThreshold));
        compared++;
      }
      expect(compared).toBeGreaterThan(250);
    });
  }
});
