// Geometry of the health panel's chart: bars for archive sizes, a line for durations, both scaled to their own
// maximum. Pure, so the numbers are tested without a browser.

export interface ChartInput {
  at: string;
  size: number;
  durationSeconds: number;
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartGeometry {
  bars: Bar[];
  /** SVG polyline points ("x,y x,y"), one per bar centre; empty under two points. */
  line: string;
  maxSize: number;
  maxDuration: number;
}

export function chartGeometry(points: ChartInput[], width: number, height: number, gap = 2): ChartGeometry {
  const maxSize = Math.max(0, ...points.map((p) => p.size));
  const maxDuration = Math.max(0, ...points.map((p) => p.durationSeconds));
  if (!points.length) return { bars: [], line: '', maxSize, maxDuration };
  const slot = width / points.length;
  const barWidth = Math.max(1, slot - gap);
  const round = (n: number) => Math.round(n * 10) / 10;
  const bars = points.map((p, i) => {
    const h = maxSize > 0 ? (p.size / maxSize) * height : 0;
    return { x: round(i * slot + (slot - barWidth) / 2), y: round(height - h), width: round(barWidth), height: round(h) };
  });
  const line =
    points.length < 2
      ? ''
      : points
          .map((p, i) => {
            const y = maxDuration > 0 ? height - (p.durationSeconds / maxDuration) * height : height;
            return `${round(i * slot + slot / 2)},${round(y)}`;
          })
          .join(' ');
  return { bars, line, maxSize, maxDuration };
}

/** 90 → '1.5 min', 7200 → '2 h': the chart's duration scale. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round((seconds / 60) * 10) / 10} min`;
  return `${Math.round((seconds / 3600) * 10) / 10} h`;
}

/** The age of the last good backup: hours under two days, days after. */
export function formatAge(hours: number): { value: number; unit: 'h' | 'd' } {
  return hours < 48 ? { value: Math.round(hours * 10) / 10, unit: 'h' } : { value: Math.round((hours / 24) * 10) / 10, unit: 'd' };
}
