// `npm run bench`: prints every benchmark's figures. Nothing here passes or fails on time.
import { benchCascade } from "./cascade.js";
import { benchPipeline } from "./pipeline.js";
import { benchRisk } from "./risk.js";
import { benchSandbox } from "./sandbox.js";
import { benchColdStart, benchStartup } from "./startup.js";

const only = process.argv[2];
// `npm run bench -- sandbox 3.0` builds the Aave 3.0 sandbox instead of the default 3.6.
if (!only || only === "sandbox") await benchSandbox(process.argv[3] === "3.0" ? "3.0" : "3.6");
if (!only || only === "risk") await benchRisk();
if (!only || only === "startup") await benchStartup();
if (!only || only === "startup" || only === "coldstart") await benchColdStart();
if (!only || only === "pipeline") await benchPipeline();
if (!only || only === "cascade") await benchCascade();
