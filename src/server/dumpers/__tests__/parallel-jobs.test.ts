import { AUTO_MAX_JOBS, AUTO_MIN_CORES, chooseJobs, cpuCount, jobsSetting, MAX_JOBS } from '../parallel-jobs';

describe('chooseJobs', () => {
  it('is automatic without a setting: one stream below 4 cores, then one per core, at most AUTO_MAX_JOBS', () => {
    expect([1, 2, 3, 4, 5, 8, 64].map((cores) => chooseJobs(null, cores))).toEqual([1, 1, 1, 4, 4, 4, 4]);
    expect([AUTO_MIN_CORES, AUTO_MAX_JOBS]).toEqual([4, 4]);
    // A broken core count never means zero or NaN jobs.
    expect(chooseJobs(undefined, 0)).toBe(1);
    expect(chooseJobs(undefined, Number.NaN)).toBe(1);
    expect(chooseJobs(undefined, 4.5)).toBe(4);
  });

  it('takes the setting over the cores, capped at MAX_JOBS; 1 forces one stream', () => {
    expect(chooseJobs(1, 16)).toBe(1);
    expect(chooseJobs(2, 1)).toBe(2);
    expect(chooseJobs(6, 2)).toBe(6);
    expect(chooseJobs(100, 2)).toBe(MAX_JOBS);
    // Not a usable setting: automatic.
    expect(chooseJobs(0, 2)).toBe(1);
    expect(chooseJobs(-3, 8)).toBe(4);
    expect(chooseJobs(1.5, 6)).toBe(4);
  });

  it('reads the stored setting: a whole number 1..MAX_JOBS, else automatic (null)', () => {
    expect([1, 8, '3', ' 2 '].map(jobsSetting)).toEqual([1, 8, 3, 2]);
    expect([null, undefined, '', 0, 9, -1, 2.5, 'x', true, {}].map(jobsSetting)).toEqual(Array(10).fill(null));
  });

  it('counts at least one core here', () => {
    expect(cpuCount()).toBeGreaterThanOrEqual(1);
  });
});
