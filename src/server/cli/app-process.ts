import net from 'net';
import os from 'os';
import path from 'path';
import { Writable } from 'stream';
import { runTool } from '../process/run';

/** Where NocoBase's running server listens for CLI commands (its gateway's getSocketPath). */
export function gatewaySocket(env: Record<string, string | undefined>, appDir: string, storage: string): string {
  if (env.SOCKET_PATH) return path.resolve(appDir, env.SOCKET_PATH);
  if (env.NOCOBASE_RUNNING_IN_DOCKER === 'true') return path.join(os.homedir(), '.nocobase', 'gateway.sock');
  return path.join(storage, 'gateway.sock');
}

/** True when a NocoBase server answers on its socket: restoring under a running app would corrupt its state. */
export function serverRunning(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect(socket);
    const done = (running: boolean) => {
      conn.destroy();
      resolve(running);
    };
    conn.setTimeout(timeoutMs, () => done(false));
    conn.once('connect', () => done(true));
    conn.once('error', () => done(false)); // missing or stale socket file: nobody listens
  });
}

/**
 * `yarn nocobase upgrade` in appDir: runs the migrations of the installed NocoBase and plugins on the restored
 * database. Its output goes to `log` (stderr), keeping stdout for --json. The child gets the whole environment:
 * NocoBase needs DB_*, APP_KEY... exactly as it would run.
 */
export async function runUpgrade(appDir: string, env: Record<string, string>, log: Writable): Promise<void> {
  await runNocoBase(appDir, ['upgrade'], env, log);
}

/** NocoBase's CLI gets the whole environment: it reads DB_*, APP_KEY... exactly as it would run. */
export function nocobaseEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `yarn nocobase <args>` in appDir, as runUpgrade (a move also runs `install -f` on its new database). */
export async function runNocoBase(appDir: string, args: string[], env: Record<string, string>, log: Writable): Promise<void> {
  await runTool(
    { command: 'yarn', args: ['--silent', '--cwd', appDir, 'nocobase', ...args], env },
    { stdout: log, onStderrLine: (line) => log.write(`${line}\n`) },
  );
}
