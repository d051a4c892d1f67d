// Whether dist/ (the bundle scripts/build.js makes) can be run: it exists and no source that went
// into it changed since. A stale bundle would silently run old code after an edit, so bin/keeper.js
// then runs the TypeScript sources instead. The check stats the ~80 files the bundle was built from:
// about a millisecond.
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const DIST_DIR = join(REPO_ROOT, "dist");
export const DIST_ENTRY = join(DIST_DIR, "main.js");
/** Written last by the build: the files it read and, as its mtime, when it started reading them. */
export const BUILD_INPUTS_FILE = "build-inputs.json";

/** Why dist/ cannot be run, or undefined when it is current. */
export function staleReason() {
  const stamp = join(DIST_DIR, BUILD_INPUTS_FILE);
  let builtAtMs;
  let inputs;
  try {
    builtAtMs = statSync(stamp).mtimeMs;
    inputs = JSON.parse(readFileSync(stamp, "utf8")).inputs;
    statSync(DIST_ENTRY);
  } catch {
    return "dist/ is missing or incomplete";
  }
  for (const input of inputs) {
    let mtimeMs;
    try {
      mtimeMs = statSync(join(REPO_ROOT, input)).mtimeMs;
    } catch {
      return `${input} was removed since the build`;
    }
    if (mtimeMs > builtAtMs) return `${input} changed since the build`;
  }
  return undefined;
}

/** The file URL of the compiled entry when it is current, else undefined. */
export function compiledEntry() {
  return staleReason() === undefined ? pathToFileURL(DIST_ENTRY).href : undefined;
}
