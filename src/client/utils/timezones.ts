interface IntlWithValues {
  supportedValuesOf?: (key: 'timeZone') => string[];
}

/** The browser's own time zone, e.g. 'Asia/Shanghai'. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, plus UTC and any zone passed in (e.g. the saved one). */
export function timeZones(...extra: (string | null | undefined)[]): string[] {
  let known: string[] = [];
  try {
    known = (Intl as unknown as IntlWithValues).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    known = [];
  }
  const all = new Set<string>(['UTC', localTimeZone(), ...known]);
  for (const z of extra) if (z) all.add(z);
  return [...all].sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
}
