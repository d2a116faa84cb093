/** The code, HTTP status and params of the coded error `fn` throws, or null when it throws nothing. */
export function codeOf(fn: () => unknown): { code?: string; status?: number; params?: unknown } | null {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; status?: number; params?: unknown };
    return { code: e.code, status: e.status, params: e.params };
  }
  return null;
}
