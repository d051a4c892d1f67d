// The one way keeper's commands end the process. process.exit() drops whatever stdout and stderr
// still hold when they are pipes (Node writes to pipes asynchronously): `keeper scan --json --all |
// jq` was cut mid-JSON. Exiting once both streams have handed everything to the OS keeps output whole.
export async function exitAfterOutput(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

/** Resolves when everything written to `stream` so far has been written out (writes complete in order). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    // A reader that went away (EPIPE) also ends the wait: there is nobody left to write to.
    stream.write("", () => resolve());
  });
}
