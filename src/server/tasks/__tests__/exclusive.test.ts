import { TASKS } from '../../../constants';
import { Exclusive, runExclusive, type ExclusiveGate } from '../exclusive';
import { TaskStore } from '../store';
import { memoryApp, type MemoryRepository } from './memory-store';

/** This process's slot, and the task store over a task table in memory (rows of other processes are seeded in it). */
async function memoryGate(): Promise<ExclusiveGate & { tasks: MemoryRepository }> {
  const { app, table } = await memoryApp();
  return { tasks: table(TASKS), exclusive: new Exclusive(), store: new TaskStore(app) };
}

/** A run the test ends when it wants. */
function held<T>() {
  let finish!: (value: T) => void;
  let fail!: (err: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return { promise, finish, fail };
}

describe('runExclusive', () => {
  it('refuses a second caller BUSY while the first runs, and takes the next one once it ended', async () => {
    const gate = await memoryGate();
    const first = held<string>();
    const started = await runExclusive(gate, 'backup', async () => ({ task: { id: 7 } }), () => first.promise);
    expect(started.prepared.task.id).toBe(7);
    // The slot holds the task's id from the moment its row exists (deleting the row is refused meanwhile).
    expect(gate.exclusive.running).toEqual({ id: 7, kind: 'backup' });

    const prepare = jest.fn(async () => ({}));
    await expect(runExclusive(gate, 'restore', prepare, async () => 'never')).rejects.toMatchObject({ code: 'BUSY', status: 409 });
    expect(prepare).not.toHaveBeenCalled();
    expect(gate.exclusive.running).toEqual({ id: 7, kind: 'backup' });

    first.finish('written');
    await expect(started.done).resolves.toBe('written');
    expect(gate.exclusive.running).toBeNull();
    const next = await runExclusive(gate, 'verify', async () => ({ task: { id: 8 } }), async () => 'verified');
    await expect(next.done).resolves.toBe('verified');
  });

  it('refuses BUSY when another process runs a task (a running row in the table), leaving the slot free', async () => {
    const gate = await memoryGate();
    gate.tasks.insert({ id: 1, status: 'running' });
    const prepare = jest.fn(async () => ({}));
    await expect(runExclusive(gate, 'backup', prepare, async () => undefined)).rejects.toMatchObject({ code: 'BUSY' });
    expect(prepare).not.toHaveBeenCalled();
    expect(gate.exclusive.running).toBeNull();
  });

  it('releases the slot when prepare fails, and never runs', async () => {
    const gate = await memoryGate();
    const run = jest.fn(async () => undefined);
    const refused = new Error('archive not found');
    await expect(runExclusive(gate, 'restore', () => Promise.reject(refused), run)).rejects.toBe(refused);
    expect(run).not.toHaveBeenCalled();
    expect(gate.exclusive.running).toBeNull();
    await expect((await runExclusive(gate, 'restore', async () => ({}), async () => 'ok')).done).resolves.toBe('ok');
  });

  it('releases the slot when run fails, after it failed, and hands its error over through done', async () => {
    const gate = await memoryGate();
    const run = held<void>();
    const { done } = await runExclusive(gate, 'backup', async () => ({ task: { id: 3 } }), () => run.promise);
    expect(gate.exclusive.running?.id).toBe(3);
    const failure = new Error('disk on fire');
    run.fail(failure);
    await expect(done).rejects.toBe(failure);
    expect(gate.exclusive.running).toBeNull();
  });

  it('releases the slot when run throws before its first await', async () => {
    const gate = await memoryGate();
    const failure = new Error('bad options');
    const { done } = await runExclusive(gate, 'backup', async () => ({}), () => {
      throw failure;
    });
    await expect(done).rejects.toBe(failure);
    expect(gate.exclusive.running).toBeNull();
  });
});
