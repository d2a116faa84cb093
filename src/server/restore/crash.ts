import fs from 'fs';

// Test-only crash injection. BM_TEST_CRASH_FILE names a file; when it holds the name of the point a restore is
// passing ('stage', 'safety', 'db:main', 'db:main:mid', 'storage:mid', 'finish', 'commit', 'cleanup', 'backup:mid',
// a move's 'move:sync' and 'move:copy2', ...), the file is removed and the process kills itself with SIGKILL, as a
// power cut or the OOM killer would. `<point>@<ms>` sets the delay of a ':mid' point. Nothing in production sets the
// variable.

function armed(): { point: string; delay: number } | null {
  const file = process.env.BM_TEST_CRASH_FILE;
  if (!file) return null;
  try {
    const [point, ms] = fs.readFileSync(file, 'utf8').trim().split('@');
    return { point, delay: Number(ms) || Number(process.env.BM_TEST_CRASH_DELAY) || 150 };
  } catch {
    return null;
  }
}

const wanted = () => armed()?.point ?? null;

export function crashPoint(point: string): void {
  if (wanted() !== point) return;
  fs.rmSync(process.env.BM_TEST_CRASH_FILE as string, { force: true });
  process.kill(process.pid, 'SIGKILL');
}

/**
 * `<step>:mid`: a crash while the step's restore tool runs, `@ms` (BM_TEST_CRASH_DELAY, default 150) after it was
 * spawned. `spawned` is handed to the tool runner; `stop` ends the timer when the step ends first.
 */
export function crashMidway(step: string): { spawned: () => void; stop: () => void } {
  const a = armed();
  if (a?.point !== `${step}:mid`) return { spawned: () => undefined, stop: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  return {
    spawned: () => {
      timer ??= setTimeout(() => crashPoint(`${step}:mid`), a.delay);
    },
    stop: () => clearTimeout(timer),
  };
}
