// Trying again after the network failed: soon at first, then less and less often.
//
// Phones say `online` before the network carries anything (a radio waking, a captive portal),
// and a weak connection fails requests while the browser still says it is online (then no
// `online` event comes at all): a page that waited for the event alone would wait for good.

/** A retrier for `task`: `later()` plans one try (2 s, 4 s, 8 s … up to `maxMs`), `reset()`
 *  after a success or a fresh start (the `online` event) makes the next wait short again. */
export function retrier(task, { firstMs = 2000, maxMs = 60000 } = {}) {
  let failures = 0;
  let timer = null;
  return {
    later() {
      if (timer) return;
      const wait = Math.min(maxMs, firstMs * 2 ** failures);
      failures += 1;
      timer = setTimeout(() => { timer = null; task(); }, wait);
    },
    reset() {
      failures = 0;
      clearTimeout(timer);
      timer = null;
    },
  };
}
