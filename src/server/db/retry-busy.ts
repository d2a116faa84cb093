/** SQLite answers SQLITE_BUSY instead of waiting when two writers meet; a short retry is all it takes. */
export async function retryBusy<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const busy = (err as { parent?: { code?: string } })?.parent?.code === 'SQLITE_BUSY';
      if (!busy || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}
