import dayjs from 'dayjs';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (binary multiples). Empty for a missing or invalid size. */
export function formatSize(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  let n = Number(value);
  if (!Number.isFinite(n) || n < 0) return '';
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits).replace(/\.0+$|(\.\d*[1-9])0+$/, '$1')} ${UNITS[unit]}`;
}

/** An ISO date in the browser's (the admin's) local time zone. */
export function formatTime(value: string | null | undefined, format = 'YYYY-MM-DD HH:mm:ss'): string {
  if (!value) return '';
  const d = dayjs(value);
  return d.isValid() ? d.format(format) : String(value);
}
