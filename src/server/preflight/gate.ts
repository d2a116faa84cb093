import { preflightBlocked, preflightWarningsNotAccepted } from '../errors';
import type { PreflightReport } from './types';

/** The checks' ids ('plugin:<name>', 'underscored', 'disk'...): language-neutral names for the error's text. */
const codes = (report: PreflightReport, level: 'warning' | 'blocking') =>
  report.checks.filter((c) => c.level === level).map((c) => c.id).join(', ');

/**
 * Pure: refuses a restore, before anything is touched, when a check blocks (PREFLIGHT_BLOCKED) or when warnings
 * were not accepted (PREFLIGHT_WARNINGS_NOT_ACCEPTED). Both 409: the request is fine, the target is not ready.
 */
export function assertPreflight(report: PreflightReport, acceptWarnings: boolean): void {
  if (report.blocking) throw Object.assign(preflightBlocked(codes(report, 'blocking')), { preflight: report });
  if (report.warnings && !acceptWarnings) throw Object.assign(preflightWarningsNotAccepted(codes(report, 'warning')), { preflight: report });
}
