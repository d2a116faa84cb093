import { ArchiveError } from '../../archive/errors';
import { BackupError, CodedError } from '../../errors';
import { ToolError } from '../../process/errors';
import { memoryApp } from '../../tasks/__tests__/memory-store';
import { action } from '../respond';
import { call, fakeCtx, refusal } from './fake-ctx';

async function answer(err: unknown, lng = 'en-US') {
  const { app } = await memoryApp();
  return call(
    action(async () => {
      throw err;
    }),
    fakeCtx(app, { lng }),
  );
}

describe('action (the answer to a refused request)', () => {
  it("answers a coded error with its own status and its text in the request's language, unwrapped", async () => {
    const en = await answer(new BackupError('COLLECTION_UNKNOWN', { name: 'logs' }, 400));
    expect(refusal(en)).toEqual({ status: 400, code: 'COLLECTION_UNKNOWN', message: 'Unknown collection: logs' });
    expect(en.withoutDataWrapping).toBe(true);
    expect(en.next).not.toHaveBeenCalled();
    const zh = await answer(new BackupError('COLLECTION_UNKNOWN', { name: 'logs' }, 400), 'zh-CN');
    expect(refusal(zh)).toEqual({ status: 400, code: 'COLLECTION_UNKNOWN', message: '未知的数据表：logs' });
  });

  it("answers an archive error too, and 422 for a coded error whose status is not an HTTP error's", async () => {
    const damaged = await answer(new ArchiveError('CHECKSUM_MISMATCH', 'sha256 differs', { path: 'db/main.dump' }));
    expect(refusal(damaged)).toMatchObject({ code: 'CHECKSUM_MISMATCH', message: 'The archive is damaged: db/main.dump does not match its checksum.' });
    expect(damaged.status).toBeGreaterThanOrEqual(400);
    expect(refusal(await answer(new CodedError('BUSY', 'busy', {}, 200)))).toMatchObject({ status: 422, code: 'BUSY' });
  });

  it("carries a refused restore's pre-flight report in the answer", async () => {
    const err = Object.assign(new BackupError('PREFLIGHT_BLOCKED', { checks: 'disk' }, 409), { preflight: { checks: [{ id: 'disk' }] } });
    expect(refusal(await answer(err))).toMatchObject({ status: 409, code: 'PREFLIGHT_BLOCKED', preflight: { checks: [{ id: 'disk' }] } });
  });

  it("leaves a tool's failure and anything not ours to NocoBase's handler (a 500)", async () => {
    const tool = new ToolError('pg_dump exited with code 1', { command: 'pg_dump', exitCode: 1, stderrTail: 'refused' });
    await expect(answer(tool)).rejects.toBe(tool);
    const bug = new TypeError('x is not a function');
    await expect(answer(bug)).rejects.toBe(bug);
  });

  it('passes a handled request through untouched', async () => {
    const { app } = await memoryApp();
    const ctx = await call(
      action(async (c, next) => {
        c.body = { ok: true };
        await next();
      }),
      fakeCtx(app),
    );
    expect(ctx.body).toEqual({ ok: true });
    expect(ctx.next).toHaveBeenCalledTimes(1);
    expect(ctx.withoutDataWrapping).toBe(false);
  });
});
