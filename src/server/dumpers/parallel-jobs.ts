import os from 'os';

// How many jobs a PostgreSQL-family dump and restore use (pg_dump -Fd -j N, pg_restore -j N). Pure but for cpuCount.

/** The most jobs the setting accepts: pg_dump -j N opens N + 1 connections, pg_restore -j N opens N. */
export const MAX_JOBS = 8;
/** The most the automatic choice takes: beyond 4 the server's disk, not the client, is usually the limit. */
export const AUTO_MAX_JOBS = 4;
/**
 * Fewer cores than this: one stream unless the setting says otherwise. On 2 cores a backup already keeps both busy
 * (pg_dump compressing, the server packing files), and two jobs measured from 0.6x (several big tables) to 1.07x and,
 * on a loaded machine, 4.4x (one big table, the benchmark's dataset) of one stream (docs/benchmarks.md, "Parallel
 * dump"): never slower is only sure with one.
 */
export const AUTO_MIN_CORES = 4;

/**
 * The job count: the setting when it is a whole number from 1 (one stream, the custom format) up to MAX_JOBS, else
 * automatic: one per core from AUTO_MIN_CORES cores on, at most AUTO_MAX_JOBS; one stream below.
 */
export function chooseJobs(setting: number | null | undefined, cores: number): number {
  if (typeof setting === 'number' && Number.isInteger(setting) && setting >= 1) return Math.min(setting, MAX_JOBS);
  const n = Number.isFinite(cores) ? Math.floor(cores) : 1;
  return n >= AUTO_MIN_CORES ? Math.min(AUTO_MAX_JOBS, n) : 1;
}

/** The setting as stored: null (automatic) or a whole number 1..MAX_JOBS; anything else is null. */
export function jobsSetting(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_JOBS ? n : null;
}

/** Cores this process may use (cgroup-aware where Node knows it). */
export function cpuCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length || 1;
}
