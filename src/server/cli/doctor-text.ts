import { english } from '../preflight/checks';
import type { ReadinessReport } from '../readiness/types';

const MARK = { ok: 'ok      ', warning: 'WARNING ', blocking: 'BLOCKING' } as const;

/** Pure: the readiness lines as `nb-backups doctor` prints them, the fix under each warning or blocking one. */
export function doctorText(report: ReadinessReport): string {
  const lines = ['Readiness:'];
  for (const c of report.checks) {
    lines.push(`  [${MARK[c.level]}] ${c.message}`);
    if (c.level !== 'ok') lines.push(`               fix: ${english(`${c.code}_FIX`, c.params)}`);
  }
  const verdict = report.blocking
    ? 'backups will fail until the blocking lines are fixed.'
    : report.warnings
      ? 'backups work; see the warnings.'
      : 'ready to back up.';
  lines.push(`  ${report.blocking} blocking, ${report.warnings} warning(s): ${verdict}`);
  return lines.join('\n');
}
