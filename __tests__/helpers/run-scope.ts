// Two test runs on one machine (two dialect passes side by side, or a developer's run beside CI) must not share a
// port, a database or an app template. BM_TEST_NS names a run ('' by default) and BM_PORT_OFFSET moves its ports.

/** A short name for this run's databases and templates: '' or '<ns>_'. */
export const runNs = (): string => {
  const ns = (process.env.BM_TEST_NS || '').replace(/\W/g, '_');
  return ns ? `${ns}_` : '';
};

/** A test's fixed port, moved by this run's offset. */
export const port = (n: number): number => n + (Number(process.env.BM_PORT_OFFSET) || 0);

/**
 * `it` where `yes`, else a test that is not registered at all (not skipped): what runs in one dialect pass only
 * (scripts/test.js says which and why). Its `.each` too.
 */
export const itIf = (yes: boolean): typeof it => (yes ? it : (Object.assign(() => undefined, { each: () => () => undefined }) as unknown as typeof it));

/** A test of the app as a whole, which each pass would repeat unchanged: registered in the SQLite pass only. */
export const itOnce = itIf((process.env.DB_DIALECT || 'sqlite') === 'sqlite');
