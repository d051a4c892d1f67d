// Builds the JavaScript that `npx keeper` runs: src/cli/main.ts bundled by esbuild into dist/, one
// entry plus a chunk per lazily imported command, so a command loads only what it uses. Run by
// `npm ci` itself (the prepare script) and by `npm run build`; bin/keeper.js falls back to the
// TypeScript sources when dist/ is missing or older than a source (bin/compiled.js).
//
// Why a bundle rather than tsc's one file per module: Node's ESM loader pays per file, and viem alone
// is hundreds of files (~0.8 s to import on the 2-core machine; bundled, the whole CLI loads in ~0.2 s).
// Plain JavaScript (not TypeScript) because it must run before anything is compiled.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUILD_INPUTS_FILE, DIST_DIR, DIST_ENTRY, REPO_ROOT } from "../bin/compiled.js";

/** How old a chunk of an earlier build must be before a build removes it. */
const OLD_CHUNK_MS = 24 * 3600 * 1000;

/** ESM packages bundled in (viem and what it imports); every other package is imported from node_modules at run time. */
const BUNDLED = /^(viem|ox|abitype|isows|@noble\/curves|@noble\/hashes|@scure\/bip32|@scure\/bip39|@scure\/base)(\/|$)/;

export async function buildDist() {
  // Sources edited while the build runs must make it stale: the stamp is the time before esbuild reads them.
  const startedAt = new Date();
  const staging = join(DIST_DIR, `.building-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: { main: "src/cli/main.ts" },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    // CommonJS code bundled into ESM (none of ours, but a dependency may) needs a require.
    banner: {
      js: [
        'import { createRequire as __keeperCreateRequire } from "node:module";',
        'import { fileURLToPath as __keeperFileURLToPath } from "node:url";',
        'import { dirname as __keeperDirnameOf } from "node:path";',
        "const require = __keeperCreateRequire(import.meta.url);",
        "const __keeperFilename = (url) => __keeperFileURLToPath(url);",
        "const __keeperDirname = (url) => __keeperDirnameOf(__keeperFileURLToPath(url));",
      ].join(" "),
    },
    plugins: [
      {
        name: "external-packages",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            BUNDLED.test(args.path) || args.path.startsWith("node:") ? undefined : { path: args.path, external: true },
          );
        },
      },
      {
        // A source file's import.meta.url (paths next to it, createRequire) must name that file, as it does
        // under tsx, not the chunk in dist/ it ends up in. Relative to the chunk, so the checkout can move.
        name: "source-import-meta",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            if (args.path.includes("node_modules")) return undefined;
            const text = readFileSync(args.path, "utf8");
            if (!text.includes("import.meta.")) return undefined;
            const fromDist = relative(DIST_DIR, args.path).split(sep).join("/");
            const url = `new URL(${JSON.stringify(fromDist)}, import.meta.url)`;
            return {
              loader: "ts",
              contents: text
                .replaceAll("import.meta.url", `${url}.href`)
                .replaceAll("import.meta.dirname", `__keeperDirname(${url})`)
                .replaceAll("import.meta.filename", `__keeperFilename(${url})`),
            };
          });
        },
      },
    ],
  });
  // What bin/compiled.js compares mtimes against: every file of the repository that went in.
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes("node_modules/"))
    .sort();
  writeFileSync(join(staging, BUILD_INPUTS_FILE), `${JSON.stringify({ builtAt: startedAt.toISOString(), inputs }, null, 1)}\n`);
  utimesSync(join(staging, BUILD_INPUTS_FILE), startedAt, startedAt);
  // Into dist/ without pulling the floor from under a keeper running from it: chunks have content
  // hashes in their names and the old ones stay (a running process may still import one lazily);
  // the entry, then the stamp, are replaced last, each by an atomic rename.
  const produced = readdirSync(staging);
  const last = ["main.js.map", "main.js", BUILD_INPUTS_FILE];
  for (const file of [...produced.filter((f) => !last.includes(f)), ...last]) renameSync(join(staging, file), join(DIST_DIR, file));
  rmSync(staging, { recursive: true, force: true });
  // Chunks of earlier builds go once no process can reasonably still be running from them.
  for (const file of readdirSync(DIST_DIR)) {
    const path = join(DIST_DIR, file);
    if (!produced.includes(file) && !file.startsWith(".building-") && statSync(path).mtimeMs < Date.now() - OLD_CHUNK_MS)
      rmSync(path, { force: true });
  }
  return { inputs: inputs.length, entry: relative(REPO_ROOT, DIST_ENTRY) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const { inputs, entry } = await buildDist();
  console.log(`keeper: built ${entry} from ${inputs} source files in ${Math.round(performance.now() - started)} ms`);
}
