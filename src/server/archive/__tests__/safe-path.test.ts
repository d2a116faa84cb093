import path from 'path';
import { isArchiveError } from '../errors';
import { isCanonicalEntryPath, resolveInside, safeEntryPath } from '../safe-path';

describe('safeEntryPath', () => {
  it.each([
    ['db/main.dump', 'db/main.dump'],
    ['storage/uploads/a b/ü.png', 'storage/uploads/a b/ü.png'],
    ['a//b', 'a/b'],
    ['./a/./b/', 'a/b'],
    ['..a/b..', '..a/b..'],
    ['a/...', 'a/...'],
    ['C/x', 'C/x'],
    ['a/C:x', 'a/C:x'],
  ])('accepts %j as %j', (input, expected) => {
    expect(safeEntryPath(input)).toBe(expected);
  });

  it.each([
    ['', 'empty name'],
    ['.', 'empty name'],
    ['./', 'empty name'],
    ['//', 'absolute path'],
    ['/etc/passwd', 'absolute path'],
    ['../evil', "'..' segment"],
    ['a/../../evil', "'..' segment"],
    ['a/..', "'..' segment"],
    ['a\\..\\..\\evil', 'contains a backslash'],
    ['..\\evil', 'contains a backslash'],
    ['\\\\server\\share\\x', 'contains a backslash'],
    ['C:/Windows/x', 'drive letter'],
    ['c:evil', 'drive letter'],
    ['a\0b', 'contains NUL'],
    ['a/'.repeat(3000) + 'b', 'too long'],
  ])('rejects %j (%s)', (input, reason) => {
    let err: any;
    try {
      safeEntryPath(input);
    } catch (e) {
      err = e;
    }
    expect(isArchiveError(err, 'ENTRY_UNSAFE')).toBe(true);
    expect(err.params.reason).toBe(reason);
    expect(err.status).toBe(422);
  });

  it('rejects non-strings', () => {
    expect(() => safeEntryPath(undefined as any)).toThrow(/empty name/);
    expect(() => safeEntryPath(3 as any)).toThrow(/empty name/);
  });

  it('isCanonicalEntryPath', () => {
    expect(isCanonicalEntryPath('a/b')).toBe(true);
    expect(isCanonicalEntryPath('a//b')).toBe(false);
    expect(isCanonicalEntryPath('a/b/')).toBe(false);
    expect(isCanonicalEntryPath('../a')).toBe(false);
  });
});

describe('resolveInside', () => {
  const root = path.resolve('/srv/staging');
  it('resolves inside the root', () => {
    expect(resolveInside(root, 'db/main.dump')).toBe(path.join(root, 'db', 'main.dump'));
    expect(resolveInside(root + '/', 'a//b')).toBe(path.join(root, 'a', 'b'));
  });
  it.each(['../x', '/etc/passwd', 'a/../../x', '.', '', 'C:/x', 'a\\..\\x'])('refuses %j', (rel) => {
    expect(() => resolveInside(root, rel)).toThrow(expect.objectContaining({ code: 'ENTRY_UNSAFE' }));
  });
});

describe('resolveInside without path.resolve', () => {
  // Under a normalised absolute root a canonical name is joined, not resolved: the answer must be path.resolve's.
  it.each([
    ['/srv/staging', 'storage/uploads/a.png'],
    ['/srv/staging', 'x'],
    ['/', 'etc-not/x'],
    ['/srv/a b/ünï', 'storage/uploads/名前/ファイル.png'],
    ['/srv/staging', 'a..b/..c/c..'],
    ['/srv/staging', '.hidden/.x'],
  ])('under %j, %j is where path.resolve puts it', (root, rel) => {
    expect(resolveInside(root, rel)).toBe(path.resolve(root, ...rel.split('/')));
  });

  it.each(['/srv/staging/', '/srv/./staging', '/srv/x/../staging', '//srv//staging'])('a root such as %j still resolves', (root) => {
    expect(resolveInside(root, 'a/b')).toBe(path.resolve('/srv/staging', 'a', 'b'));
  });

  it.each(['a/../../x', 'a/./b/../../..', '../x', 'a//b'])('a name such as %j takes the checked path', (rel) => {
    const root = '/srv/staging';
    let answer: string | null = null;
    try {
      answer = resolveInside(root, rel);
    } catch (err) {
      expect(err).toMatchObject({ code: 'ENTRY_UNSAFE' });
      return;
    }
    expect(answer).toBe(path.resolve(root, ...rel.split('/').filter((s) => s && s !== '.')));
  });
});
