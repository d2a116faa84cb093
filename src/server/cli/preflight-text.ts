import { english } from '../preflight/checks';
import type { PreflightReport } from '../preflight/types';

const MARK = { ok: 'ok      ', warning: 'WARNING ', blocking: 'BLOCKING' } as const;

/** Pure: the report as the command lines print it, one line per check and the fix under each warning or blocking one. */
export function reportText(report: PreflightReport): string {
  const lines = ['Pre-flight checks:'];
  for (const c of report.checks) {
    lines.push(`  [${MARK[c.level]}] ${c.message}`);
    if (c.level !== 'ok') lines.push(`               fix: ${english(`${c.code}_FIX`, c.params)}`);
  }
  const upgrade = report.upgrade
    ? "NocoBase's upgrade runs after the restore."
    : 'NocoBase and every plugin are at the versions of the backup: no upgrade needed.';
  lines.push(`  ${report.blocking} blocking, ${report.warnings} warning(s). ${upgrade}`);
  return lines.join('\n');
}
