import fs from 'fs';
import os from 'os';
import path from 'path';
import { FolderReader } from '../archive/folder-reader';
import { inWorker } from '../worker-call';

// The bulk work of a backup or restore runs on threads of a lower priority than the main thread (nice 10), so the
// event loop wins a contended core. Linux only: /proc tells each thread's nice value.

const linux = fs.existsSync('/proc/thread-self');
const expected = Math.max(10, os.getPriority()); // a process already nicer than 10 stays as it is

/**
 * Nice values of this process's threads, main thread first. A thread listed may end before its stat is read (a worker
 * of an earlier test still terminating: CI, 2026-12-06, ENOENT): it is not counted.
 */
function threadNices(): number[] {
  const main = String(process.pid);
  const niceOf = (tid: string): number | null => {
    try {
      return Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  };
  return fs
    .readdirSync('/proc/self/task')
    .sort((a, b) => (a === main ? -1 : b === main ? 1 : 0))
    .map(niceOf)
    .filter((n): n is number => n !== null);
}

(linux ? describe : describe.skip)('background threads', () => {
  it('a one-off worker (inWorker) runs at nice 10, the main thread as it was', async () => {
    const nice = await inWorker(() => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const f = require('fs') as typeof import('fs');
      const tid = /task\/(\d+)$/.exec(f.readlinkSync('/proc/thread-self'))![1];
      return Number(f.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    }, null);
    expect(nice).toBe(expected);
    expect(threadNices()[0]).toBe(os.getPriority());
  });

  it("the folder reader's walker and readers run at nice 10", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-nice-'));
    fs.writeFileSync(path.join(root, 'a.bin'), 'x');
    // The one-off worker of the test before ends on its own time: counted from none.
    const niceOnes = () => threadNices().filter((n) => n === expected).length;
    for (let i = 0; i < 100 && niceOnes() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    const before = niceOnes();
    const reader = new FolderReader(root, 1024, 2);
    try {
      const batch = await reader.next();
      batch?.release();
      // A reader that got no work yet may still be starting: its first statement lowers its priority.
      const lowered = () => niceOnes() - before;
      for (let i = 0; i < 100 && lowered() < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(lowered()).toBeGreaterThanOrEqual(3);
    } finally {
      await reader.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
