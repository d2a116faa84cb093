import { chartGeometry, formatAge, formatDuration } from '../healthChart';

describe('health chart geometry', () => {
  it('bars scale to the largest size, the line to the longest duration', () => {
    const g = chartGeometry(
      [
        { at: 'a', size: 50, durationSeconds: 10 },
        { at: 'b', size: 100, durationSeconds: 20 },
      ],
      200,
      100,
      0,
    );
    expect(g.bars).toEqual([
      { x: 0, y: 50, width: 100, height: 50 },
      { x: 100, y: 0, width: 100, height: 100 },
    ]);
    expect(g.line).toBe('50,50 150,0');
    expect([g.maxSize, g.maxDuration]).toEqual([100, 20]);
  });

  it('empty, one point, all zero', () => {
    expect(chartGeometry([], 100, 50)).toEqual({ bars: [], line: '', maxSize: 0, maxDuration: 0 });
    const one = chartGeometry([{ at: 'a', size: 0, durationSeconds: 0 }], 100, 50, 2);
    expect(one.bars).toEqual([{ x: 1, y: 50, width: 98, height: 0 }]);
    expect(one.line).toBe('');
  });

  it('durations and ages read as people say them', () => {
    expect([formatDuration(12), formatDuration(90), formatDuration(7200)]).toEqual(['12 s', '1.5 min', '2 h']);
    expect(formatAge(5.04)).toEqual({ value: 5, unit: 'h' });
    expect(formatAge(72)).toEqual({ value: 3, unit: 'd' });
  });
});
