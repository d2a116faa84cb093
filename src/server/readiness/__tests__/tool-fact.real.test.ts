// The dump tool line against the local PostgreSQL (127.0.0.1:5432, trust auth): found, too old, cannot reach.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { readinessReport } from '../report';
import { toolFact } from '../tool-fact';
import type { DbConfig } from '../../dumpers/types';

jest.setTimeout(60_000);

const db: DbConfig = { dialect: 'postgres', host: '127.0.0.1', port: 5432, user: 'postgres', password: 'postgres', database: 'postgres' };
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bm-ready-tool-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('toolFact on a real PostgreSQL', () => {
  it('the installed pg_dump: ok, with its version and the server version', async () => {
    const fact = await toolFact(db, tmp);
    expect(fact).toMatchObject({ state: 'ok', tool: 'pg_dump' });
    if (fact.state !== 'ok') throw new Error('not ok');
    expect(fact.version).toMatch(/^\d+\.\d+/);
    expect(fact.serverVersion).toMatch(/^\d+/);
  });

  it('a pg_dump older than the server: too old, the fix names the server major (the dumpers version rule)', async () => {
    // A pg_dump that says it is 9.6 beside the real psql, which reads the server's version.
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n', { mode: 0o755 });
    fs.symlinkSync('/usr/bin/psql', path.join(bin, 'psql'));
    const fact = await toolFact(db, tmp, { dump: path.join(bin, 'pg_dump') });
    expect(fact).toMatchObject({ state: 'too-old', version: '9.6.24' });
    const line = readinessReport({
      databases: [{ source: 'main', dialect: 'postgres', tool: fact }],
      skippedSources: [],
      write: { ok: true, where: tmp },
      disk: { free: 1e15, needed: 1, where: tmp, basis: 'sizes' },
      schedule: { enabled: false, cron: '0 3 * * *', timezone: 'UTC', next: null },
    }).checks[0];
    expect(line).toMatchObject({ level: 'blocking', code: 'READINESS_TOOL_TOO_OLD' });
    if (fact.state !== 'too-old') throw new Error('not too old');
    expect(line.params.major).toBe(fact.serverVersion.split('.')[0]);
    expect(line.params.hint).toContain(`client tools ${line.params.major} or newer`);
  });

  it('a server that cannot be reached: failed, blocking, the password nowhere in the line', async () => {
    const fact = await toolFact({ ...db, port: 1, password: 'bm-ready-secret-99' }, tmp);
    expect(fact.state).toBe('failed');
    expect(JSON.stringify(fact)).not.toContain('bm-ready-secret-99');
  });
});
