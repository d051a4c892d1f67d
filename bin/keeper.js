#!/usr/bin/env node
// The `keeper` command. Runs the compiled bundle in dist/ (built by `npm ci` through the prepare
// script, or `npm run build`), which starts in a fraction of the time the TypeScript takes through
// tsx. When dist/ is missing or a source changed since it was built, runs the sources through tsx
// instead: slower to start, never stale.
import { compiledEntry } from "./compiled.js";

const entry = compiledEntry();
if (entry !== undefined) {
  await import(entry);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
