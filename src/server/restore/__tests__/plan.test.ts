import { decideRecovery, planRestore, type JournalView } from '../plan';

describe('planRestore', () => {
  it('main application with a sub-application and a source: safety first, extra databases before the main one', () => {
    expect(
      planRestore({ main: true, targets: [{ kind: 'app', name: 'a1' }, { kind: 'source', name: 'ext' }], safetyBackup: true, finish: true }),
    ).toEqual(['stage', 'safety', 'maintenance', 'db:app:a1', 'db:source:ext', 'db:main', 'storage', 'finish', 'commit']);
  });

  it('sub-application only, no safety backup, offline: no maintenance, no storage, no finish', () => {
    expect(planRestore({ main: false, targets: [{ kind: 'app', name: 'a1' }], safetyBackup: false, finish: false })).toEqual([
      'stage',
      'db:app:a1',
      'commit',
    ]);
  });
});

describe('decideRecovery', () => {
  const base: JournalView = {
    state: 'live',
    safety: '/b/x_safety.nbbm',
    stagingPresent: true,
    planned: ['db:app:a1', 'db:main', 'storage', 'finish'],
    steps: { 'db:app:a1': 'done', 'db:main': 'begun' },
    ownerAlive: false,
  };

  it('leaves a restore whose process still runs alone', () => {
    expect(decideRecovery({ ...base, ownerAlive: true })).toEqual({ action: 'none' });
  });

  it('discards a restore that had not changed anything yet, or had ended', () => {
    expect(decideRecovery({ ...base, state: 'preparing', steps: {} })).toEqual({ action: 'discard' });
    expect(decideRecovery({ ...base, state: 'ended' })).toEqual({ action: 'discard' });
  });

  it('rolls back every database a step had begun when there is a safety backup, even at the last step', () => {
    expect(decideRecovery(base)).toEqual({ action: 'rollback', databases: ['db:app:a1', 'db:main'] });
    const finishing = { ...base, steps: { 'db:app:a1': 'done', 'db:main': 'done', storage: 'done', finish: 'begun' } } as JournalView;
    expect(decideRecovery(finishing)).toEqual({ action: 'rollback', databases: ['db:app:a1', 'db:main'] });
  });

  it('keeps a restore whose every step had ended (the app may already have served the restored data)', () => {
    const ended = { ...base, steps: { 'db:app:a1': 'done', 'db:main': 'done', storage: 'done', finish: 'done' } } as JournalView;
    expect(decideRecovery(ended)).toEqual({ action: 'commit' });
    expect(decideRecovery({ ...ended, safety: null, stagingPresent: false })).toEqual({ action: 'commit' });
  });

  it('without a safety backup completes forward the databases not done yet, in plan order', () => {
    expect(decideRecovery({ ...base, safety: null })).toEqual({ action: 'forward', databases: ['db:main'] });
    expect(decideRecovery({ ...base, safety: null, steps: {} })).toEqual({ action: 'forward', databases: ['db:app:a1', 'db:main'] });
  });

  it('never completes a move forward (NocoBase redoes it, not a start-up): rolled back, or left to a person', () => {
    expect(decideRecovery({ ...base, move: true })).toEqual({ action: 'rollback', databases: ['db:app:a1', 'db:main'] });
    expect(decideRecovery({ ...base, move: true, safety: null })).toEqual({ action: 'manual' });
  });

  it('asks for a person when neither way is possible', () => {
    expect(decideRecovery({ ...base, safety: null, stagingPresent: false })).toEqual({ action: 'manual' });
  });
});
