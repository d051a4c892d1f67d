// Writes .env.example from the settings table (src/config/settings.ts): every setting, its
// description and its default, by section. test/unit/config.test.ts checks the file is current.
//   npx tsx scripts/generate-env-example.ts           # (re)generate
//   npx tsx scripts/generate-env-example.ts --check   # exit 1 if .env.example is stale
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { renderEnvExample } from "../src/config/settings.js";

export const ENV_EXAMPLE_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".env.example");

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const text = renderEnvExample();
  if (process.argv.includes("--check")) {
    if (readFileSync(ENV_EXAMPLE_FILE, "utf8") !== text) {
      console.error(".env.example is stale: run npx tsx scripts/generate-env-example.ts");
      process.exit(1);
    }
  } else {
    writeFileSync(ENV_EXAMPLE_FILE, text);
  }
}
