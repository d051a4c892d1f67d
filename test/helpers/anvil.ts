/**
 * Vitest-side anvil helper: start an instance whose stop() is always registered
 * with the runner, so a failing assertion never leaks a node.
 *
 * How the stop is registered (checked against vitest 4.1):
 * - Inside a test or beforeEach (TestRunner.getCurrentTest() is set): onTestFinished,
 *   which runs whether the test passed or failed.
 * - Anywhere else, in practice beforeAll: vitest silently drops an afterAll()
 *   registered from inside a running hook, so instead this module registers one
 *   file-level afterAll when it is imported (imports run during the test file's
 *   collection, when afterAll is valid) and that hook stops every instance started
 *   outside a test. Vitest isolates modules per test file by default, so each file
 *   gets its own hook. Under `isolate: false` only the first file would; the
 *   process-exit hook in src/chain/anvil.ts still kills any survivor.
 */
import { afterAll, onTestFinished, TestRunner } from "vitest";
import { startAnvil, type AnvilInstance, type AnvilOptions } from "../../src/chain/anvil.js";

const fileScoped = new Set<AnvilInstance>();

afterAll(async () => {
  const instances = [...fileScoped];
  fileScoped.clear();
  await Promise.all(instances.map((a) => a.stop()));
});

export async function useAnvil(options?: AnvilOptions): Promise<AnvilInstance> {
  if (TestRunner.getCurrentTest() !== undefined) {
    // Register before awaiting: onTestFinished binds to the *current* test, which may change across
    // an await under test.concurrent. If the test ends first, the hook waits for the start and stops it.
    const starting = startAnvil(options);
    onTestFinished(async () => {
      const anvil = await starting.catch(() => undefined);
      await anvil?.stop();
    });
    return starting;
  }
  const anvil = await startAnvil(options);
  fileScoped.add(anvil);
  return anvil;
}
