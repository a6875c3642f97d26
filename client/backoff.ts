/**
 * The wait before retry number `attempt` (0 for the first retry): doubling from `baseMs` up to
 * `maxMs`, then a random half of it dropped ("equal jitter"), so many clients that lost the
 * same server do not all come back in the same millisecond, yet none waits less than half
 * the schedule.
 *
 * @example
 * retryDelay(0, 100, 5000); // between 50 and 100
 * retryDelay(10, 100, 5000); // between 2500 and 5000
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * A wait that can be cut short, on a timer that does not keep the process alive: a training
 * script that is done must be able to exit while the SDK waits to retry (its exit hooks then
 * flush under a timer of their own).
 *
 * @example
 * const wait = new Pause();
 * await wait.sleep(2000); // resolves after 2 s, or at once on wait.wake()
 */
export class Pause {
  #wake: (() => void) | undefined;

  /**
   * Resolves after `ms`, or when `wake()` is called.
   *
   * @example
   * await pause.sleep(retryDelay(attempt, 100, 5000));
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.#wake === done) self.#wake = undefined;
        resolve();
      }
      this.#wake = done;
    });
  }

  /**
   * Ends the current sleep now.
   *
   * @example
   * pause.wake();
   */
  wake(): void {
    this.#wake?.();
  }
}
