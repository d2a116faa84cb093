import { assertPreflight } from '../gate';
import type { PreflightReport } from '../types';

const report = (levels: ('ok' | 'warning' | 'blocking')[]): PreflightReport => ({
  checks: levels.map((level, i) => ({ id: `c${i}`, level, code: `PREFLIGHT_${level.toUpperCase()}`, params: {}, message: '' })),
  blocking: levels.filter((l) => l === 'blocking').length,
  warnings: levels.filter((l) => l === 'warning').length,
  upgrade: false,
});

const refusal = (r: PreflightReport, accept: boolean) => {
  try {
    assertPreflight(r, accept);
    return null;
  } catch (err) {
    const e = err as { code: string; params: Record<string, string>; status: number; preflight: unknown };
    return { code: e.code, params: e.params, status: e.status, carries: e.preflight === r };
  }
};

describe('assertPreflight', () => {
  it('blocking checks refuse even with warnings accepted, naming them', () => {
    expect(refusal(report(['ok', 'blocking', 'warning', 'blocking']), true)).toEqual({ code: 'PREFLIGHT_BLOCKED', params: { checks: 'c1, c3' }, status: 409, carries: true });
  });
  it('warnings refuse until accepted', () => {
    expect(refusal(report(['warning', 'ok']), false)).toEqual({ code: 'PREFLIGHT_WARNINGS_NOT_ACCEPTED', params: { checks: 'c0' }, status: 409, carries: true });
    expect(refusal(report(['warning', 'ok']), true)).toBeNull();
    expect(refusal(report(['ok']), false)).toBeNull();
  });
});
