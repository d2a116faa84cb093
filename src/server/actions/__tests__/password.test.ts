import { codeOf } from '../../__tests__/code-of';
import { decodePassword } from '../password';

// The password header carries encodeURIComponent(password) (src/client/api/headers.ts). Anything else is refused,
// never decoded into another password than the one the API user typed: a raw '%41' is not 'A'.
describe('the password header', () => {
  it('decodes what our client sends, including passwords with % and non-Latin-1 characters', () => {
    for (const pw of ['plain', '100%', '%41', '%25', 'p@ss word+&=?/', 'Härte-Ωmega-密码', 'emoji 🔒', "!'()*-._~"]) {
      expect(decodePassword(encodeURIComponent(pw))).toBe(pw);
    }
  });

  it('is absent when the header is missing or empty', () => {
    expect(decodePassword(undefined)).toBeUndefined();
    expect(decodePassword('')).toBeUndefined();
  });

  it.each([
    ['a raw %41 (would become A)', '%41'],
    ['a raw % sign', '100%'],
    ['a broken escape', '%zz'],
    ['lower-case escapes', '%c3%a9'],
    ['a raw character encodeURIComponent escapes', 'p@ss'],
    ['a raw space', 'two words'],
    ['an escape of invalid UTF-8', '%ED%A0%80'],
  ])('refuses %s with PASSWORD_HEADER_INVALID (400)', (_name, raw) => {
    expect(codeOf(() => decodePassword(raw))).toMatchObject({ code: 'PASSWORD_HEADER_INVALID', status: 400 });
  });
});
