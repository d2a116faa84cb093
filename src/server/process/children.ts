import fs from 'fs';
import path from 'path';

// Every dump or restore tool this process starts gets a pid file while it runs. A server killed with SIGKILL cannot
// stop its children: the next start finds the files whose owner is gone and stops what is still running, before a
// recovery touches the same database (see restore/recover.ts).

let registryDir: string | null = null;

/** Where pid files go (storage/backups-manager/.pids); unset, nothing is recorded (unit tests). */
export function setChildRegistry(dir: string | null): void {
  registryDir = dir;
}

interface ChildRecord {
  pid: number;
  start: string | null;
  owner: number;
  ownerStart: string | null;
  command: string;
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat): a pid reused later has another one. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function registerChild(pid: number, command: string): void {
  if (!registryDir) return;
  try {
    fs.mkdirSync(registryDir, { recursive: true, mode: 0o700 });
    const rec: ChildRecord = { pid, start: processStart(pid), owner: process.pid, ownerStart: processStart(process.pid), command };
    fs.writeFileSync(path.join(registryDir, `${pid}.json`), JSON.stringify(rec), { mode: 0o600 });
  } catch {
    /* recording is best effort: it must never fail the tool itself */
  }
}

export function unregisterChild(pid: number): void {
  if (!registryDir) return;
  fs.rmSync(path.join(registryDir, `${pid}.json`), { force: true });
}

/** Fields 3 (state) and 4 (ppid) of /proc/<pid>/stat, or null when there is no such process. */
function stateOf(pid: number): { state: string; ppid: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

/** Running and not a zombie waiting for its parent to reap it. */
const running = (pid: number) => {
  const s = stateOf(pid);
  return !!s && s.state !== 'Z' && s.state !== 'X';
};

/** The processes whose parent is `pid` (from /proc; none without it). */
export function childPids(pid: number): number[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n) && stateOf(Number(n))?.ppid === pid).map(Number);
}

/**
 * The process runs and is the one recorded (same kernel start time). Without /proc the pid alone decides: a reused
 * pid then keeps a record waiting rather than have it acted on under a live run.
 */
export function processAlive(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const now = processStart(pid);
  return start === null || now === null || now === start;
}

/**
 * Stops (SIGKILL) every recorded tool whose owner process is gone, and waits until they have exited. Answers the
 * commands it stopped. Records of live owners are left alone.
 */
export async function stopOrphans(dir: string): Promise<string[]> {
  const stopped: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return stopped;
  }
  for (const n of names) {
    const file = path.join(dir, n);
    let rec: ChildRecord;
    try {
      rec = JSON.parse(fs.readFileSync(file, 'utf8')) as ChildRecord;
    } catch {
      fs.rmSync(file, { force: true });
      continue;
    }
    if (processAlive(rec.owner, rec.ownerStart)) continue;
    if (processAlive(rec.pid, rec.start)) {
      // pg_restore -j N forks its workers: no pid file names them, and they would finish the table they are on
      // after their leader is gone. Taken while the leader still lives (they are its children until it dies).
      const workers = childPids(rec.pid);
      for (const pid of [rec.pid, ...workers]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* exited meanwhile */
        }
      }
      for (let i = 0; i < 100 && (processAlive(rec.pid, rec.start) || workers.some(running)); i++) await new Promise((r) => setTimeout(r, 50));
      stopped.push(`${rec.command} (pid ${rec.pid}${workers.length ? ` and ${workers.length} worker(s)` : ''})`);
    }
    fs.rmSync(file, { force: true });
  }
  return stopped;
}
