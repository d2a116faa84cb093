// The worker threads that do a backup's or restore's bulk work (walking folders, reading and hashing files, creating
// them, measuring or removing trees) run at a lower priority than the main thread (nice 10, the thread's own value
// on Linux): they still use every spare cycle, but when they and the event loop want the same core, the event loop,
// which answers the app's requests, wins. On a 2-core server the two reader threads of a backup of 50,000 files
// otherwise took the main thread's turn and its health-check p99 rose from about 1× to 3.7× idle (docs/benchmarks.md).
// Elsewhere (no /proc/thread-self), or if refused, the thread runs as before.

/** Source text that lowers the priority of the thread it runs in; put first in a worker's eval source. */
export const LOWER_PRIORITY = `try {
  const tid = /task\\/(\\d+)$/.exec(require('fs').readlinkSync('/proc/thread-self'));
  if (tid) require('os').setPriority(Number(tid[1]), 10);
} catch {}`;
