import { noteOf, NOTE_MAX } from '../note';
import { codeOf } from '../../__tests__/code-of';

describe('noteOf', () => {
  it('trims, folds control characters into spaces, and takes empty as none', () => {
    expect(noteOf('  before the v2.3 upgrade ')).toBe('before the v2.3 upgrade');
    expect(noteOf('line one\nline two\ttab')).toBe('line one line two tab');
    expect(noteOf('升级前')).toBe('升级前');
    expect(noteOf('   ')).toBeNull();
    expect(noteOf(undefined)).toBeNull();
    expect(noteOf(null)).toBeNull();
  });

  it('refuses what is not text or too long', () => {
    expect(noteOf('x'.repeat(NOTE_MAX))).toHaveLength(NOTE_MAX);
    expect(codeOf(() => noteOf('x'.repeat(NOTE_MAX + 1)))).toMatchObject({ code: 'NOTE_INVALID', status: 422 });
    expect(codeOf(() => noteOf(42))).toMatchObject({ code: 'NOTE_INVALID' });
  });
});
