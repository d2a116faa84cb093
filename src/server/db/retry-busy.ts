/**
 * SQLite answers SQLITE_BUSY instead of waiting when two writers meet (node-sqlite3 waits only 1 s), for example
 * while a snapshot of a busy app is taken. Retried with a growing pause until the time budget is spent: a final
 * task status must not be lost to a lock held for a few seconds on a loaded machine.
 */
export async function retryBusy<T>(fn: () => Promise<T>, budgetMs = 30000, sleep = defaultSleep): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      await sleep(Math.min(1000, 100 * i));
    }
  }
}

export function isBusy(err: unknown): boolean {
  const e = err as { parent?: { code?: string }; original?: { code?: string }; code?: string } | null;
  return [e?.parent?.code, e?.original?.code, e?.code].includes('SQLITE_BUSY');
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
