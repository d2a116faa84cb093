/**
 * Asks `probe` until it answers something truthy, which is returned; fails after `timeoutMs` naming `what` and the
 * last answer. The one waiter of the tests: no fixed sleeps standing in for a condition.
 */
export async function waitFor<T>(
  probe: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  { timeoutMs = 60000, intervalMs = 250, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(value) ?? String(value)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A task row is final once it leaves pending and running. */
export const isFinal = (row: { status?: string } | null | undefined): boolean => !!row && !['pending', 'running'].includes(String(row.status));
