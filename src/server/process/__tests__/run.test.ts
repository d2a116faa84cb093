import fs from 'fs';
import os from 'os';
import path from 'path';
import { PassThrough, Readable, Writable } from 'stream';
import { ToolAbortedError, ToolError, ToolNotFoundError } from '../errors';
import { captureTool, CHILD_NICE, runTool } from '../run';
import { failure } from './failure';

const node = (script: string, env: Record<string, string> = {}) => ({
  command: process.execPath,
  args: ['-e', script],
  env,
});

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-run-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('environment', () => {
  const saved = { DB_PASSWORD: process.env.DB_PASSWORD, APP_KEY: process.env.APP_KEY };
  beforeAll(() => {
    process.env.DB_PASSWORD = 'parent-db-password';
    process.env.APP_KEY = 'parent-app-key';
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('gives the child only PATH/HOME/LANG/LC_ALL plus spec.env', async () => {
    const out = await captureTool({ command: 'env', args: [], env: { BM_EXTRA: 'yes' } });
    const keys = out
      .trim()
      .split('\n')
      .map((line) => line.split('=')[0]);
    expect(out).not.toContain('parent-db-password');
    expect(out).not.toContain('parent-app-key');
    expect(keys).not.toContain('DB_PASSWORD');
    expect(keys).not.toContain('APP_KEY');
    expect(keys).toContain('PATH');
    expect(out).toContain('BM_EXTRA=yes');
    expect(keys.every((key) => ['PATH', 'HOME', 'LANG', 'LC_ALL', 'BM_EXTRA'].includes(key))).toBe(true);
  });
});

describe('failures', () => {
  it('reports a missing tool clearly', async () => {
    const run = runTool({ command: '/nowhere/bin/bm-no-such-tool', args: ['--version'], env: {} });
    await expect(run).rejects.toBeInstanceOf(ToolNotFoundError);
    await expect(run).rejects.toMatchObject({ command: 'bm-no-such-tool', exitCode: null });
    await expect(run).rejects.toThrow(/bm-no-such-tool was not found .*install the database client tools/);
  });

  it('throws a ToolError with exit code, basename and stderr tail', async () => {
    const run = runTool(node("console.error('line one'); console.error('the real reason'); process.exit(3)"));
    await expect(run).rejects.toBeInstanceOf(ToolError);
    await expect(run).rejects.toMatchObject({ command: 'node', exitCode: 3 });
    await expect(run).rejects.toThrow(/node exited with code 3: .*the real reason/s);
  });

  it('scrubs password-like env values and declared secrets from message and tail', async () => {
    // TOKEN does not look like a password: only its listing in spec.secrets hides it.
    const env = { PGPASSWORD: 'pg-Secret-1', MYSQL_PWD: 'my-Secret-2', TOKEN: 'opt-secret' };
    const script = 'const e = process.env; console.error(`pw=${e.PGPASSWORD} my=${e.MYSQL_PWD} t=${e.TOKEN}`); process.exitCode = 1';
    const error = await failure(runTool({ ...node(script, env), secrets: ['opt-secret'] }));
    expect(error).toBeInstanceOf(ToolError);
    for (const secret of ['pg-Secret-1', 'my-Secret-2', 'opt-secret']) {
      expect(error.message).not.toContain(secret);
      expect(error.stderrTail).not.toContain(secret);
    }
    expect(error.message).toContain('pw=*** my=*** t=***');
  });

  it('keeps only the last 64 KB of stderr', async () => {
    // exitCode, not exit(): process.exit() may drop stderr still queued for the pipe.
    const script = "for (let i = 0; i < 20000; i++) console.error('noise ' + i); console.error('LAST'); process.exitCode = 2";
    const error = await failure(runTool(node(script)));
    expect(error.exitCode).toBe(2);
    expect(error.stderrTail.length).toBeLessThanOrEqual(64 * 1024);
    expect(error.stderrTail.trim().endsWith('LAST')).toBe(true);
    expect(error.message.length).toBeLessThan(3000);
  });

  it('reports a signal', async () => {
    const error = await failure(runTool(node("process.kill(process.pid, 'SIGKILL')")));
    expect(error).toBeInstanceOf(ToolError);
    expect(error.signal).toBe('SIGKILL');
    expect(error.message).toMatch(/killed by SIGKILL/);
  });

  it('is cancelled through its AbortSignal', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runTool(node('setTimeout(() => {}, 30000)'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(run).rejects.toBeInstanceOf(ToolAbortedError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runTool(node(''), { signal: controller.signal })).rejects.toBeInstanceOf(ToolAbortedError);
  });

  it('stops the child and rethrows when the stdout sink fails', async () => {
    const sink = new Writable({
      write: (_chunk, _encoding, callback) => callback(new Error('disk full')),
    });
    const run = runTool(node("setInterval(() => process.stdout.write('x'.repeat(1024)), 5)"), { stdout: sink });
    await expect(run).rejects.toThrow('disk full');
  });
});

describe('streams and files', () => {
  it('streams stdout with backpressure into a slow sink, without ending it', async () => {
    const total = 8 * 1024 * 1024;
    let received = 0;
    let maxBuffered = 0;
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        maxBuffered = Math.max(maxBuffered, this.writableLength);
        setImmediate(callback);
      },
    });
    await runTool(node(`process.stdout.write(Buffer.alloc(${total}, 97))`), { stdout: sink });
    await new Promise<void>((resolve) => (sink.writableLength ? sink.once('drain', () => resolve()) : resolve()));
    expect(received).toBe(total);
    expect(sink.writableEnded).toBe(false);
    // pipe() paused the child instead of queueing everything in memory.
    expect(maxBuffered).toBeLessThan(total / 4);
  });

  it('feeds a file path as stdin', async () => {
    const input = path.join(tmp, 'input.txt');
    fs.writeFileSync(input, 'hello from a file\n'.repeat(1000));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await runTool({ command: 'cat', args: [], env: {} }, { stdin: input, stdout: out });
    expect(Buffer.concat(chunks).toString()).toBe(fs.readFileSync(input, 'utf8'));
  });

  it('lets the child write a file descriptor itself; several commands append in order', async () => {
    const file = path.join(tmp, 'dump.out');
    const fh = await fs.promises.open(file, 'a', 0o600);
    try {
      await runTool(node(`process.stdout.write(Buffer.alloc(${4 * 1024 * 1024}, 97))`), { stdout: fh.fd });
      await runTool(node("process.stdout.write('tail')"), { stdout: fh.fd });
    } finally {
      await fh.close();
    }
    const data = fs.readFileSync(file);
    expect(data.length).toBe(4 * 1024 * 1024 + 4);
    expect(data.subarray(0, 4 * 1024 * 1024).every((b) => b === 97)).toBe(true);
    expect(data.subarray(-4).toString()).toBe('tail');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('feeds a stream as stdin', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const sink = new PassThrough();
      sink.on('data', (chunk: Buffer) => chunks.push(chunk));
      runTool({ command: 'wc', args: ['-c'], env: {} }, { stdin: Readable.from(['abc', 'def']), stdout: sink })
        .then(() => resolve(Buffer.concat(chunks).toString()))
        .catch(reject);
    });
    expect(out.trim()).toBe('6');
  });

  it('writes spec.files with mode 0600 for the run and removes them afterwards', async () => {
    const file = path.join(tmp, 'opts.cnf');
    const out = await captureTool({
      command: 'sh',
      args: ['-c', `stat -c %a "${file}" && cat "${file}"`],
      env: {},
      files: [{ path: file, content: '[client]\npassword=x\n' }],
    });
    expect(out).toBe('600\n[client]\npassword=x\n');
    expect(fs.existsSync(file)).toBe(false);
  });

  it('removes spec.files when the tool fails, and refuses to overwrite an existing path', async () => {
    const file = path.join(tmp, 'fail.cnf');
    const failing = runTool({ command: 'false', args: [], env: {}, files: [{ path: file, content: 'x' }] });
    await expect(failing).rejects.toBeInstanceOf(ToolError);
    expect(fs.existsSync(file)).toBe(false);

    const existing = path.join(tmp, 'existing.cnf');
    fs.writeFileSync(existing, 'mine');
    const files = [{ path: existing, content: 'x' }];
    await expect(runTool({ command: 'true', args: [], env: {}, files })).rejects.toThrow(/EEXIST/);
  });

  it('passes stderr lines (scrubbed) to onStderrLine and returns the stderr', async () => {
    const lines: string[] = [];
    const script = "console.error('progress 1'); console.error('pw ' + process.env.PGPASSWORD)";
    const onStderrLine = (line: string) => lines.push(line);
    const result = await runTool(node(script, { PGPASSWORD: 'zzz-secret' }), { onStderrLine });
    expect(lines).toEqual(['progress 1', 'pw ***']);
    expect(result.stderr).toBe('progress 1\npw ***\n');
  });

  it('reports the pid of the started child', async () => {
    let pid = 0;
    await runTool(node(''), { onSpawn: (p) => (pid = p) });
    expect(pid).toBeGreaterThan(0);
  });

  it('captureTool returns stdout as text', async () => {
    const out = await captureTool(node("process.stdout.write('pg_dump (PostgreSQL) 15.19')"));
    expect(out).toBe('pg_dump (PostgreSQL) 15.19');
  });
});

describe('the server first', () => {
  /** The nice value of a running process (field 19 of /proc/<pid>/stat). */
  const niceOf = (pid: number) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  it('runs a tool at nice 10, below the event loop that answers requests', async () => {
    let nice: number | null = null;
    await runTool({ command: 'sleep', args: ['0.2'], env: {} }, { onSpawn: (pid) => (nice = niceOf(pid)) });
    expect(nice).toBe(CHILD_NICE);
    expect(CHILD_NICE).toBe(10);
  });

  it('starts tools asked for at once in turns of the event loop: what came meanwhile runs between the starts', async () => {
    const order: string[] = [];
    const a = runTool(node(''), { onSpawn: () => (order.push('a'), setImmediate(() => order.push('between'))) });
    const b = runTool(node(''), { onSpawn: () => order.push('b') });
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'between', 'b']);
  });
});
