// Runs async sections one at a time, in call order: the executor's sends (one nonce sequence) and
// its per-block bookkeeping each go through one.
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
