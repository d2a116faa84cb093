/** '15.19' -> [15, 19]; the first dotted number in the text, or null. */
export function parseVersionNumbers(text: string): number[] | null {
  const match = /(\d+(?:\.\d+)*)/.exec(text);
  return match ? match[1].split('.').map(Number) : null;
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
