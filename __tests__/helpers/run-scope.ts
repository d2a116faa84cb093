// Two test runs on one machine (two dialect passes side by side, or a developer's run beside CI) must not share a
// port, a database or an app template. BM_TEST_NS names a run ('' by default) and BM_PORT_OFFSET moves its ports.

/** A short name for this run's databases and templates: '' or '<ns>_'. */
export const runNs = (): string => {
  const ns = (process.env.BM_TEST_NS || '').replace(/\W/g, '_');
  return ns ? `${ns}_` : '';
};

/** A test's fixed port, moved by this run's offset. */
export const port = (n: number): number => n + (Number(process.env.BM_PORT_OFFSET) || 0);
