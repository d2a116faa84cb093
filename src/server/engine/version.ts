/** Compares NocoBase versions such as 2.2.15, 2.3.0-beta.1: negative when a < b. A release outranks its pre-releases. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [main, pre] = String(v || '0').replace(/^v/, '').split('-', 2);
    return { nums: main.split('.').map((n) => parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] || 0) - (y.nums[i] || 0);
    if (d) return d;
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre.localeCompare(y.pre, undefined, { numeric: true });
}
