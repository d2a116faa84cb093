import { isBusy, retryBusy } from '../retry-busy';

const busyError = () => Object.assign(new Error('SQLITE_BUSY: database is locked'), { parent: { code: 'SQLITE_BUSY' } });

describe('retryBusy', () => {
  it('retries a busy write until it goes through', async () => {
    let calls = 0;
    const pauses: number[] = [];
    const value = await retryBusy(
      async () => {
        calls += 1;
        if (calls < 4) throw busyError();
        return 'written';
      },
      30000,
      async (ms) => {
        pauses.push(ms);
      },
    );
    expect(value).toBe('written');
    expect(calls).toBe(4);
    expect(pauses).toEqual([100, 200, 300]);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(
      retryBusy(async () => {
        calls += 1;
        throw new Error('SQLITE_CONSTRAINT');
      }),
    ).rejects.toThrow('SQLITE_CONSTRAINT');
    expect(calls).toBe(1);
  });

  it('gives up with the busy error once the time budget is spent', async () => {
    let calls = 0;
    await expect(
      retryBusy(
        async () => {
          calls += 1;
          throw busyError();
        },
        0,
      ),
    ).rejects.toThrow('SQLITE_BUSY');
    expect(calls).toBe(1);
  });

  it('recognises the code wherever Sequelize puts it', () => {
    expect(isBusy({ original: { code: 'SQLITE_BUSY' } })).toBe(true);
    expect(isBusy({ code: 'SQLITE_BUSY' })).toBe(true);
    expect(isBusy({ parent: { code: 'ER_LOCK_DEADLOCK' } })).toBe(false);
    expect(isBusy(null)).toBe(false);
  });
});
