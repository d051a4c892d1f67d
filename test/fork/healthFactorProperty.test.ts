// Aave 3.0 (POOL_REVISION 1): the engine equals Pool.getUserAccountData on 1,100 sandbox accounts.
import { describeHealthFactorProperty } from "./healthFactorPropertyCase.js";

describeHealthFactorProperty({ aave: "3.0" });
