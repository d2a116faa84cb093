import { formatDuration, TransferRate } from '../transferRate';

const MB = 1024 * 1024;

describe('TransferRate', () => {
  it('speed over the last seconds, and the time left at that speed', () => {
    const r = new TransferRate(5000);
    expect(r.speed()).toBeUndefined();
    r.add(0, 0);
    r.add(0.1 * MB, 100);
    expect(r.speed()).toBeUndefined(); // too soon to tell
    for (let s = 1; s <= 10; s++) r.add(s * 2 * MB, s * 1000);
    expect(r.speed()).toBeCloseTo(2 * MB, -3);
    expect(r.secondsLeft(100 * MB)).toBe(40);
    // Slower now: the window forgets the fast start.
    for (let s = 11; s <= 20; s++) r.add(20 * MB + (s - 10) * 0.5 * MB, s * 1000);
    expect(r.speed()).toBeCloseTo(0.5 * MB, -3);
  });

  it('a resume below the last figure starts a new window; a stall has no time left', () => {
    const r = new TransferRate();
    r.add(10 * MB, 0);
    r.add(12 * MB, 1000);
    r.add(8 * MB, 2000); // resumed from the server's offset
    expect(r.speed()).toBeUndefined();
    r.add(8 * MB, 3000);
    expect(r.secondsLeft(20 * MB)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('m:ss below an hour, h:mm:ss above', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
