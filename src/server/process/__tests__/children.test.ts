import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childPids, processStart, stopOrphans } from '../children';

// A tool that forks workers (pg_restore -j N) left running by a killed server: the recovery stops the workers too,
// not only the recorded leader (they would go on writing the table they are on).
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
};

it('stops a recorded tool whose owner is gone, and the workers it forked', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-pids-'));
  const leader = spawn('sh', ['-c', 'sleep 60 & sleep 60 & wait'], { stdio: 'ignore' });
  const gone = spawn('true');
  await new Promise((r) => gone.once('exit', r));
  try {
    let workers: number[] = [];
    for (let i = 0; i < 100 && workers.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      workers = childPids(leader.pid as number);
    }
    expect(workers).toHaveLength(2);
    const rec = { pid: leader.pid, start: processStart(leader.pid as number), owner: gone.pid, ownerStart: null, command: 'pg_restore' };
    fs.writeFileSync(path.join(dir, `${leader.pid}.json`), JSON.stringify(rec));

    expect(await stopOrphans(dir)).toEqual([`pg_restore (pid ${leader.pid} and 2 worker(s))`]);
    expect(workers.filter(alive)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  } finally {
    leader.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
