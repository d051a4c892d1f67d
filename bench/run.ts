// `npm run bench`: prints every benchmark's figures. Nothing here passes or fails on time.
import { benchCascade } from "./cascade.js";
import { benchPipeline } from "./pipeline.js";
import { benchRisk } from "./risk.js";
import { benchSandbox } from "./sandbox.js";

const only = process.argv[2];
if (!only || only === "sandbox") await benchSandbox();
if (!only || only === "risk") await benchRisk();
if (!only || only === "pipeline") await benchPipeline();
if (!only || only === "cascade") await benchCascade();
