import type { TFunction, TOptions } from '../locale';
import type { PreflightLevel, PreflightReport } from '../types';

/** The restore action's refusals that carry the report (`errors[0].preflight`). */
const REFUSALS = new Set(['PREFLIGHT_BLOCKED', 'PREFLIGHT_WARNINGS_NOT_ACCEPTED']);

export interface PreflightLine {
  id: string;
  level: PreflightLevel;
  /** The check in the admin's language (the server's English when the key is unknown here). */
  text: string;
  /** How to fix it, for warnings and blocking checks that have one. */
  fix?: string;
}

export interface PreflightView {
  /** Blocking first, then warnings, then what is fine; the server's order within each level. */
  lines: PreflightLine[];
  blocking: number;
  warnings: number;
  upgrade: boolean;
}

const ORDER: Record<PreflightLevel, number> = { blocking: 0, warning: 1, ok: 2 };

// Options i18next reads itself: a check parameter of that name must not change how the text is looked up.
const RESERVED = new Set(['ns', 'lng', 'lngs', 'defaultValue', 'context', 'interpolation', 'returnObjects', 'replace', 'postProcess', 'fallbackLng', 'keySeparator', 'nsSeparator']);

function paramsOf(params: Record<string, string | number> | undefined): TOptions {
  return Object.fromEntries(Object.entries(params ?? {}).filter(([k]) => !RESERVED.has(k)));
}

/** An unknown level (a newer server) is taken as blocking: the restore must not go on past what is not understood. */
const levelOf = (level: string): PreflightLevel => (level === 'ok' || level === 'warning' ? level : 'blocking');

/** The report as the dialog shows it; null when the server sent none (older servers and archives). */
export function preflightView(report: PreflightReport | null | undefined, t: TFunction): PreflightView | null {
  if (!report || !Array.isArray(report.checks)) return null;
  const lines = report.checks
    .map((check, index) => {
      const level = levelOf(check.level);
      const params = paramsOf(check.params);
      const text = t(check.code, { ...params, defaultValue: check.message });
      const fixKey = `${check.code}_FIX`;
      const fixText = level === 'ok' ? '' : t(fixKey, { ...params, defaultValue: '' });
      const line: PreflightLine = { id: check.id, level, text };
      if (fixText && fixText !== fixKey) line.fix = fixText;
      return { line, index };
    })
    .sort((a, b) => ORDER[a.line.level] - ORDER[b.line.level] || a.index - b.index)
    .map(({ line }) => line);
  const count = (level: PreflightLevel) => lines.filter((l) => l.level === level).length;
  return {
    lines,
    // The counts from the lines shown, or the server's if it counted more (never fewer blockers than it says).
    blocking: Math.max(count('blocking'), Number(report.blocking) || 0),
    warnings: Math.max(count('warning'), Number(report.warnings) || 0),
    upgrade: report.upgrade !== false,
  };
}

/** Restore may be asked for: nothing blocks, and any warnings have been read and accepted. */
export function preflightAllows(view: PreflightView | null, warningsAccepted: boolean): boolean {
  if (!view) return true;
  if (view.blocking > 0) return false;
  return view.warnings === 0 || warningsAccepted;
}

/**
 * The report a refused restore answered with (the server checked again, e.g. with the password an encrypted backup's
 * manifest needed, or the disk filled meanwhile); null for any other error.
 */
export function refusedPreflight(error: unknown): PreflightReport | null {
  const data = (error as { response?: { data?: unknown } } | null | undefined)?.response?.data as
    | { errors?: { code?: string; preflight?: PreflightReport }[] }
    | undefined;
  const first = Array.isArray(data?.errors) ? data?.errors[0] : undefined;
  if (!first?.code || !REFUSALS.has(first.code)) return null;
  return first.preflight && Array.isArray(first.preflight.checks) ? first.preflight : null;
}
